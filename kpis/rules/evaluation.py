"""The bridge between the models and kpis.rules.achievement: every screen, export and API goes through here.

Callers fetch indicators with `Indicator.objects.with_figures()` (a fixed number of queries), then read
their results in memory, so the cost does not grow with the number of indicators or years. The results were
computed by the rules when an input last changed and stored (kpis.rules.stored): reading them repeats no
arithmetic.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Exists, F, OuterRef, Prefetch, Q, Subquery

from goals.models import Department, Goal, Measure, Strategy
from kpis.models import ActualValue, GradeBand, Indicator, ShownFigure, StoredResult
from kpis.rules import achievement
from kpis.rules.achievement import IndicatorSpec, YearResult
from kpis.rules.scale import Scale

logger = logging.getLogger(__name__)


def scale_for(strategy: Strategy) -> Scale:
    """The strategy's grade scale: its stored bands, or the default ones."""
    return Scale.from_rows(GradeBand.objects.filter(strategy=strategy))


def spec_for(indicator: Indicator, in_force: dict | None = None) -> IndicatorSpec:
    """The indicator's rules; uses the prefetched expected values when present. `in_force`: the baseline
    and target of an earlier revision instead of the indicator's own (values_in_force)."""
    values = in_force or {
        name: getattr(indicator, name)
        for name in ("baseline_year", "baseline_value", "target_year", "target_value")
    }
    return IndicatorSpec(
        direction=achievement.Direction(indicator.direction),
        aggregation=achievement.Aggregation(indicator.aggregation),
        first_year=indicator.strategy.first_year,
        baseline_year=values["baseline_year"],
        baseline=values["baseline_value"],
        target_year=values["target_year"],
        target=values["target_value"],
        explicit_expected={e.fiscal_year: e.value for e in _expected_values(indicator)},
    )


# Where evaluate_plan leaves each indicator's explicit expected values: a list (Prefetch to_attr), which
# costs far less than a prefetched queryset for each of thousands of indicators.
EXPECTED_VALUES = "expected_value_list"


def _expected_values(indicator: Indicator):
    """The indicator's explicit expected values: as evaluate_plan or a prefetch read them, else queried."""
    listed = getattr(indicator, EXPECTED_VALUES, None)
    return indicator.expected_values.all() if listed is None else listed


def values_in_force(indicator: Indicator, fiscal_year: int) -> dict | None:
    """The name, unit, baseline and target a year is evaluated against after mid-term revisions (中間見直し):
    a year before a revision's first year keeps what was in force before it. None: the indicator's own."""
    values = None
    for revision in sorted(indicator.revisions.all(), key=lambda r: r.from_year, reverse=True):
        if fiscal_year < revision.from_year:
            values = revision.before()
    return values


def spec_in_force(indicator: Indicator, fiscal_year: int) -> IndicatorSpec:
    return spec_for(indicator, values_in_force(indicator, fiscal_year))


@dataclass
class Evaluation:
    """One indicator with its results for every plan year."""

    indicator: Indicator
    results: dict[int, YearResult]
    # By year, the figure entered: an ActualValue or, where figures are read lean (the dashboards' tables,
    # the review workbook's years other than the one under review), a ShownFigure.
    records: dict[int, ActualValue | ShownFigure] = field(default_factory=dict)

    def year(self, fiscal_year: int) -> YearResult:
        return self.results[fiscal_year]

    def record(self, fiscal_year: int) -> ActualValue | ShownFigure | None:
        return self.records.get(fiscal_year)


def _records(indicator: Indicator, approved_only: bool) -> dict[int, ActualValue]:
    return {
        a.fiscal_year: a
        for a in indicator.actuals.all()
        if not approved_only or a.status == ActualValue.Status.APPROVED
    }


def compute_indicator(
    indicator: Indicator, years: Iterable[int], scale: Scale, approved_only: bool = False
) -> Evaluation:
    """Evaluate one indicator afresh by the rules; with approved_only, unapproved figures count as not yet
    reported. Only kpis.rules.stored calls this (when an input changes, and to check what is stored)."""
    records = _records(indicator, approved_only)
    actuals = {year: a.value for year, a in records.items() if a.value is not None}
    results = {
        year: achievement.evaluate(spec_in_force(indicator, year), year, actuals, scale.bands)
        for year in years
    }
    return Evaluation(indicator, results, records)


