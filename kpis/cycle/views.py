"""Entry, review, fiscal-year windows and indicator metadata: fetch with the access check, form, service."""

from collections import Counter
from dataclasses import dataclass, replace
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts import access
from accounts.strategy import current_strategy_or_404
from goals.models import Department, Strategy
from kpis.cycle import services
from kpis.cycle.forms import EntryRowForm, FiscalYearStateForm, IndicatorForm, ReturnForm
from kpis.models import ActualValue, FiscalYear, Indicator, Submission
from kpis.rules.achievement import YearResult, expected_value
from kpis.rules.evaluation import evaluate_all, scale_for, spec_for
from lib.numbers import format_decimal


def _fiscal_year(strategy: Strategy, year: int) -> FiscalYear:
    fiscal_year = services.fiscal_year_for(strategy=strategy, year=year)
    if fiscal_year is None or year not in strategy.plan_years:
        raise Http404("Not a fiscal year of the plan.")
    return fiscal_year


@dataclass
class Row:
    """One indicator on the entry or review screen."""

    indicator: Indicator
    result: YearResult
    previous: Decimal | None
    previous_is_baseline: bool
    actual: ActualValue | None
    entered_by: str
    grade_name: str
    form: EntryRowForm | None = None
    conflict: services.Conflict | None = None


def _rows(request, strategy, year, department, *, editable=False, data=None, conflicts=()) -> list[Row]:
    """The department's indicators with this year's figures, in a fixed number of queries."""
    indicators = list(Indicator.objects.with_figures().of_strategy(strategy).filter(department=department))
    scale = scale_for(strategy)
    evaluations = evaluate_all(indicators, strategy, scale=scale)
    records = [e.record(year) for e in evaluations]
    user_ids = {r.entered_by_id for r in records if r is not None and r.entered_by_id}
    names = {u.pk: u.get_full_name() or u.username for u in get_user_model().objects.filter(pk__in=user_ids)}
    conflict_of = {c.typed.indicator.pk: c for c in conflicts}
    if data is not None and conflicts:
        # Re-shown after a refused row: the inputs carry the stored versions now, so a second save
        # overwrites deliberately, after both values have been seen.
        data = data.copy()
        for indicator, actual in zip(indicators, records, strict=True):
            data[f"i{indicator.pk}-version"] = str(actual.version if actual else 0)
    rows = []
    for indicator, evaluation, actual in zip(indicators, evaluations, records, strict=True):
        previous_is_baseline = indicator.baseline_year == year - 1
        if previous_is_baseline:
            previous = indicator.baseline_value
        else:
            record = evaluation.record(year - 1)
            previous = record.value if record else None
        result = evaluation.year(year)
        row = Row(
            indicator=indicator,
            result=result,
            grade_name=scale.name_of(result.grade),
            previous=previous,
            previous_is_baseline=previous_is_baseline,
            actual=actual,
            entered_by=names.get(actual.entered_by_id, "") if actual else "",
            conflict=conflict_of.get(indicator.pk),
        )
        if editable and access.can_edit_actual(request.user, actual):
            row.form = EntryRowForm(data, indicator=indicator, initial=EntryRowForm.initial_for(actual))
        rows.append(row)
    return rows


def _entry_url(fiscal_year: int, department: Department) -> str:
    return f"{reverse('cycle:entry', args=[fiscal_year])}?{urlencode({'department': department.code})}"


# --- Entry ---------------------------------------------------------------------------------------------


@access.require(access.can_enter, "entry")
@require_GET
def entry_index(request: HttpRequest) -> HttpResponse:
    strategy = current_strategy_or_404(request)
    departments = list(access.entry_departments(request.user, strategy))
    years = services.fiscal_years_of(strategy)
    states = {
        (s.department_id, s.fiscal_year): s
        for s in Submission.objects.filter(strategy=strategy, department__in=departments)
    }
    table = [
        (department, [(year, states.get((department.pk, year.year))) for year in years])
        for department in departments
    ]
    return render(request, "kpis/entry_index.html", {"years": years, "table": table})


