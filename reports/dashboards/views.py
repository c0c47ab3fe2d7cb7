"""Dashboards for the expert council and the town: overview, goal, indicator, department, indicator table.

Each view checks access, fetches its indicators once (reports.dashboards.queries), chooses the year,
hands the evaluations to reports.dashboards.presenters and renders, so it costs the same number of
queries for 42 indicators or 4,200. Who sees what: signed-in users with a role see every figure with its
status; anonymous visitors (when settings.PUBLIC_DASHBOARDS is on) see approved figures only, and never
notes, cause analyses or history.
"""

from dataclasses import replace

from django.core.paginator import Page
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django_tables2 import RequestConfig

from accounts.access import can_read_dashboards, can_read_internal, require
from accounts.strategy import all_plans, current_strategy, current_strategy_or_404
from goals.models import Department, Goal, Strategy
from kpis.cycle.history import indicator_history
from kpis.models import ActualValue, Indicator, Kind
from kpis.rules.evaluation import (
    Evaluation,
    computed_year_results,
    graded_rows,
    lean_evaluations,
    rollup_of_grades,
    scale_for,
    stored_grade_steps,
    stored_grades_by_goal,
    stored_results,
    unstored,
)
from kpis.rules.scale import Scale
from lib import paging
from lib.csvsafe import csv_response
from reports.dashboards import charts, presenters, queries, todo
from reports.dashboards.filters import IndicatorFilter
from reports.dashboards.forms import choose_year
from reports.dashboards.lineage import compare, lineage_of, predecessor
from reports.dashboards.tables import IndicatorTable, csv_rows, rows_in_memory

PER_PAGE = 50
# The overview draws every KGI's card up to this many (the real plan has 6); beyond, one goal's at a time,
# KGI_CARDS_PER_PAGE to a page (each card is a chart: about 6 KB of HTML; 12 are four rows of three).
HOME_ALL_KGIS = 12
KGI_CARDS_PER_PAGE = 12
CHANGES_PER_PAGE = 50
# The goal page's plan table: KPI rows to a page (a KPI shown twice, once 【再掲】, is two rows).
PLAN_ROWS_PER_PAGE = 50


def public_plan(request: HttpRequest, strategy: Strategy | None) -> HttpResponse:
    """The published plan: goals and KGIs with baseline, target and source, no figures."""
    if strategy is None:
        return render(request, "dashboards/plan.html", {"strategy": None, "goals": []})
    goals = list(queries.public_goals(strategy))
    context = {
        "strategy": strategy,
        "goals": goals,
        "vision_map": presenters.vision_map(queries.plan_visions(strategy), goals),
    }
    return render(request, "dashboards/plan.html", context)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The overview: KGI cards, the KPIs' grades by goal and what changed since the year before.

    Read lean: the database counts the KPIs' stored grades by goal and finds the indicators whose grade
    changed (nothing is fetched for the others), and only the KGIs whose cards are shown are fetched with
    their figures. A plan with more KGIs than HOME_ALL_KGIS shows one goal's at a time (?goal=G1),
    KGI_CARDS_PER_PAGE to a page; the distribution stays the whole plan's."""
    strategy = current_strategy(request)
    if strategy is None or not can_read_dashboards(request.user):
        return public_plan(request, strategy)
    internal = can_read_internal(request.user)
    scale = scale_for(strategy)
    goals = list(strategy.goals.all())
    seen = presenters.FigureYears(queries.figure_years(strategy, internal))
    year, year_form, status = choose_year(request, strategy, seen, internal)
    years = strategy.plan_years
    indicators = queries.overview_indicators(strategy)
    by_goal = stored_grades_by_goal(indicators.filter(kind=Kind.KPI), year, internal)
    rows, total = presenters.stored_goal_distribution(goals, by_goal, scale)
    steps = stored_grade_steps(indicators, year, internal) if year - 1 in years else []
    changes = presenters.grade_changes(steps, scale)
    kgis = list(indicators.filter(kind=Kind.KGI))
    goal, goal_error = _chosen_goal(request, goals) if len(kgis) > HOME_ALL_KGIS else (None, None)
    cards = paging.pager(
        [i for i in kgis if goal is None or i.goal_id == goal.pk], KGI_CARDS_PER_PAGE, request.GET, "kgi_page"
    )
    shown = presenters.evaluated(
        queries.page_indicators(strategy, (i.pk for i in cards.page)), years, scale, internal
    )
    context = {
        "strategy": strategy,
        "internal": internal,
        "scale": scale,
        "year": year,
        "previous_year": year - 1 if year - 1 in years else None,
        "year_form": year_form,
        "vision_map": presenters.vision_map(queries.plan_visions(strategy), goals),
        "kgis_by_goal": presenters.kgis_by_goal(goals, shown, year, scale, years),
        "goal_tabs": _goal_tabs(request, goals) if len(kgis) > HOME_ALL_KGIS else None,
        "chosen_goal": goal,
        "goal_error": goal_error,
        "kgi_pager": cards,
        "distribution": list(zip(goals, rows, strict=True)),
        "distribution_total": total,
        "distribution_chart": charts.distribution_figure(rows, scale),
        "changes": changes,
        "changes_pager": paging.pager(changes, CHANGES_PER_PAGE, request.GET, "changes_page"),
        "change_counts": presenters.change_counts(changes),
        "indicator_count": len(kgis) + sum(len(grades) for grades in by_goal.values()),
        "todo": todo.todo_for(request.user, strategy),
    }
    return render(request, "dashboards/home.html", context, status=400 if goal_error else status)