def evaluate_indicator(
    indicator: Indicator, years: Iterable[int], scale: Scale, approved_only: bool = False
) -> Evaluation:
    """One indicator's results as stored when its inputs last changed (kpis.StoredResult, prefetched by
    `with_figures()`): read, not recomputed. A result missing from the store (a bug, or a database not yet
    brought up to date by `manage.py recompute_results`) is computed, and logged."""
    records = _records(indicator, approved_only)
    audience = StoredResult.Audience.PUBLIC if approved_only else StoredResult.Audience.INTERNAL
    stored = {r.fiscal_year: r for r in indicator.results.all() if r.audience == audience}
    years = list(years)
    if any(year not in stored for year in years):
        logger.warning("Results of %s are not stored; computed on read.", indicator.code)
        return compute_indicator(indicator, years, scale, approved_only)
    return Evaluation(indicator, {year: as_year_result(stored[year]) for year in years}, records)


def as_year_result(row: StoredResult) -> achievement.YearResult:
    return achievement.YearResult(
        fiscal_year=row.fiscal_year,
        expected=row.expected,
        actual=row.actual,
        compared=row.compared,
        rate=row.rate,
        grade=row.grade,
        progress=row.progress,
    )


def evaluate_all(
    indicators: Iterable[Indicator],
    strategy: Strategy,
    approved_only: bool = False,
    scale: Scale | None = None,
) -> list[Evaluation]:
    scale = scale or scale_for(strategy)
    years = strategy.plan_years
    return [evaluate_indicator(i, years, scale, approved_only) for i in indicators]


# --- Reading stored results lean: plain values, no figure objects ------------------------------------

# A stored result's fields in YearResult's order, after its fiscal year.
RESULT_FIELDS = ("expected", "actual", "compared", "rate", "grade", "progress")


def stored_results(
    strategy: Strategy, years: list[int], internal: bool, indicators=None
) -> dict[int, dict[int, YearResult]]:
    """By indicator id, its results in `years` as stored (kpis.StoredResult), read as plain values; of every
    indicator or of those `indicators` (a queryset) select."""
    rows = StoredResult.objects.filter(
        indicator__strategy=strategy, audience=_audience(internal), fiscal_year__in=years
    )
    if indicators is not None:
        rows = rows.filter(indicator__in=indicators.values("pk"))
    rows = rows.values_list("indicator_id", "fiscal_year", *RESULT_FIELDS)
    results: dict[int, dict[int, YearResult]] = {}
    for indicator_id, year, *fields in rows:
        results.setdefault(indicator_id, {})[year] = YearResult(year, *fields)
    return results


def lean_evaluations(
    indicators,
    results: dict[int, dict[int, YearResult]],
    years: list[int],
    internal: bool,
    records: dict[int, dict[int, ActualValue]] | None = None,
):
    """Evaluations of `indicators` from `stored_results`, with their entered figures when `records` (by
    indicator id and year, as read for the same audience) is given, else without.

    A result missing from the store (a bug, or a database not yet brought up to date) is computed by
    `evaluate_indicator`, which logs it: one more query, never a wrong figure."""
    missing = {i.pk for i in indicators if any(y not in results.get(i.pk, {}) for y in years)}
    computed = _computed(missing, years, internal)
    records = records or {}
    # The caller's indicator stays, with what its query annotated (the indicator table's `repost`…).
    return [
        Evaluation(i, computed[i.pk].results, computed[i.pk].records)
        if i.pk in computed
        else Evaluation(i, {y: results[i.pk][y] for y in years}, records.get(i.pk, {}))
        for i in indicators
    ]


