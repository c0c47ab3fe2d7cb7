"""What the dashboard pages read of the plan and its figures.

Each function is one query, or one query with a fixed set of prefetches, whatever the plan's size: the
pages evaluate what they fetched in memory (reports.dashboards.presenters), so they cost the same number
of queries for 42 indicators or 4,200 (tests/reports/test_query_counts.py).
"""

from collections.abc import Iterable
from typing import NamedTuple

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Count, Exists, F, FilteredRelation, OuterRef, Prefetch, Q, Value
from django.db.models.expressions import RawSQL

from goals.models import Department, Goal, Measure, Policy, Strategy
from kpis.models import ActualValue, Indicator, Kind, Placement, ShownFigure, StoredResult, Submission
from kpis.rules.evaluation import shown_figures
from reviews.models import Opinion
from reviews.queries import opinions_for_year


def placements_prefetch() -> Prefetch:
    """Where an indicator is shown in the plan: its placements with their policy, measure and goal."""
    return Prefetch(
        "placements",
        queryset=Placement.objects.select_related("policy__measure__goal", "policy__reposted_from"),
    )


def public_goals(strategy: Strategy):
    """The published plan: the strategy's goals, each with its KGIs (`goal.kgis`) and no figures."""
    kgis = Indicator.objects.filter(strategy=strategy, kind=Kind.KGI).order_by("order")
    return strategy.goals.prefetch_related(Prefetch("indicators", queryset=kgis, to_attr="kgis"))


def plan_visions(strategy: Strategy):
    """The strategy's regional visions, each with the goals serving it (`vision.goals.all()`, in plan order)."""
    return strategy.visions.prefetch_related(Prefetch("goals", queryset=Goal.objects.order_by("number")))


def strategy_indicators(strategy: Strategy):
    """Every indicator of the strategy with its figures, in plan order."""
    return Indicator.objects.of_strategy(strategy).with_figures()


def goal_indicators(strategy: Strategy, goal: Goal):
    """The goal's own indicators and those it shows again (【再掲】), in plan order, without their figures:
    only what the page's counts and pages need (fetch a page's figures with `page_indicators`)."""
    # EXISTS, not `pk IN (placed)`: used as a subquery (the page's stored results), the OR with IN made
    # PostgreSQL loop over every indicator of the plan once per row (127 ms at 100×; 27 ms so).
    placed = Placement.objects.filter(indicator=OuterRef("pk"), policy__measure__goal=goal)
    return (
        Indicator.objects.of_strategy(strategy)
        .filter(Q(goal=goal) | Exists(placed))
        .only("code", "kind", "goal", "strategy")
    )


def goal_measures(goal: Goal):
    """The goal's measures → policies (with what they repost), in plan order; their KPIs: `goal_placements`."""
    return Measure.objects.filter(goal=goal).prefetch_related(
        Prefetch("policies", queryset=Policy.objects.select_related("reposted_from__measure"))
    )


class Placed(NamedTuple):
    """A KPI placed under a policy (kpis.Placement, read as plain values)."""

    indicator_id: int
    is_repost: bool


def goal_placements(goal: Goal) -> dict[int, list[Placed]]:
    """By policy id, the KPIs placed under the goal's policies, in their order: read as plain values, as a
    goal at 100 times the real plan has over a thousand."""
    rows = (
        Placement.objects.filter(policy__measure__goal=goal)
        .order_by("order", "pk")
        .values_list("policy_id", "indicator_id", "is_repost")
    )
    by_policy: dict[int, list[Placed]] = {}
    for policy_id, indicator_id, is_repost in rows:
        by_policy.setdefault(policy_id, []).append(Placed(indicator_id, is_repost))
    return by_policy


def goal_opinions(strategy: Strategy, fiscal_year: int, goal: Goal) -> list[Opinion]:
    """The council's opinions on this goal or its indicators: this year's, last year's, older open ones."""
    return list(opinions_for_year(strategy, fiscal_year).filter(Q(goal=goal) | Q(indicator__goal=goal)))


def indicator_with_plan():
    """Indicators with their figures and every place the plan shows them (get one with get_object_or_404)."""
    return Indicator.objects.with_figures().prefetch_related(placements_prefetch())


def indicator_opinions(indicator: Indicator) -> list[Opinion]:
    return list(Opinion.objects.filter(indicator=indicator).with_related())


def department_indicators(strategy: Strategy, department: Department):
    """The indicators a department reports, in plan order (fetch a page's figures with `with_figures()`)."""
    return Indicator.objects.of_strategy(strategy).filter(department=department)


def department_entry_counts(strategy: Strategy, department: Department) -> dict[tuple[int, str], int]:
    """How many of the department's indicators have a figure in each status, by (year, status)."""
    rows = (
        ActualValue.objects.filter(indicator__strategy=strategy, indicator__department=department)
        .order_by()
        .values_list("fiscal_year", "status")
        .annotate(count=Count("pk"))
    )
    return {(year, status): count for year, status, count in rows}


