"""The planning office's review: every year's progress, one year's departments, one department's figures."""

from collections import Counter
from typing import NamedTuple

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts import access
from accounts.strategy import current_strategy_or_404
from goals.models import Department
from kpis.cycle import progress, services
from kpis.cycle.forms import ReturnForm, seen_state
from kpis.cycle.rows import Row, attach_return_notes, figure_rows
from kpis.cycle.views.common import entry_url, fiscal_year_or_404
from kpis.models import Indicator, Submission

STATE_ORDER = [s.value for s in Submission.State]


@access.require(access.can_review, "review")
@require_GET
def review_index(request: HttpRequest) -> HttpResponse:
    strategy = current_strategy_or_404(request)
    years = services.fiscal_years_of(strategy)
    department_count = Department.objects.filter(indicators__strategy=strategy).distinct().count()
    counts = Counter()
    for row in (
        Submission.objects.filter(strategy=strategy).values("fiscal_year", "state").annotate(n=Count("pk"))
    ):
        counts[row["fiscal_year"], row["state"]] += row["n"]
    table = []
    for year in years:
        per_state = {state: counts[year.year, state] for state in STATE_ORDER}
        per_state[Submission.State.NOT_STARTED] += department_count - sum(per_state.values())
        table.append((year, [(Submission.State(s).label, n) for s, n in per_state.items()]))
    return render(
        request,
        "kpis/review_index.html",
        {"table": table, "state_labels": [s.label for s in Submission.State]},
    )


@access.require(access.can_review, "review")
@require_GET
def review(request: HttpRequest, fiscal_year: int) -> HttpResponse:
    strategy = current_strategy_or_404(request)
    year = fiscal_year_or_404(strategy, fiscal_year)
    table = progress.department_progress(strategy, fiscal_year)
    summary = Counter(item["submission"].state for item in table)
    return render(
        request,
        "kpis/review.html",
        {
            "fiscal_year": year,
            "table": table,
            "summary": [(s.label, summary[s.value]) for s in Submission.State],
        },
    )


class _Outcome(NamedTuple):
    """After a POST: done (redirect to the year), else the return form to show (None: a fresh one) and the
    status."""

    done: bool
    return_form: ReturnForm | None
    status: int


@access.require(access.can_review, "review")
@require_http_methods(["GET", "HEAD", "POST"])
def review_department(request: HttpRequest, fiscal_year: int, department_code: str) -> HttpResponse:
    strategy = current_strategy_or_404(request)
    year = fiscal_year_or_404(strategy, fiscal_year)
    department = get_object_or_404(Department, code=department_code)
    submission = services.submission_for(department=department, strategy=strategy, fiscal_year=fiscal_year)
    actionable = not year.is_locked and submission.pk is not None
    if request.method == "POST":
        indicators = Indicator.objects.of_strategy(strategy).filter(department=department)
        outcome = _act(request, submission, department, actionable=actionable, indicators=indicators)
        if outcome.done:
            return redirect("cycle:review", fiscal_year)
        year = fiscal_year_or_404(strategy, fiscal_year)  # as stored now, beside the refusal
        actionable = not year.is_locked and submission.pk is not None
    else:
        outcome = _Outcome(done=False, return_form=None, status=200)
    can_return = actionable and submission.state in (Submission.State.SUBMITTED, Submission.State.APPROVED)
    rows = figure_rows(request.user, strategy, fiscal_year, department)
    return_form = outcome.return_form or ReturnForm(indicators=[row.indicator for row in rows])
    questioned = _with_return_notes(rows, submission, return_form if can_return else None)
    # Rows questioned at the last 差戻し, then those with plausibility warnings: the planning office looks
    # at them before the others.
    rows.sort(key=lambda row: (row.return_note is None, not row.warnings))
    return render(
        request,
        "kpis/review_department.html",
        {
            "fiscal_year": year,
            "department": department,
            "submission": submission,
            "rows": rows,
            "warned_count": sum(1 for row in rows if row.warnings),
            "questioned": questioned,
            "return_form": return_form,
            "can_approve": actionable and submission.state == Submission.State.SUBMITTED,
            "can_return": can_return,
            "entry_url": entry_url(fiscal_year, department),
        },
        status=outcome.status,
    )


def _with_return_notes(rows: list[Row], submission: Submission, return_form: ReturnForm | None) -> list[Row]:
    """Each row with the 指摘 of the last 差戻し and, when the submission may be returned, its input for a
    new one; the questioned rows."""
    attach_return_notes(rows, submission)
    if return_form is not None:
        for row in rows:
            name = ReturnForm.note_name(row.indicator)
            row.note_field = return_form[name] if name in return_form.fields else None
    return [row for row in rows if row.return_note is not None]


def _act(
    request: HttpRequest, submission: Submission, department: Department, *, actionable: bool, indicators
) -> _Outcome:
    """Approve or return the submission as stored now; a refusal re-reads it and shows why (409), a return
    without a reason or with a 指摘 too long 400. The page's hidden "seen" state makes an action taken on a
    page someone else acted on first a refusal too, not a second transition."""
    return_form = None
    action = request.POST.get("action")
    seen = seen_state(request.POST, Submission.State)
    try:
        if not actionable:
            raise services.StateChanged(_("この年度は確定（ロック）されているか、まだ提出がありません。"))
        if action == "approve":
            services.submission_approve(user=request.user, submission=submission, seen_state=seen)
            messages.success(request, _("%(department)sの提出を承認しました。") % {"department": department})
            return _Outcome(True, return_form, 302)
        if action != "return":
            raise services.StateChanged(_("操作を選んでください。"))
        return_form = ReturnForm(request.POST, indicators=indicators)
        if not return_form.is_valid():
            _explain_refusal(request, return_form)
            return _Outcome(False, return_form, 400)
        services.submission_return(
            user=request.user,
            submission=submission,
            comment=return_form.cleaned_data["comment"],
            seen_state=seen,
            row_comments=return_form.row_comments(),
        )
        messages.success(request, _("%(department)sに差し戻しました。") % {"department": department})
        return _Outcome(True, return_form, 302)
    except (services.StateChanged, ValidationError) as error:
        if submission.pk:
            submission.refresh_from_db()
        reason = error.messages if isinstance(error, ValidationError) else [str(error)]
        messages.error(request, " ".join(reason))
        return _Outcome(False, return_form, 409)


def _explain_refusal(request: HttpRequest, return_form: ReturnForm) -> None:
    """Above the page: nothing was returned, and which inputs to correct (the 指摘 are far down the table)."""
    labels = return_form.error_labels()
    if labels:
        messages.error(
            request,
            _("差し戻していません。次の欄を直してください：%(fields)s") % {"fields": "、".join(labels)},
        )
    else:
        messages.error(request, " ".join(return_form.non_field_errors()))