def year_evaluations(indicators, strategy: Strategy, year: int) -> list[Evaluation]:
    """The internal evaluations of `indicators` (a queryset, in its order) as one year's rows read them (the
    entry and review screens, the checks before a submission): the stored result of `year`, and the figures
    of `year` and of the year before, as ActualValues. Plain values for the results and no prefetch of
    every year of every relation (a department's 400 rows at 100x had 12,000 model objects)."""
    shown = list(indicators.select_related("strategy", "goal", "measure", "department"))
    results = stored_results(strategy, [year], internal=True, indicators=indicators)
    figures = ActualValue.objects.filter(
        indicator__in=indicators.values("pk"), fiscal_year__in=(year - 1, year)
    )
    records = figures_by_indicator(figures, {i.pk: i for i in shown}, approved_only=False)
    return lean_evaluations(shown, results, [year], internal=True, records=records)


def unstored(indicators, fiscal_year: int, internal: bool) -> list[int]:
    """The ids of those `indicators` (a queryset) whose result in `fiscal_year` is missing from the store
    (a bug, or a database not yet brought up to date): one query, empty in a healthy database."""
    stored = StoredResult.objects.filter(
        indicator=OuterRef("pk"), fiscal_year=fiscal_year, audience=_audience(internal)
    )
    return list(indicators.order_by().exclude(Exists(stored)).values_list("pk", flat=True))


def computed_year_results(ids: Iterable[int], fiscal_year: int, internal: bool) -> dict[int, YearResult]:
    """By id, the result in `fiscal_year` of indicators `unstored` found, computed on read (and logged) as
    `evaluate_indicator` computes it."""
    return {pk: e.year(fiscal_year) for pk, e in _computed(set(ids), [fiscal_year], internal).items()}


def _audience(internal: bool) -> str:
    return StoredResult.Audience.INTERNAL if internal else StoredResult.Audience.PUBLIC


def _computed(ids: set[int], years: list[int], internal: bool) -> dict[int, Evaluation]:
    """By id, the evaluations of indicators whose results are missing from the store, computed on read."""
    computed = {}
    for indicator in Indicator.objects.filter(pk__in=ids).with_figures() if ids else ():
        scale = scale_for(indicator.strategy)
        computed[indicator.pk] = evaluate_indicator(indicator, years, scale, approved_only=not internal)
    return computed


def evaluate_plan(
    strategy: Strategy, fiscal_year: int, approved_only: bool = False, scale: Scale | None = None
) -> list[Evaluation]:
    """evaluate_all for every indicator of the strategy, in plan order, the same results read at a lower
    cost for a large plan (the review workbook of `fiscal_year`): the stored results as plain rows of one
    audience, not a model object for each (there are plan years × 2 of them per indicator); the figures of
    `fiscal_year` as ActualValues (their notes, analyses and data periods are shown) and those of the other
    years as ShownFigures (only their values and statuses are), each in one query rather than a prefetch.
    An indicator whose results are not all stored is evaluated as evaluate_indicator does it."""
    scale = scale or scale_for(strategy)
    years = strategy.plan_years
    indicators = _plan_indicators(strategy)
    results = stored_results(strategy, years, internal=not approved_only)
    figures = ActualValue.objects.filter(indicator__strategy=strategy)
    records: dict[int, dict[int, ActualValue | ShownFigure]] = shown_figures(
        figures.exclude(fiscal_year=fiscal_year), approved_only
    )
    by_id = {i.pk: i for i in indicators}
    reviewed = figures_by_indicator(figures.filter(fiscal_year=fiscal_year), by_id, approved_only)
    for indicator_id, by_year in reviewed.items():
        records.setdefault(indicator_id, {}).update(by_year)
    evaluations = []
    for indicator in indicators:
        stored = results.get(indicator.pk, {})
        if any(year not in stored for year in years):
            evaluations.append(_evaluated_alone(indicator, years, scale, approved_only))
            continue
        evaluations.append(
            Evaluation(indicator, {year: stored[year] for year in years}, records.get(indicator.pk, {}))
        )
    return evaluations