@access.require(access.can_enter, "entry")
@require_http_methods(["GET", "HEAD", "POST"])
def entry(request: HttpRequest, fiscal_year: int) -> HttpResponse:
    strategy = current_strategy_or_404(request)
    year = _fiscal_year(strategy, fiscal_year)
    choices = list(access.entry_departments(request.user, strategy))
    code = request.GET.get("department")
    if code:
        department = get_object_or_404(Department, code=code)
        if not access.can_enter_department(request.user, department):
            access.deny(request, "department")
    elif choices:
        department = choices[0]
    else:
        messages.error(request, _("所属する担当課が登録されていません。政策企画課に連絡してください。"))
        return redirect("cycle:entry_index")
    submission = services.submission_for(department=department, strategy=strategy, fiscal_year=fiscal_year)
    editable = access.can_edit_figures(request.user, year, submission)
    context = {
        "fiscal_year": year,
        "department": department,
        "departments": choices,
        "submission": submission,
        "editable": editable,
        "can_submit": access.can_submit(request.user, year, submission),
    }

    if request.method != "POST":
        rows = _rows(request, strategy, fiscal_year, department, editable=editable)
        return render(request, "kpis/entry.html", {**context, "rows": rows})

    if not editable:
        messages.error(
            request, _("この画面は現在入力できません（年度の状態または提出の状態を確認してください）。")
        )
        rows = _rows(request, strategy, fiscal_year, department)
        return render(request, "kpis/entry.html", {**context, "rows": rows}, status=409)

    rows = _rows(request, strategy, fiscal_year, department, editable=True, data=request.POST)
    forms = [row.form for row in rows if row.form is not None]
    if not all([form.is_valid() for form in forms]):
        messages.error(
            request, _("入力内容に誤りがあります。赤字の欄を直してください。何も保存していません。")
        )
        return render(request, "kpis/entry.html", {**context, "rows": rows, "has_errors": True}, status=400)

    result = services.actual_save(
        user=request.user,
        strategy=strategy,
        department=department,
        fiscal_year=fiscal_year,
        rows=[form.row_input() for form in forms],
        keep_status=access.is_planning(request.user),
    )
    if result.conflicts:
        messages.error(
            request,
            _(
                "%(count)s件の指標は、この画面を開いた後に他の人が保存していたため保存していません。"
                "保存されている値とあなたの入力を確認し、必要なら入力し直して保存してください。"
            )
            % {"count": len(result.conflicts)},
        )
        if result.saved:
            messages.info(request, _("ほかの%(count)s件は保存しました。") % {"count": len(result.saved)})
        rows = _rows(
            request,
            strategy,
            fiscal_year,
            department,
            editable=True,
            data=request.POST,
            conflicts=result.conflicts,
        )
        context["submission"] = result.submission
        return render(request, "kpis/entry.html", {**context, "rows": rows}, status=409)

    if request.POST.get("action") == "submit" and context["can_submit"]:
        try:
            services.submission_submit(user=request.user, submission=result.submission)
        except ValidationError as error:
            messages.error(request, _("下書きとして保存しました。") + " ".join(error.messages))
        else:
            messages.success(request, _("提出しました。政策企画課の審査をお待ちください。"))
    else:
        messages.success(request, _("保存しました（%(count)s件）。") % {"count": len(result.saved)})
    return redirect(_entry_url(fiscal_year, department))


# --- Review --------------------------------------------------------------------------------------------

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
    year = _fiscal_year(strategy, fiscal_year)
    departments = list(
        Department.objects.filter(indicators__strategy=strategy)
        .annotate(total=Count("indicators", distinct=True))
        .order_by("order", "code")
    )
    figures = Counter()
    for row in (
        ActualValue.objects.filter(indicator__strategy=strategy, fiscal_year=fiscal_year, value__isnull=False)
        .values("indicator__department", "status")
        .annotate(n=Count("pk"))
    ):
        figures[row["indicator__department"], "entered"] += row["n"]
        figures[row["indicator__department"], row["status"]] += row["n"]
    submissions = {
        s.department_id: s
        for s in Submission.objects.filter(strategy=strategy, fiscal_year=fiscal_year).select_related(
            "submitted_by", "reviewed_by"
        )
    }
    table = []
    for department in departments:
        submission = submissions.get(department.pk) or Submission(
            department=department, strategy=strategy, fiscal_year=fiscal_year
        )
        table.append(
            {
                "department": department,
                "submission": submission,
                "total": department.total,
                "entered": figures[department.pk, "entered"],
                "approved": figures[department.pk, ActualValue.Status.APPROVED],
            }
        )
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


@access.require(access.can_review, "review")
@require_http_methods(["GET", "HEAD", "POST"])
def review_department(request: HttpRequest, fiscal_year: int, department_code: str) -> HttpResponse:
    strategy = current_strategy_or_404(request)
    year = _fiscal_year(strategy, fiscal_year)
    department = get_object_or_404(Department, code=department_code)
    submission = services.submission_for(department=department, strategy=strategy, fiscal_year=fiscal_year)
    return_form = ReturnForm()
    status = 200
    actionable = not year.is_locked and submission.pk is not None
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if not actionable:
                raise ValidationError(_("この年度は確定（ロック）されているか、まだ提出がありません。"))
            if action == "approve":
                services.submission_approve(user=request.user, submission=submission)
                messages.success(
                    request, _("%(department)sの提出を承認しました。") % {"department": department}
                )
                return redirect("cycle:review", fiscal_year)
            if action == "return":
                return_form = ReturnForm(request.POST)
                if return_form.is_valid():
                    services.submission_return(
                        user=request.user, submission=submission, comment=return_form.cleaned_data["comment"]
                    )
                    messages.success(
                        request, _("%(department)sに差し戻しました。") % {"department": department}
                    )
                    return redirect("cycle:review", fiscal_year)
                status = 400
            else:
                raise ValidationError(_("操作を選んでください。"))
        except ValidationError as error:
            if submission.pk:
                submission.refresh_from_db()
            messages.error(request, " ".join(error.messages))
            status = 409
    rows = _rows(request, strategy, fiscal_year, department)
    return render(
        request,
        "kpis/review_department.html",
        {
            "fiscal_year": year,
            "department": department,
            "submission": submission,
            "rows": rows,
            "return_form": return_form,
            "can_approve": actionable and submission.state == Submission.State.SUBMITTED,
            "can_return": actionable
            and submission.state in (Submission.State.SUBMITTED, Submission.State.APPROVED),
            "entry_url": _entry_url(fiscal_year, department),
        },
        status=status,
    )


