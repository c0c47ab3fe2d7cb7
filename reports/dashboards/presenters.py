"""What the dashboard templates show, shaped from the fetched indicators and their evaluations.

The views fetch (reports.dashboards.queries) and render; these functions evaluate what was fetched with
kpis.rules.evaluation and turn the evaluations into cards, table rows, distributions and grade changes.
They run no queries of their own: they read only what the views' queries selected and prefetched.
Outsiders' figures count only once approved (`internal` is False for them).
"""

from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from itertools import groupby
from typing import NamedTuple

from django.utils.translation import gettext as _

from goals.models import Goal, Measure, Policy, Strategy, Vision
from kpis.models import ActualValue, Indicator, Kind, Submission
from kpis.rules.achievement import NOT_EVALUABLE, YearResult
from kpis.rules.evaluation import (
    Evaluation,
    GradeStep,
    Rollup,
    evaluate_indicator,
    rollup,
    rollup_of_grades,
)
from kpis.rules.outlook import ShownForecast, shown_forecast
from kpis.rules.scale import Scale
from lib.colours import text_colour_on
from lib.negatives import triangle_negatives
from lib.paging import Pager
from lib.templatetags.figures import grade_class
from reports.dashboards import charts
from reports.dashboards.queries import Placed

# --- Evaluating what a page fetched ------------------------------------------------------------------


def evaluated(indicators, years, scale: Scale, internal: bool) -> list[Evaluation]:
    """Evaluations of the fetched indicators in `years`; outsiders' figures count only once approved."""
    years = list(years)
    return [evaluate_indicator(i, years, scale, approved_only=not internal) for i in indicators]


def of_kind(evaluations: Iterable[Evaluation], kind: str) -> list[Evaluation]:
    return [e for e in evaluations if e.indicator.kind == kind]


def visible(actual: ActualValue, internal: bool) -> bool:
    return actual.value is not None and (internal or actual.status == ActualValue.Status.APPROVED)


class FigureYears(frozenset):
    """The plan years with a figure the reader may see, read with one query (queries.figure_years): what
    `default_year` needs, given instead of every indicator with its figures."""


def default_year(strategy: Strategy, indicators, internal: bool) -> int:
    """The latest plan year with any figure the viewer may see, else the plan's first year.

    `indicators`: fetched with their figures, or the FigureYears already read."""
    plan_years = set(strategy.plan_years)
    if isinstance(indicators, FigureYears):
        seen = indicators & plan_years
    else:
        seen = {
            a.fiscal_year
            for i in indicators
            for a in i.actuals.all()
            if a.fiscal_year in plan_years and visible(a, internal)
        }
    return max(seen) if seen else strategy.first_year


# --- Grades and what changed -------------------------------------------------------------------------


def grade_rank(scale: Scale) -> dict[str, int]:
    """Top band 0, then down; 評価不能 last."""
    return {label: index for index, label in enumerate(scale.labels)}


@dataclass
class GradeChange:
    indicator: Indicator
    before: str
    after: str
    direction: str  # "up" / "down" / "new" / "lost" / "missing"


def grade_changes(steps: Iterable[GradeStep], scale: Scale) -> list[GradeChange]:
    """The indicators whose grade differs from the previous plan year (kpis.rules.evaluation's
    `stored_grade_steps`): improvements first, then falls, then those not evaluable this year, and last those
    whose figure for this year is not entered yet ("missing": nothing fell, the department has not
    answered)."""
    rank = grade_rank(scale)
    changes = []
    for step in steps:
        if step.before == NOT_EVALUABLE:
            direction = "new"
        elif not step.reported:
            direction = "missing"
        elif step.after == NOT_EVALUABLE:
            direction = "lost"
        else:
            direction = "up" if rank[step.after] < rank[step.before] else "down"
        changes.append(GradeChange(step.indicator, step.before, step.after, direction))
    order = {"up": 0, "new": 1, "down": 2, "lost": 3, "missing": 4}
    return sorted(changes, key=lambda c: order[c.direction])


class ChangeCounts(NamedTuple):
    up: int  # rose, or became evaluable
    down: int  # a grade that really fell, or a figure entered that can no longer be evaluated
    missing: int  # this year's figure not entered yet: not a fall


def change_counts(changes: list[GradeChange]) -> ChangeCounts:
    return ChangeCounts(
        up=sum(c.direction in ("up", "new") for c in changes),
        down=sum(c.direction in ("down", "lost") for c in changes),
        missing=sum(c.direction == "missing" for c in changes),
    )


def grade_css(scale: Scale | None) -> str:
    """The grade badges' classes (lib.templatetags.figures.grade_badge) in the scale's colours.

    Only #rrggbb colours are written (charts.grade_colour) and class names are letters and hex digits
    (grade_class), so a stored value can never add or end a CSS rule.
    """
    lines = []
    for label in scale.labels if scale else []:
        css = grade_class(label)
        colour = charts.grade_colour(scale, label)
        lines.append(f".grade-{css} {{ background: {colour}; color: {text_colour_on(colour)}; }}")
    return "\n".join(lines) + "\n"