def _plan_indicators(strategy: Strategy) -> list[Indicator]:
    """The strategy's indicators in plan order, each linked to its strategy, goal, measure and department as
    select_related links them, but to one object each (not one copy per indicator: 4,800 at 100×), and
    with its explicit expected values (few; spec_for reads them) as a list."""
    indicators = list(
        Indicator.objects.of_strategy(strategy).prefetch_related(
            Prefetch("expected_values", to_attr=EXPECTED_VALUES)
        )
    )
    linked = {
        "strategy": {strategy.pk: strategy},
        "goal": {g.pk: g for g in Goal.objects.filter(strategy=strategy)},
        "measure": {m.pk: m for m in Measure.objects.filter(goal__strategy=strategy)},
        "department": {d.pk: d for d in Department.objects.filter(indicators__strategy=strategy).distinct()},
    }
    for name, objects in linked.items():
        link = Indicator._meta.get_field(name).set_cached_value
        attname = f"{name}_id"
        for indicator in indicators:
            link(indicator, objects.get(getattr(indicator, attname)))
    return indicators


def shown_figures(actuals, approved_only: bool) -> dict[int, dict[int, ShownFigure]]:
    """Indicator id → year → its figure among `actuals` (a queryset; with approved_only, approved ones only)
    as a ShownFigure: plain values, for a table that shows hundreds or thousands of them."""
    if approved_only:
        actuals = actuals.filter(status=ActualValue.Status.APPROVED)
    shown: dict[int, dict[int, ShownFigure]] = {}
    for indicator_id, *fields in actuals.values_list("indicator_id", *ShownFigure._fields):
        figure = ShownFigure(*fields)
        shown.setdefault(indicator_id, {})[figure.fiscal_year] = figure
    return shown


def figures_by_indicator(
    actuals, indicators: dict[int, Indicator], approved_only: bool
) -> dict[int, dict[int, ActualValue]]:
    """Indicator id → year → its figure among `actuals` (a queryset; with approved_only, approved ones
    only), each knowing its indicator from `indicators` (by id) without a query, as a prefetch links it
    (ActualValue.measured_year reads it). A figure of an indicator not in `indicators` (one written after
    they were read) is left out."""
    if approved_only:
        actuals = actuals.filter(status=ActualValue.Status.APPROVED)
    figures: dict[int, dict[int, ActualValue]] = {}
    knows_its_indicator = ActualValue.indicator.field.set_cached_value
    for actual in actuals:
        indicator = indicators.get(actual.indicator_id)
        if indicator is not None:
            knows_its_indicator(actual, indicator)
            figures.setdefault(actual.indicator_id, {})[actual.fiscal_year] = actual
    return figures


def _evaluated_alone(indicator: Indicator, years: list[int], scale: Scale, approved_only: bool) -> Evaluation:
    """An indicator whose results are not all stored (a bug, or a database not yet brought up to date):
    fetched with its figures and evaluated by evaluate_indicator, which computes them and logs."""
    alone = Indicator.objects.with_figures().get(pk=indicator.pk)
    return evaluate_indicator(alone, years, scale, approved_only)


@dataclass(frozen=True)
class Rollup:
    """How many indicators reached each grade in one fiscal year, and the share that reached the top."""

    counts: dict[str, int]
    share_top: Decimal | None

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def rollup(evaluations: Iterable[Evaluation], fiscal_year: int, scale: Scale) -> Rollup:
    # Each Evaluation is one indicator, so a 【再掲】 KPI counts once however often it is shown.
    grades = [e.year(fiscal_year).grade for e in {e.indicator.pk: e for e in evaluations}.values()]
    return rollup_of_grades(grades, scale)


def rollup_of_grades(grades: list[str], scale: Scale) -> Rollup:
    return Rollup(
        achievement.grade_counts(grades, scale.bands), achievement.share_reaching_top(grades, scale.bands)
    )


def rollup_by_goal(
    evaluations: list[Evaluation], goals: Iterable[Goal], fiscal_year: int, scale: Scale
) -> list[tuple[Goal, Rollup]]:
    """Per basic goal (an indicator belongs to the goal where it first appears), in goal order."""
    return [
        (goal, rollup([e for e in evaluations if e.indicator.goal_id == goal.pk], fiscal_year, scale))
        for goal in goals
    ]


