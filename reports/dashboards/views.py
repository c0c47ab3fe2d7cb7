"""Dashboards for the expert council and the town: overview, goal, indicator, department, indicator table.

Every page fetches its indicators once (`Indicator.objects.with_figures()`), evaluates them in memory with
kpis.rules.evaluation and builds its charts and tables from the evaluations, so it costs the same number of
queries for 42 indicators or 4,200. Who sees what: signed-in users with a role see every figure with its
status; anonymous visitors (when settings.PUBLIC_DASHBOARDS is on) see approved figures only, and never
notes, cause analyses or history.
"""

from dataclasses import dataclass

from django import forms
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET
from django_tables2 import RequestConfig

from accounts.access import can_read_dashboards, can_read_internal, require
from accounts.strategy import current_strategy, current_strategy_or_404
from goals.models import Department, Goal, Measure, Policy, Strategy
from kpis.cycle.history import indicator_history
from kpis.models import ActualValue, Indicator, Kind, Placement, Submission
from kpis.rules.achievement import NOT_EVALUABLE
from kpis.rules.evaluation import Evaluation, evaluate_indicator, rollup, scale_for
from kpis.rules.scale import Scale
from lib.csvsafe import csv_response
from lib.fiscal import fiscal_year_label
from lib.templatetags.figures import grade_class
from reports.dashboards import charts
from reports.dashboards.filters import IndicatorFilter
from reports.dashboards.tables import IndicatorTable, csv_rows, indicator_rows
from reviews.models import Opinion
from reviews.queries import opinions_for_year

PER_PAGE = 50


def placements_prefetch() -> Prefetch:
    return Prefetch(
        "placements",
        queryset=Placement.objects.select_related("policy__measure__goal", "policy__reposted_from"),
    )


def evaluated(indicators, years, scale: Scale, internal: bool) -> list[Evaluation]:
    """Evaluations of the fetched indicators in `years`; outsiders' figures count only once approved."""
    years = list(years)
    return [evaluate_indicator(i, years, scale, approved_only=not internal) for i in indicators]


def visible(actual: ActualValue, internal: bool) -> bool:
    return actual.value is not None and (internal or actual.status == ActualValue.Status.APPROVED)