def _chosen_goal(request: HttpRequest, goals: list[Goal]) -> tuple[Goal | None, str | None]:
    """The goal whose KGI cards the overview shows (?goal=G1, the first by default), and what is wrong with
    a code the plan does not have (the first goal is shown then, with a 400)."""
    code = request.GET.get("goal")
    chosen = next((g for g in goals if g.code == code), None)
    if chosen is not None or not goals:
        return chosen, None
    if code:
        return goals[0], _("基本目標（goal）: 「%(code)s」はこの計画にありません。") % {"code": code}
    return goals[0], None


def _goal_tabs(request: HttpRequest, goals: list[Goal]) -> list[tuple[Goal, str]]:
    """(goal, the overview's query showing its KGI cards), keeping the year."""
    tabs = []
    for goal in goals:
        query = request.GET.copy()
        query.pop("kgi_page", None)
        query["goal"] = goal.code
        tabs.append((goal, "?" + query.urlencode()))
    return tabs


@require_GET
@require(can_read_dashboards, reason="dashboards")
def goal_detail(request: HttpRequest, code: str) -> HttpResponse:
    """A basic goal: its KGI cards (KGI_CARDS_PER_PAGE to a page, ?kgi_page=), its KPIs' grades by measure
    and the plan table (PLAN_ROWS_PER_PAGE KPI rows to a page, ?kpi_page=; a page repeats the measure and
    policy of its first rows).

    Read lean: the distribution counts the stored grades of every indicator the goal shows (no figure
    objects); only the page's KGIs and KPIs are fetched with their figures."""
    strategy = current_strategy_or_404(request)
    goal = get_object_or_404(Goal, strategy=strategy, code=code)
    internal = can_read_internal(request.user)
    scale = scale_for(strategy)
    indicators = queries.goal_indicators(strategy, goal)
    seen = presenters.FigureYears(queries.figure_years(strategy, internal, indicators))
    year, year_form, status = choose_year(request, strategy, seen, internal)
    listed = graded_rows(indicators, year, internal, "kind", "goal_id")
    grades = {pk: grade for pk, _kind, _goal, grade in listed}
    slots = presenters.plan_slots(queries.goal_measures(goal), queries.goal_placements(goal), grades)
    query = _with_year(request, year)
    own_kgis = [pk for pk, kind, goal_id, _grade in listed if kind == Kind.KGI and goal_id == goal.pk]
    kgi_pager = paging.pager(own_kgis, KGI_CARDS_PER_PAGE, query, "kgi_page")
    kpi_pager = paging.pager(presenters.kpi_slots(slots), PLAN_ROWS_PER_PAGE, query, "kpi_page")
    page_slots = presenters.slots_on_page(slots, kpi_pager)
    cards, rows = _goal_page_figures(strategy, kgi_pager, page_slots, year, scale, internal)
    distribution = presenters.measure_distribution(slots, grades, scale)
    kpi_grades = [grade for _pk, kind, _goal, grade in listed if kind == Kind.KPI]
    context = {
        "strategy": strategy,
        "goal": goal,
        "internal": internal,
        "scale": scale,
        "year": year,
        "year_form": year_form,
        "kgis": presenters.goal_kgi_cards(goal, cards, year, scale, strategy.plan_years),
        "kgi_pager": kgi_pager,
        "measures": presenters.plan_rows(page_slots, rows, year),
        "kpi_pager": kpi_pager,
        "distribution": distribution,
        "distribution_total": rollup_of_grades(kpi_grades, scale),
        "distribution_chart": charts.distribution_figure(presenters.measure_chart_rows(distribution), scale),
        "opinions": queries.goal_opinions(strategy, year, goal) if internal else None,
    }
    return render(request, "dashboards/goal.html", context, status=status)


