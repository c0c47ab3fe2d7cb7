"""The planning office opens, closes, locks and reopens the fiscal years of the plan."""

from collections import Counter

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import access
from accounts.strategy import current_strategy_or_404
from goals.models import Department, Strategy
from kpis.cycle import checks, progress, services
from kpis.cycle.forms import DeadlineForm, FiscalYearStateForm
from kpis.cycle.views.common import fiscal_year_or_404
from kpis.models import FiscalYear, Submission
from lib.fiscal import date_label, fiscal_year_label


@access.require(access.can_review, "fiscal_years")
@require_http_methods(["GET", "HEAD", "POST"])
def fiscal_years(request: HttpRequest) -> HttpResponse:
    strategy = current_strategy_or_404(request)
    status = 200
    errors = {}
    checklist = None
    if request.method == "POST":
        is_deadline = request.POST.get("action") == "deadline"
        form = DeadlineForm(request.POST) if is_deadline else FiscalYearStateForm(request.POST)
        if form.is_valid() and form.cleaned_data["year"] in strategy.plan_years:
            year = fiscal_year_or_404(strategy, form.cleaned_data["year"])
            if is_deadline:
                status, errors = _set_deadline(request, year, form)
            elif _needs_confirmation(form):
                status, errors = _stale(year, form)
                checklist = None if errors else _checklist(strategy, year)
            else:
                status, errors = _set_state(request, year, form)
            if status == 302:
                return redirect("cycle:fiscal_years")
        else:
            messages.error(
                request,
                _("操作を受け付けられませんでした。")
                + " ".join(str(message) for messages_ in form.errors.values() for message in messages_),
            )
            status = 400
    context = _context(strategy, errors)
    context["checklist"] = checklist
    return render(request, "kpis/fiscal_years.html", context, status=status)


def _needs_confirmation(form: FiscalYearStateForm) -> bool:
    """確定（ロック）is the second step: the first one shows what is still open in the year."""
    return form.cleaned_data["state"] == FiscalYear.State.LOCKED and not form.cleaned_data["confirmed"]


def _stale(year: FiscalYear, form: FiscalYearStateForm) -> tuple[int, dict]:
    """The checklist step of a page that showed another state than the stored one: refused (409)."""
    try:
        services.check_seen(year, form.cleaned_data["seen"] or None, _("この年度"))
    except services.StateChanged as error:
        return 409, {year.year: [str(error)]}
    return 200, {}


def _checklist(strategy: Strategy, year: FiscalYear) -> dict:
    warned = checks.warned_indicators(strategy, year.year)
    return {"year": year, "items": progress.lock_checklist(strategy, year.year, warned)}


def _set_deadline(request: HttpRequest, year: FiscalYear, form: DeadlineForm) -> tuple[int, dict]:
    try:
        year = services.fiscal_year_set_deadline(
            user=request.user, fiscal_year=year, deadline=form.cleaned_data["deadline"]
        )
    except services.StateChanged as error:
        return 409, {year.year: [str(error)]}
    except ValidationError as error:
        return 400, {year.year: error.messages}
    messages.success(
        request,
        _("%(year)sの締切日を%(day)sにしました。")
        % {"year": fiscal_year_label(year.year), "day": date_label(year.deadline)},
    )
    return 302, {}


def _set_state(
    request: HttpRequest, year: FiscalYear, form: FiscalYearStateForm
) -> tuple[int, dict[int, list[str]]]:
    """Move the year to the form's state: (302, {}) when done, else the status and the refusal under the
    year: 409 when the year's state does not allow it (someone moved it first), 400 without a reason."""
    try:
        year = services.fiscal_year_set_state(
            user=request.user,
            fiscal_year=year,
            state=form.cleaned_data["state"],
            reason=form.cleaned_data["reason"],
            seen_state=form.cleaned_data["seen"] or None,
            deadline=form.cleaned_data["deadline"],
        )
    except services.StateChanged as error:
        return 409, {year.year: [str(error)]}
    except ValidationError as error:
        return 400, {year.year: error.messages}
    messages.success(
        request,
        _("%(year)s年度を「%(state)s」にしました。") % {"year": year.year, "state": year.get_state_display()},
    )
    return 302, {}


def _context(strategy: Strategy, errors: dict[int, list[str]]) -> dict:
    years = services.fiscal_years_of(strategy)
    approved = Counter(
        Submission.objects.filter(strategy=strategy, state=Submission.State.APPROVED).values_list(
            "fiscal_year", flat=True
        )
    )
    department_count = Department.objects.filter(indicators__strategy=strategy).distinct().count()
    rows = [
        {
            "year": year,
            "next": [(state, FiscalYear.State(state).label) for state in services.allowed_states(year)],
            "approved": approved[year.year],
            "errors": errors.get(year.year, []),
        }
        for year in years
    ]
    history = (
        FiscalYear.history.filter(strategy=strategy)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[:50]
    )
    return {
        "rows": rows,
        "department_count": department_count,
        "history": history,
        "locked": FiscalYear.State.LOCKED,
    }