def department_submissions(strategy: Strategy, department: Department) -> dict[int, Submission]:
    """The department's submission of each fiscal year (key: the year)."""
    return {s.fiscal_year: s for s in Submission.objects.filter(department=department, strategy=strategy)}


def table_indicators(strategy: Strategy):
    """The indicator table's indicators, in plan order, before IndicatorFilter narrows them."""
    return Indicator.objects.of_strategy(strategy)


def table_rows(indicators, year: int, internal: bool):
    """The indicator table's rows for `year`, read as plain values in one query: the plan's data, its goal's,
    measure's and department's names, the stored result of the reader's audience (kpis.StoredResult), the
    figure's status (signed-in readers only), and whether a placement is 【再掲】 or under a デジタル活用
    policy. The database sorts, counts and pages them (reports.dashboards.tables.IndicatorTable), so a page
    of 50 costs the same for 48 indicators or 4,800; `id` lets a result missing from the store be filled in."""
    audience = StoredResult.Audience.INTERNAL if internal else StoredResult.Audience.PUBLIC
    placed = Placement.objects.filter(indicator=OuterRef("pk"))
    joined = indicators.annotate(
        result=FilteredRelation(
            "results", condition=Q(results__fiscal_year=year, results__audience=audience)
        ),
        figure=FilteredRelation("actuals", condition=Q(actuals__fiscal_year=year)),
    )
    return joined.values(
        "id",
        "code",
        "kind",
        "name",
        "unit",
        "aggregation",
        "baseline_year",
        "target_year",
        places=F("decimal_places"),
        baseline=F("baseline_value"),
        target=F("target_value"),
        goal_code=F("goal__code"),
        goal_number=F("goal__number"),
        measure_code=F("measure__code"),
        department_name=F("department__name"),
        **{field: F(f"result__{field}") for field in ("expected", "actual", "compared", "rate", "grade")},
        status=F("figure__status") if internal else Value(""),
        repost=Exists(placed.filter(is_repost=True)),
        digital=Exists(placed.filter(policy__is_digital=True)),
    )


def overview_indicators(strategy: Strategy):
    """The overview's indicators in plan order, with only what its distribution and changes show."""
    return Indicator.objects.of_strategy(strategy).only("code", "name", "kind", "goal")


def page_indicators(strategy: Strategy, pks: Iterable[int]):
    """The indicators one page shows (its KGI cards, its table rows), with their figures, in plan order."""
    return Indicator.objects.of_strategy(strategy).filter(pk__in=list(pks)).with_figures()


def row_indicators(strategy: Strategy, pks: Iterable[int]):
    """The indicators of a page's table rows, in plan order, without their figures: the rows show one year,
    read with `stored_results` and `year_figures` instead of every year's figures and results."""
    return (
        Indicator.objects.of_strategy(strategy)
        .filter(pk__in=list(pks))
        .select_related("strategy", "goal", "measure", "department")
    )


def year_figures(indicators: list[Indicator], year: int, internal: bool) -> dict[int, ShownFigure]:
    """By indicator id, each one's figure of `year` as entered (outsiders: approved ones only)."""
    return {pk: by_year[year] for pk, by_year in page_figures(indicators, [year], internal).items()}


def page_figures(
    indicators: list[Indicator], years: list[int], internal: bool
) -> dict[int, dict[int, ShownFigure]]:
    """By indicator id and year, the figures of `years` as entered (outsiders: approved ones only)."""
    figures = ActualValue.objects.filter(
        indicator__in=[i.pk for i in indicators], fiscal_year__in=list(years)
    )
    return shown_figures(figures, approved_only=not internal)


def figure_years(strategy: Strategy, internal: bool, indicators=None) -> set[int]:
    """The plan years in which the reader may see any figure (outsiders: approved ones only), of every
    indicator or of those `indicators` (a queryset) select.

    One query over the plan years, asking of each whether any of the indicators has such a figure: each
    answer stops at the first indicator that has one, found by its (indicator, year) key. A DISTINCT over
    every figure read 48,000 rows at 100 times the real plan (20 ms on SQLite, 10 ms for one goal's); an
    annotation per year cost as much to build and compile. The years are a VALUES list, whose one column
    both SQLite and PostgreSQL name column1."""
    years = strategy.plan_years
    if not years:
        return set()
    figures = ActualValue.objects.filter(
        indicator=OuterRef("pk"), value__isnull=False, fiscal_year=RawSQL("plan_years.column1", ())
    )
    if not internal:
        figures = figures.filter(status=ActualValue.Status.APPROVED)
    indicators = (Indicator.objects.all() if indicators is None else indicators).filter(strategy=strategy)
    any_with_figure = indicators.filter(Exists(figures)).order_by().values("pk")[:1]
    connection = connections[any_with_figure.db]
    try:
        inner, params = any_with_figure.query.get_compiler(connection=connection).as_sql()
    except EmptyResultSet:  # `indicators` is none(): a filter the reader typed was refused
        return set()
    listed = ", ".join(["(%s)"] * len(years))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT column1 FROM (VALUES {listed}) AS plan_years WHERE EXISTS ({inner})", [*years, *params]
        )
        return {year for (year,) in cursor.fetchall()}