def _with_year(request: HttpRequest, year: int) -> QueryDict:
    """The request's parameters with the year shown: the links to other pages keep it."""
    query = request.GET.copy()
    query["fy"] = str(year)
    return query


def _goal_page_figures(
    strategy: Strategy,
    kgi_pager: paging.Pager,
    slots: list[presenters.PlanSlot],
    year: int,
    scale: Scale,
    internal: bool,
) -> tuple[list[Evaluation], dict[int, Evaluation]]:
    """The page's KGIs evaluated in every plan year (their charts) and its table's KPIs in `year` (by id)."""
    kgi_ids = set(kgi_pager.page)
    cards = presenters.evaluated(
        queries.page_indicators(strategy, kgi_ids), strategy.plan_years, scale, internal
    )
    kpi_ids = {slot.placement.indicator_id for slot in slots if slot.placement}
    return cards, _year_rows(strategy, kpi_ids, year, internal)


def _year_rows(strategy: Strategy, ids: set[int], year: int, internal: bool) -> dict[int, Evaluation]:
    """By id, the table's indicators evaluated in `year`, each with its figure of that year: read lean,
    their stored results of that year as plain values, not every year's figures and results of each."""
    rows = queries.row_indicators(strategy, ids)
    indicators = list(rows)
    results = stored_results(strategy, [year], internal, rows)
    figures = queries.year_figures(indicators, year, internal)
    return {
        e.indicator.pk: replace(e, records={year: figures[e.indicator.pk]})
        if e.indicator.pk in figures
        else e
        for e in lean_evaluations(indicators, results, [year], internal)
    }


@require_GET
@require(can_read_dashboards, reason="dashboards")
def indicator_detail(request: HttpRequest, code: str) -> HttpResponse:
    strategy = current_strategy_or_404(request)
    indicator = get_object_or_404(queries.indicator_with_plan(), strategy=strategy, code=code)
    internal = can_read_internal(request.user)
    scale = scale_for(strategy)
    years = strategy.plan_years
    (evaluation,) = presenters.evaluated([indicator], years, scale, internal)
    lineage = lineage_of(request, indicator, internal, all_plans(request))
    context = {
        "strategy": strategy,
        "indicator": indicator,
        "evaluation": evaluation,
        "internal": internal,
        "scale": scale,
        "lineage": lineage,
        "chart": charts.trend_figure(evaluation, scale, years, earlier=lineage.earlier),
        "year_rows": presenters.year_cells(evaluation, years),
        "latest": presenters.latest_result(evaluation, years),
        "forecast": presenters.forecast(evaluation),
        "placements": presenters.plan_placements(indicator),
        "history": indicator_history(indicator) if internal else None,
        "opinions": queries.indicator_opinions(indicator) if internal else None,
    }
    return render(request, "dashboards/indicator.html", context)