class FiscalYearForm(forms.Form):
    fy = forms.TypedChoiceField(label=gettext_lazy("年度"), coerce=int, required=False)

    def __init__(self, *args, years, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fy"].choices = [(year, fiscal_year_label(year)) for year in years]
        self.fields["fy"].error_messages["invalid_choice"] = gettext_lazy(
            "年度「%(value)s」は計画期間にありません。"
        )


def default_year(strategy: Strategy, indicators, internal: bool) -> int:
    """The latest plan year with any figure the viewer may see, else the plan's first year."""
    plan_years = set(strategy.plan_years)
    seen = {
        a.fiscal_year
        for i in indicators
        for a in i.actuals.all()
        if a.fiscal_year in plan_years and visible(a, internal)
    }
    return max(seen) if seen else strategy.first_year


def choose_year(
    request: HttpRequest, strategy: Strategy, indicators, internal: bool
) -> tuple[int, FiscalYearForm, int]:
    """The year asked for (?fy=2025); an unknown one is refused (400) and the default year shown."""
    form = FiscalYearForm(request.GET or None, years=strategy.plan_years)
    fallback = default_year(strategy, indicators, internal)
    if not form.is_bound:
        form = FiscalYearForm(initial={"fy": fallback}, years=strategy.plan_years)
        return fallback, form, 200
    if form.is_valid():
        return form.cleaned_data["fy"] or fallback, form, 200
    return fallback, form, 400


def grade_rank(scale: Scale) -> dict[str, int]:
    """Top band 0, then down; 評価不能 last."""
    return {label: index for index, label in enumerate(scale.labels)}


@dataclass
class GradeChange:
    evaluation: Evaluation
    before: str
    after: str
    direction: str  # "up" / "down" / "new" / "lost"


def grade_changes(evaluations: list[Evaluation], year: int, scale: Scale) -> list[GradeChange]:
    """Indicators whose grade differs from the previous plan year: improvements first."""
    if not evaluations or year - 1 not in evaluations[0].results:
        return []
    rank = grade_rank(scale)
    changes = []
    for e in evaluations:
        before, after = e.year(year - 1).grade, e.year(year).grade
        if before == after:
            continue
        if before == NOT_EVALUABLE:
            direction = "new"
        elif after == NOT_EVALUABLE:
            direction = "lost"
        else:
            direction = "up" if rank[after] < rank[before] else "down"
        changes.append(GradeChange(e, before, after, direction))
    order = {"up": 0, "new": 1, "down": 2, "lost": 3}
    return sorted(changes, key=lambda c: order[c.direction])


def distribution_rows(labelled: list[tuple[str, list[Evaluation]]], year: int, scale: Scale):
    """(label, Rollup) per group, then the total (each indicator counted once)."""
    rows = [(label, rollup(group, year, scale)) for label, group in labelled]
    everyone = [e for _label, group in labelled for e in group]
    return rows, rollup(everyone, year, scale)


def kgi_card(evaluation: Evaluation, year: int, scale: Scale, years) -> dict:
    return {
        "evaluation": evaluation,
        "indicator": evaluation.indicator,
        "result": evaluation.year(year),
        "chart": charts.trend_figure(evaluation, scale, years, compact=True),
        "chart_id": f"chart-{evaluation.indicator.code}",
        "years": [evaluation.year(y) for y in years],
    }


def public_plan(request: HttpRequest, strategy: Strategy | None) -> HttpResponse:
    """The published plan: goals and KGIs with baseline, target and source, no figures."""
    goals = []
    if strategy is not None:
        kgis = Indicator.objects.filter(strategy=strategy, kind=Kind.KGI).order_by("order")
        goals = strategy.goals.prefetch_related(Prefetch("indicators", queryset=kgis, to_attr="kgis"))
    return render(request, "dashboards/plan.html", {"strategy": strategy, "goals": goals})


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    strategy = current_strategy(request)
    if strategy is None or not can_read_dashboards(request.user):
        return public_plan(request, strategy)
    internal = can_read_internal(request.user)
    scale = scale_for(strategy)
    goals = list(strategy.goals.all())
    indicators = list(Indicator.objects.of_strategy(strategy).with_figures())
    year, year_form, status = choose_year(request, strategy, indicators, internal)
    years = strategy.plan_years
    # KGIs' cards show every year; the rest needs this year and the one before (what changed).
    evaluations = [
        e
        for kind, needed in ((Kind.KGI, years), (Kind.KPI, [y for y in years if y in (year - 1, year)]))
        for e in evaluated([i for i in indicators if i.kind == kind], needed, scale, internal)
    ]
    position = {indicator.pk: n for n, indicator in enumerate(indicators)}
    evaluations.sort(key=lambda e: position[e.indicator.pk])

    kgis_by_goal = [
        (
            goal,
            [
                kgi_card(e, year, scale, years)
                for e in evaluations
                if e.indicator.goal_id == goal.pk and e.indicator.kind == Kind.KGI
            ],
        )
        for goal in goals
    ]
    kpis = [e for e in evaluations if e.indicator.kind == Kind.KPI]
    rows, total = distribution_rows(
        [
            (_("基本目標%(number)s") % {"number": g.number}, [e for e in kpis if e.indicator.goal_id == g.pk])
            for g in goals
        ],
        year,
        scale,
    )
    changes = grade_changes(evaluations, year, scale)
    context = {
        "strategy": strategy,
        "internal": internal,
        "scale": scale,
        "year": year,
        "previous_year": year - 1 if year - 1 in years else None,
        "year_form": year_form,
        "kgis_by_goal": kgis_by_goal,
        "distribution": list(zip(goals, rows, strict=True)),
        "distribution_total": total,
        "distribution_chart": charts.distribution_figure(rows, scale),
        "changes": changes,
        "changes_up": sum(c.direction in ("up", "new") for c in changes),
        "changes_down": sum(c.direction in ("down", "lost") for c in changes),
        "indicator_count": len(evaluations),
    }
    return render(request, "dashboards/home.html", context, status=status)


def plan_rows(goal: Goal, evaluations: dict[int, Evaluation], year: int) -> list[dict]:
    """measures → policies → KPIs as table rows; a policy without KPIs still gets its row."""
    measures = Measure.objects.filter(goal=goal).prefetch_related(
        Prefetch(
            "policies",
            queryset=Policy.objects.select_related("reposted_from__measure").prefetch_related(
                Prefetch("placements", queryset=Placement.objects.order_by("order"))
            ),
        )
    )
    rows = []
    for measure in measures:
        measure_rows = []
        for policy in measure.policies.all():
            placed = [p for p in policy.placements.all() if p.indicator_id in evaluations]
            for index, placement in enumerate(placed or [None]):
                evaluation = evaluations.get(placement.indicator_id) if placement else None
                measure_rows.append(
                    {
                        "policy": policy,
                        "first_of_policy": index == 0,
                        "policy_span": max(len(placed), 1),
                        "placement": placement,
                        "evaluation": evaluation,
                        "result": evaluation.year(year) if evaluation else None,
                        "record": evaluation.record(year) if evaluation else None,
                    }
                )
        rows.append({"measure": measure, "rows": measure_rows})
    return rows


@require_GET
@require(can_read_dashboards, reason="dashboards")
def goal_detail(request: HttpRequest, code: str) -> HttpResponse:
    strategy = current_strategy_or_404(request)
    goal = get_object_or_404(Goal, strategy=strategy, code=code)
    internal = can_read_internal(request.user)
    scale = scale_for(strategy)
    # Its own indicators and those it shows again (【再掲】).
    placed = Placement.objects.filter(policy__measure__goal=goal).values("indicator")
    indicators = list(
        Indicator.objects.of_strategy(strategy).filter(Q(goal=goal) | Q(pk__in=placed)).with_figures()
    )
    year, year_form, status = choose_year(request, strategy, indicators, internal)
    years = strategy.plan_years
    evaluations = [
        e
        for kind, needed in ((Kind.KGI, years), (Kind.KPI, [year]))
        for e in evaluated([i for i in indicators if i.kind == kind], needed, scale, internal)
    ]
    by_id = {e.indicator.pk: e for e in evaluations}
    kgis = [
        {**kgi_card(e, year, scale, years), "chart": charts.trend_figure(e, scale, years)}
        for e in evaluations
        if e.indicator.kind == Kind.KGI and e.indicator.goal_id == goal.pk
    ]
    measures = plan_rows(goal, by_id, year)
    labelled = []
    for block in measures:
        measure = block["measure"]
        placed = {r["evaluation"].indicator.pk: r["evaluation"] for r in block["rows"] if r["evaluation"]}
        labelled.append((f"{measure.circled_number} {measure.title}", list(placed.values())))
    rows, total = distribution_rows(labelled, year, scale)
    context = {
        "strategy": strategy,
        "goal": goal,
        "internal": internal,
        "scale": scale,
        "year": year,
        "year_form": year_form,
        "kgis": kgis,
        "measures": measures,
        "distribution": list(zip([b["measure"] for b in measures], rows, strict=True)),
        "distribution_total": rollup([e for e in evaluations if e.indicator.kind == Kind.KPI], year, scale),
        "distribution_chart": charts.distribution_figure(
            [(f"{b['measure'].circled_number}", r) for b, (_label, r) in zip(measures, rows, strict=True)],
            scale,
        ),
        # The council's opinions on this goal or its indicators: this year's, last year's, older open ones.
        "opinions": list(opinions_for_year(strategy, year).filter(Q(goal=goal) | Q(indicator__goal=goal)))
        if internal
        else None,
    }
    return render(request, "dashboards/goal.html", context, status=status)


@require_GET
@require(can_read_dashboards, reason="dashboards")
def indicator_detail(request: HttpRequest, code: str) -> HttpResponse:
    strategy = current_strategy_or_404(request)
    indicator = get_object_or_404(
        Indicator.objects.with_figures().prefetch_related(placements_prefetch()),
        strategy=strategy,
        code=code,
    )
    internal = can_read_internal(request.user)
    scale = scale_for(strategy)
    years = strategy.plan_years
    (evaluation,) = evaluated([indicator], years, scale, internal)
    context = {
        "strategy": strategy,
        "indicator": indicator,
        "evaluation": evaluation,
        "internal": internal,
        "scale": scale,
        "chart": charts.trend_figure(evaluation, scale, years),
        "year_rows": [{"result": evaluation.year(y), "record": evaluation.record(y)} for y in years],
        "placements": sorted(
            indicator.placements.all(),
            key=lambda p: (p.policy.measure.goal.number, p.policy.measure.number, p.policy.number),
        ),
        "history": indicator_history(indicator) if internal else None,
        "opinions": list(Opinion.objects.filter(indicator=indicator).with_related()) if internal else None,
    }
    return render(request, "dashboards/indicator.html", context)


@require_GET
@require(can_read_dashboards, reason="dashboards")
def department_detail(request: HttpRequest, code: str) -> HttpResponse:
    strategy = current_strategy_or_404(request)
    department = get_object_or_404(Department, code=code)
    internal = can_read_internal(request.user)
    scale = scale_for(strategy)
    indicators = Indicator.objects.of_strategy(strategy).filter(department=department).with_figures()
    years = strategy.plan_years
    evaluations = evaluated(indicators, years, scale, internal)
    submissions = {}
    if internal:
        submissions = {
            s.fiscal_year: s for s in Submission.objects.filter(department=department, strategy=strategy)
        }
    rows = [
        {
            "evaluation": e,
            "cells": [{"result": e.year(y), "record": e.record(y)} for y in years],
        }
        for e in evaluations
    ]
    # How many of the department's indicators have a figure in each state, per year.
    states = list(ActualValue.Status)
    entry_counts = [
        {
            "year": y,
            "submission": submissions.get(y),
            "counts": [
                (state, sum(1 for e in evaluations if (r := e.record(y)) and r.status == state))
                for state in states
            ],
            "missing": sum(1 for e in evaluations if e.record(y) is None),
        }
        for y in years
    ]
    context = {
        "strategy": strategy,
        "department": department,
        "internal": internal,
        "scale": scale,
        "years": years,
        "page": Paginator(rows, PER_PAGE).get_page(request.GET.get("page")),
        "row_count": len(rows),
        "entry_counts": entry_counts,
        "states": states,
        "departments": Department.objects.all(),
    }
    return render(request, "dashboards/department.html", context)


@require_GET
@require(can_read_dashboards, reason="dashboards")
def indicator_list(request: HttpRequest) -> HttpResponse:
    """The sortable, filterable indicator table; ?export=csv downloads every filtered row."""
    strategy = current_strategy_or_404(request)
    internal = can_read_internal(request.user)
    scale = scale_for(strategy)
    filterset = IndicatorFilter(
        request.GET or None,
        queryset=Indicator.objects.of_strategy(strategy)
        .with_figures()
        .prefetch_related(placements_prefetch()),
        strategy=strategy,
        scale=scale,
    )
    valid = filterset.is_valid() if filterset.is_bound else True
    indicators = list(filterset.qs) if valid else []
    if valid and filterset.year_given():
        year = filterset.year(default=strategy.first_year)
    else:
        year = default_year(strategy, indicators, internal)
    evaluations = evaluated(indicators, [year], scale, internal)
    rows = filterset.filter_rows(indicator_rows(evaluations, year, scale, internal)) if valid else []
    table = IndicatorTable(rows, internal=internal, year=year)
    RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    if request.GET.get("export") == "csv" and valid:
        header, body = csv_rows(table, internal)
        return csv_response(f"indicators_{strategy.code}_{year}.csv", header, body)
    context = {
        "strategy": strategy,
        "internal": internal,
        "scale": scale,
        "year": year,
        "filter": filterset,
        "table": table,
        "row_count": len(rows),
        "csv_query": _with_export(request),
    }
    return render(request, "dashboards/indicator_list.html", context, status=200 if valid else 400)


def _with_export(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    query["export"] = "csv"
    return query.urlencode()


# The classes lib.templatetags.figures.grade_badge gives each label.


@require_GET
def grade_css(request: HttpRequest) -> HttpResponse:
    """The grade badges in the strategy's own colours (評価区分), the same ones the charts use."""
    strategy = current_strategy(request)
    scale = scale_for(strategy) if strategy else None
    lines = []
    for label in scale.labels if scale else []:
        css = grade_class(label)
        lines.append(
            f".grade-{css} {{ background: {scale.colour_of(label)}; color: {scale.text_colour_of(label)}; }}"
        )
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "max-age=300"
    return response