# --- Fiscal-year windows -------------------------------------------------------------------------------


@access.require(access.can_review, "fiscal_years")
@require_http_methods(["GET", "HEAD", "POST"])
def fiscal_years(request: HttpRequest) -> HttpResponse:
    strategy = current_strategy_or_404(request)
    status = 200
    errors = {}
    if request.method == "POST":
        form = FiscalYearStateForm(request.POST)
        if form.is_valid() and form.cleaned_data["year"] in strategy.plan_years:
            year = _fiscal_year(strategy, form.cleaned_data["year"])
            try:
                services.fiscal_year_set_state(
                    user=request.user,
                    fiscal_year=year,
                    state=form.cleaned_data["state"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                errors[year.year] = error.messages
                status = 400
            else:
                messages.success(
                    request,
                    _("%(year)s年度を「%(state)s」にしました。")
                    % {"year": year.year, "state": year.get_state_display()},
                )
                return redirect("cycle:fiscal_years")
        else:
            messages.error(
                request,
                _("操作を受け付けられませんでした。")
                + " ".join(str(message) for messages_ in form.errors.values() for message in messages_),
            )
            status = 400
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
    return render(
        request,
        "kpis/fiscal_years.html",
        {
            "rows": rows,
            "department_count": department_count,
            "history": history,
            "locked": FiscalYear.State.LOCKED,
        },
        status=status,
    )


def _shown(value) -> str:
    if value is None or value == "":
        return "−"
    if isinstance(value, Decimal):
        return format_decimal(value)
    return str(value)


# --- Indicator metadata --------------------------------------------------------------------------------


@access.require(access.can_review, "indicator_edit")
@require_http_methods(["GET", "HEAD", "POST"])
def indicator_edit(request: HttpRequest, code: str) -> HttpResponse:
    strategy = current_strategy_or_404(request)
    indicator = get_object_or_404(
        Indicator.objects.select_related("strategy", "department").prefetch_related("expected_values"),
        strategy=strategy,
        code=code,
    )
    reason_required = services.has_approved_figures(strategy)
    marker = services.indicator_marker(indicator)
    initial = IndicatorForm.initial_for(indicator, marker)
    status, stale = 200, None
    if request.method == "POST":
        form = IndicatorForm(request.POST, indicator=indicator, reason_required=reason_required)
        if form.is_valid():
            try:
                services.indicator_update(
                    user=request.user,
                    indicator=indicator,
                    changes=form.changes(),
                    expected=form.expected(),
                    marker=form.cleaned_data["marker"],
                    reason=form.cleaned_data["reason"],
                )
            except services.StaleEdit:
                indicator = Indicator.objects.prefetch_related("expected_values").get(pk=indicator.pk)
                stored = IndicatorForm.initial_for(indicator, services.indicator_marker(indicator))
                data = request.POST.copy()
                data["marker"] = stored["marker"]
                form = IndicatorForm(data, indicator=indicator, reason_required=reason_required)
                form.is_valid()
                stored["department"] = indicator.department
                stale = [
                    (form[name].label, _shown(stored.get(name)), _shown(form.cleaned_data.get(name)))
                    for name in form.fields
                    if name not in ("marker", "reason") and stored.get(name) != form.cleaned_data.get(name)
                ]
                messages.error(
                    request,
                    _(
                        "この画面を開いた後に、他の人がこの指標を更新しました。保存していません。"
                        "下の比較を確認し、必要ならもう一度保存してください。"
                    ),
                )
                status = 409
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    for field, field_errors in error.message_dict.items():
                        form.add_error(field if field in form.fields else None, field_errors)
                else:
                    form.add_error(None, error.messages)
                status = 400
            else:
                messages.success(request, _("%(code)sを更新しました。") % {"code": indicator.code})
                return redirect("cycle:indicator_edit", indicator.code)
        else:
            status = 400
    else:
        form = IndicatorForm(initial=initial, indicator=indicator, reason_required=reason_required)
    # Shown greyed in the empty inputs: what the straight line gives without an explicit value.
    line = replace(spec_for(indicator), explicit_expected={})
    for year in form.plan_years:
        computed = expected_value(line, year)
        if computed is not None:
            form.fields[f"expected_{year}"].widget.attrs["placeholder"] = _("直線：%(value)s") % {
                "value": format_decimal(computed)
            }
    expected_fields = [form[f"expected_{year}"] for year in form.plan_years]
    return render(
        request,
        "kpis/indicator_edit.html",
        {
            "indicator": indicator,
            "form": form,
            "expected_fields": expected_fields,
            "reason_required": reason_required,
            "stale": stale,
        },
        status=status,
    )