@require_GET
@require(can_read_dashboards, reason="dashboards")
def department_detail(request: HttpRequest, code: str) -> HttpResponse:
    strategy = current_strategy_or_404(request)
    department = get_object_or_404(Department, code=code)
    internal = can_read_internal(request.user)
    scale = scale_for(strategy)
    years = strategy.plan_years
    indicators = queries.department_indicators(strategy, department)
    # Only the page's indicators are read, with their stored results and figures as entered; the counts
    # per year and status are counted by the database.
    pager = paging.pager(list(indicators.values_list("pk", flat=True)), PER_PAGE, request.GET)
    on_page = indicators.filter(pk__in=list(pager.page))
    page = list(on_page)
    results = stored_results(strategy, years, internal, on_page)
    shown = lean_evaluations(page, results, years, internal, queries.page_figures(page, years, internal))
    states = list(ActualValue.Status)
    entry_counts = []
    if internal:
        counts = queries.department_entry_counts(strategy, department)
        submissions = queries.department_submissions(strategy, department)
        entry_counts = presenters.entry_counts(counts, pager.total, years, submissions, states)
    context = {
        "strategy": strategy,
        "department": department,
        "internal": internal,
        "scale": scale,
        "years": years,
        # The page's rows, numbered as the page of ids they were read for.
        "page": Page(presenters.department_rows(shown, years), pager.page.number, pager.page.paginator),
        "pager": pager,
        "row_count": pager.total,
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
        request.GET or None, queryset=queries.table_indicators(strategy), strategy=strategy, scale=scale
    )
    valid = filterset.is_valid() if filterset.is_bound else True
    indicators = filterset.qs if valid else Indicator.objects.none()
    if valid and filterset.year_given():
        year = filterset.year(default=strategy.first_year)
    else:
        seen = queries.figure_years(strategy, internal, indicators)
        year = presenters.default_year(strategy, presenters.FigureYears(seen), internal)
    filterset.show_year(year)
    data = _table_data(indicators, year, internal, scale, filterset.chosen_grade() if valid else None)
    table = IndicatorTable(data, internal=internal, year=year, scale=scale)
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
        "row_count": len(table.data),
        "csv_query": _with_export(request),
    }
    return render(request, "dashboards/indicator_list.html", context, status=200 if valid else 400)


def _table_data(indicators, year: int, internal: bool, scale: Scale, grade: str | None):
    """The indicator table's rows: read, sorted and paged by the database (queries.table_rows); or, where
    some of their results are not stored (a bug, or a database not yet brought up to date), every row read,
    those results computed, and the list sorted in memory, so the page is never wrong."""
    rows = queries.table_rows(indicators, year, internal)
    missing = unstored(indicators, year, internal)
    if not missing:
        return rows.filter(grade=grade) if grade else rows
    listed = rows_in_memory(
        rows, computed_year_results(missing, year, internal), presenters.grade_rank(scale)
    )
    return [row for row in listed if row["grade"] == grade] if grade else listed


def _with_export(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    query["export"] = "csv"
    return query.urlencode()


@require_GET
def grade_css(request: HttpRequest) -> HttpResponse:
    """The grade badges in the strategy's own colours (評価区分), the same ones the charts use."""
    strategy = current_strategy(request)
    scale = scale_for(strategy) if strategy else None
    response = HttpResponse(presenters.grade_css(scale), content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "max-age=300"
    return response


@require_GET
@require(can_read_dashboards, reason="dashboards")
def plan_comparison(request: HttpRequest) -> HttpResponse:
    """The plan shown beside the one before it: indicators continued, new and ended, in one table."""
    strategy = current_strategy_or_404(request)
    plans = all_plans(request)
    earlier_code = request.GET.get("from")
    earlier = next((p for p in plans if p.code == earlier_code), None) if earlier_code else None
    if earlier is None or earlier.first_year >= strategy.first_year:
        earlier = predecessor(strategy, plans)
    rows = compare(strategy, earlier) if earlier else []
    counts = {status: sum(row.status == status for row in rows) for status in ("continued", "new", "ended")}
    context = {
        "strategy": strategy,
        "earlier": earlier,
        "earlier_plans": [p for p in plans if p.first_year < strategy.first_year],
        "rows": rows,
        "counts": counts,
        "olds": [row.old for row in rows if row.old] if earlier else [],
        "news": [row.new for row in rows if row.new],
    }
    return render(request, "dashboards/plan_comparison.html", context)