def stored_rollup_by_goal(
    indicators, goals: Iterable[Goal], fiscal_year: int, scale: Scale, internal: bool
) -> list[tuple[Goal, Rollup]]:
    """`rollup_by_goal` of the indicators a queryset selects, read lean (`stored_grades_by_goal`)."""
    by_goal = stored_grades_by_goal(indicators, fiscal_year, internal)
    return [(goal, rollup_of_grades(by_goal.get(goal.pk, []), scale)) for goal in goals]


def graded_rows(indicators, fiscal_year: int, internal: bool, *fields: str) -> list[tuple]:
    """(pk, *fields, grade) of each indicator a queryset selects, in its order: the grade as stored in
    `fiscal_year`, looked up by the indicator's key (one index read each, rather than a scan of the year's
    results filtered by the indicators, which PostgreSQL planned as a loop over every result). A grade
    missing from the store is computed, as `lean_evaluations` does."""
    stored = StoredResult.objects.filter(
        indicator=OuterRef("pk"), audience=_audience(internal), fiscal_year=fiscal_year
    )
    rows = list(
        indicators.annotate(stored_grade=Subquery(stored.values("grade")[:1])).values_list(
            "pk", *fields, "stored_grade"
        )
    )
    computed = _computed({row[0] for row in rows if row[-1] is None}, [fiscal_year], internal)
    return [
        row if row[-1] is not None else (*row[:-1], computed[row[0]].year(fiscal_year).grade) for row in rows
    ]


def stored_grades_by_goal(indicators, fiscal_year: int, internal: bool) -> dict[int, list[str]]:
    """By goal id, the stored grades in `fiscal_year` of the indicators a queryset selects that have their
    home in it (an indicator belongs to the goal where it first appears), read as plain values, no indicator
    objects (4,200 KPIs would cost more to build than to count). A grade missing from the store is computed,
    as `lean_evaluations` does."""
    homes = dict(indicators.order_by().values_list("pk", "goal_id"))
    grades = dict(
        StoredResult.objects.filter(
            indicator__in=indicators.values("pk"), audience=_audience(internal), fiscal_year=fiscal_year
        ).values_list("indicator_id", "grade")
    )
    for pk, evaluation in _computed(homes.keys() - grades.keys(), [fiscal_year], internal).items():
        grades[pk] = evaluation.year(fiscal_year).grade
    by_goal: dict[int, list[str]] = {}
    for pk, goal_id in homes.items():
        by_goal.setdefault(goal_id, []).append(grades[pk])
    return by_goal


class GradeStep(NamedTuple):
    """An indicator whose grade differs from the year before's."""

    indicator: Indicator
    before: str
    after: str
    reported: bool  # `after` counts a figure of its year (its result's actual is not None)


def stored_grade_steps(indicators, fiscal_year: int, internal: bool) -> list[GradeStep]:
    """The indicators a queryset selects (in its order) whose stored grade in `fiscal_year` differs from
    their grade in the year before, found by the database: the others, however many, are never fetched. A
    result missing from the store is computed, as `lean_evaluations` does."""
    results = StoredResult.objects.filter(indicator=OuterRef("pk"), audience=_audience(internal))
    before = results.filter(fiscal_year=fiscal_year - 1)
    after = results.filter(fiscal_year=fiscal_year)
    rows = list(
        indicators.annotate(
            grade_before=Subquery(before.values("grade")[:1]),
            grade_after=Subquery(after.values("grade")[:1]),
            reported=Exists(after.filter(actual__isnull=False)),
        ).filter(
            Q(grade_before__isnull=True) | Q(grade_after__isnull=True) | ~Q(grade_before=F("grade_after"))
        )
    )
    unstored = {i.pk for i in rows if i.grade_before is None or i.grade_after is None}
    computed = _computed(unstored, [fiscal_year - 1, fiscal_year], internal)
    steps = []
    for i in rows:
        if i.pk in computed:
            was, now = computed[i.pk].year(fiscal_year - 1), computed[i.pk].year(fiscal_year)
            step = GradeStep(i, was.grade, now.grade, now.actual is not None)
        else:
            step = GradeStep(i, i.grade_before, i.grade_after, i.reported)
        if step.before != step.after:
            steps.append(step)
    return steps