# --- Distributions -----------------------------------------------------------------------------------


def distribution_rows(labelled: list[tuple[str, list[Evaluation]]], year: int, scale: Scale):
    """(label, Rollup) per group, then the total (each indicator counted once)."""
    rows = [(label, rollup(group, year, scale)) for label, group in labelled]
    everyone = [e for _label, group in labelled for e in group]
    return rows, rollup(everyone, year, scale)


def goal_distribution(goals: list[Goal], kpis: list[Evaluation], year: int, scale: Scale):
    """The distribution by basic goal: (label, Rollup) per goal, then the total."""
    return distribution_rows(
        [(goal_label(g), [e for e in kpis if e.indicator.goal_id == g.pk]) for g in goals], year, scale
    )


def stored_goal_distribution(goals: list[Goal], by_goal: dict[int, list[str]], scale: Scale):
    """`goal_distribution` of grades read by goal (kpis.rules.evaluation's `stored_grades_by_goal`)."""
    rows = [(goal_label(g), rollup_of_grades(by_goal.get(g.pk, []), scale)) for g in goals]
    return rows, rollup_of_grades([grade for g in goals for grade in by_goal.get(g.pk, [])], scale)


def goal_label(goal: Goal) -> str:
    return _("基本目標%(number)s") % {"number": goal.number}


def measure_chart_rows(distribution: list[tuple[Measure, tuple]]) -> list[tuple[str, Rollup]]:
    """The goal page's distribution chart: measures by their circled number."""
    return [(f"{measure.circled_number}", r) for measure, (_label, r) in distribution]


# --- KGI cards ---------------------------------------------------------------------------------------


def kgi_card(evaluation: Evaluation, year: int, scale: Scale, years, compact: bool = True) -> dict:
    return {
        "evaluation": evaluation,
        "indicator": evaluation.indicator,
        "result": evaluation.year(year),
        "record": evaluation.record(year),
        "chart": charts.trend_figure(evaluation, scale, years, compact=compact),
        "chart_id": f"chart-{evaluation.indicator.code}",
        "years": year_cells(evaluation, years),
    }


def kgis_by_goal(goals: list[Goal], evaluations: list[Evaluation], year: int, scale: Scale, years):
    """(goal, its KGIs' compact cards) per goal, for the overview."""
    return [
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


def goal_kgi_cards(goal: Goal, evaluations: list[Evaluation], year: int, scale: Scale, years) -> list[dict]:
    """The goal page's own KGIs, with full-size trend charts."""
    return [
        kgi_card(e, year, scale, years, compact=False)
        for e in evaluations
        if e.indicator.kind == Kind.KGI and e.indicator.goal_id == goal.pk
    ]


# --- The regional visions and the goals serving them -------------------------------------------------


@dataclass(frozen=True)
class VisionSpan:
    """Neighbouring visions (`span` of them) that a goal serves, or does not serve."""

    span: int
    serves: bool


@dataclass(frozen=True)
class VisionRow:
    goal: Goal
    spans: list[VisionSpan]  # left to right, covering every vision once
    visions: list[Vision]  # the visions it serves


@dataclass(frozen=True)
class VisionMap:
    visions: list[Vision]
    rows: list[VisionRow]


def vision_map(visions: Iterable[Vision], goals: Iterable[Goal]) -> VisionMap:
    """The plan's diagram 「地域ビジョンと基本目標の関係」: the visions side by side, each goal a row under
    the visions it serves, spanning neighbouring ones (`visions` from queries.plan_visions)."""
    visions = list(visions)
    served = [{goal.pk for goal in vision.goals.all()} for vision in visions]
    rows = []
    for goal in goals:
        flags = [goal.pk in pks for pks in served]
        rows.append(
            VisionRow(
                goal=goal,
                spans=[VisionSpan(len(list(run)), serves) for serves, run in groupby(flags)],
                visions=[vision for vision, serves in zip(visions, flags, strict=True) if serves],
            )
        )
    return VisionMap(visions, rows)


# --- Plan tables -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanSlot:
    """One row of a goal's plan table, in plan order: a KPI placed under a policy, a policy without KPIs
    (`placement` None) or a measure without policies (`policy` None too)."""

    measure: Measure
    policy: Policy | None
    placement: Placed | None


def plan_slots(
    measures: Iterable[Measure], placements: Mapping[int, list[Placed]], shown: Container[int]
) -> list[PlanSlot]:
    """measures → policies → placements of the indicators in `shown` (ids), as the plan table's rows.

    `measures` and `placements` (by policy id) come from reports.dashboards.queries.goal_measures and
    goal_placements.
    """
    slots = []
    for measure in measures:
        policies = list(measure.policies.all())
        for policy in policies:
            placed = [p for p in placements.get(policy.pk, ()) if p.indicator_id in shown]
            slots.extend(PlanSlot(measure, policy, p) for p in placed or [None])
        if not policies:
            slots.append(PlanSlot(measure, None, None))
    return slots


def kpi_slots(slots: list[PlanSlot]) -> list[PlanSlot]:
    """The table's KPI rows: what its pages count (`pager`)."""
    return [slot for slot in slots if slot.placement]


def slots_on_page(slots: list[PlanSlot], pager: Pager) -> list[PlanSlot]:
    """The slots of the page showing KPI rows pager.first to pager.last: a policy or measure without KPIs
    is shown with the KPI row that follows it (the last page's when none follows)."""
    total = pager.total
    if not total:
        return slots
    shown, before = [], 0  # before: the KPI rows ahead of the slot
    for slot in slots:
        if pager.first <= min(before + 1, total) <= pager.last:
            shown.append(slot)
        before += slot.placement is not None
    return shown


def plan_rows(slots: Iterable[PlanSlot], evaluations: dict[int, Evaluation], year: int) -> list[dict]:
    """The slots as table rows by measure ({measure, rows}), each policy's rows under one policy cell;
    a page of the table (`slots_on_page`) repeats the measure and policy of its first rows."""
    blocks = []
    for measure, in_measure in groupby(slots, key=lambda s: s.measure):
        rows = []
        with_policy = (s for s in in_measure if s.policy is not None)
        for _policy, in_policy in groupby(with_policy, key=lambda s: s.policy):
            placed = list(in_policy)
            rows.extend(
                _plan_row(slot, index, len(placed), evaluations, year) for index, slot in enumerate(placed)
            )
        blocks.append({"measure": measure, "rows": rows})
    return blocks


def _plan_row(slot: PlanSlot, index: int, span: int, evaluations: dict[int, Evaluation], year: int) -> dict:
    evaluation = evaluations.get(slot.placement.indicator_id) if slot.placement else None
    return {
        "policy": slot.policy,
        "first_of_policy": index == 0,
        "policy_span": span,
        "placement": slot.placement,
        "evaluation": evaluation,
        "result": evaluation.year(year) if evaluation else None,
        "record": evaluation.record(year) if evaluation else None,
    }


def measure_distribution(
    slots: list[PlanSlot], grades: Mapping[int, str], scale: Scale
) -> list[tuple[Measure, tuple]]:
    """The goal page's distribution: (measure, (label, Rollup)) per measure of `plan_slots` (all of them,
    not a page's), from the year's grades by indicator id.

    Each indicator shown under a measure counts once there, 【再掲】 ones included.
    """
    measures = list(dict.fromkeys(slot.measure for slot in slots))
    placed: dict[int, dict[int, str]] = {measure.pk: {} for measure in measures}
    for slot in kpi_slots(slots):
        if (grade := grades.get(slot.placement.indicator_id)) is not None:
            placed[slot.measure.pk][slot.placement.indicator_id] = grade
    return [
        (
            measure,
            (
                f"{measure.circled_number} {measure.title}",
                rollup_of_grades(list(placed[measure.pk].values()), scale),
            ),
        )
        for measure in measures
    ]


def year_cells(evaluation: Evaluation, years) -> list[dict]:
    """One {result, record} per year: the indicator's year table and the department table's cells."""
    return [{"result": evaluation.year(y), "record": evaluation.record(y)} for y in years]


def latest_result(evaluation: Evaluation, years) -> YearResult | None:
    """The latest plan year's result with a figure the reader may see: the grade the forecast stands beside."""
    with_figure = [evaluation.year(y) for y in years if evaluation.year(y).actual is not None]
    return with_figure[-1] if with_figure else None


def forecast(evaluation: Evaluation) -> ShownForecast:
    """The indicator's 達成見込み at the pace of the figures the reader may see (those of the evaluation)."""
    return shown_forecast(evaluation, triangle=triangle_negatives())


def plan_placements(indicator: Indicator) -> list:
    """Where the plan shows the indicator (prefetched placements), in plan order."""
    return sorted(
        indicator.placements.all(),
        key=lambda p: (p.policy.measure.goal.number, p.policy.measure.number, p.policy.number),
    )


# --- Departments -------------------------------------------------------------------------------------


def department_rows(evaluations: list[Evaluation], years) -> list[dict]:
    return [{"evaluation": e, "cells": year_cells(e, years)} for e in evaluations]


def entry_counts(
    counts: dict[tuple[int, str], int],
    indicator_count: int,
    years,
    submissions: dict[int, Submission],
    states,
) -> list[dict]:
    """How many of the department's indicators have a figure in each state, per year, from
    queries.department_entry_counts (by (year, status)); the rest of its indicators are 未入力."""
    return [
        {
            "year": y,
            "submission": submissions.get(y),
            "counts": [(state, counts.get((y, state), 0)) for state in states],
            "missing": indicator_count - sum(n for (year, _state), n in counts.items() if year == y),
        }
        for y in years
    ]
