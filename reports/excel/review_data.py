"""What the review workbook (効果検証) shows, read in a fixed number of queries whatever the size of the plan:
the goals, measures, policies and placements, every indicator's evaluation (from kpis.rules.evaluation)
and the council's opinions with their responses.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from goals.models import Goal, Measure, Policy, Strategy
from kpis.display import triangle_in_exports
from kpis.models import ActualValue, Indicator, Kind, Placement
from kpis.rules.evaluation import (
    Evaluation,
    Rollup,
    evaluate_plan,
    rollup_by_goal,
    scale_for,
    values_in_force,
)
from kpis.rules.outlook import ShownForecast, shown_forecast
from kpis.rules.publication import missing_state
from kpis.rules.scale import Scale
from lib.fiscal import fiscal_year_label, short_date_label
from lib.numbers import MISSING
from reports.excel.review_cells import figure_marks
from reviews.queries import opinions_by_goal, opinions_by_indicator


def _opinion_texts(opinions) -> tuple[str, str]:
    """The opinions (with meeting, its day and the speaker) and their responses (with the follow-up state).

    The meeting's name already says its year (「令和7年度第1回…」): the label does not repeat it."""
    said, answered = [], []
    for opinion in opinions:
        said.append(f"［{opinion_source(opinion)}］{opinion.text}")
        answer = opinion.response or opinion.follow_up_reason or "−"
        answered.append(f"［{opinion.get_follow_up_display()}］{answer}")
    return "\n".join(said), "\n".join(answered)


def opinion_source(opinion) -> str:
    """令和7年度第1回創生有識者会議（2026年7月15日）・有識者A: where an opinion was said, and by whom."""
    return _("%(meeting)s（%(day)s）・%(speaker)s") % {
        "meeting": opinion.meeting.name,
        "day": short_date_label(opinion.meeting.date),
        "speaker": opinion.speaker,
    }


def opinions_for(strategy: Strategy, fiscal_year: int) -> dict[int, tuple[str, str]]:
    """Per indicator id, the council's opinions carried into this year (its own, last year's, older open
    ones) and the responses (対応方針) with their follow-up state."""
    return {
        pk: _opinion_texts(opinions) for pk, opinions in opinions_by_indicator(strategy, fiscal_year).items()
    }


def goal_opinions_for(strategy: Strategy, fiscal_year: int) -> dict[int | None, tuple[str, str]]:
    """The same for opinions on a whole goal (key: goal id) or on the whole plan (key: None)."""
    return {
        key: _opinion_texts(opinions) for key, opinions in opinions_by_goal(strategy, fiscal_year).items()
    }


@dataclass
class ReviewData:
    """Everything the workbook shows, read in a fixed number of queries."""

    strategy: Strategy
    fiscal_year: int
    scale: Scale
    goals: list[Goal]
    measures: dict[int, list[Measure]]  # goal id → measures
    policies: dict[int, list[Policy]]  # measure id → policies
    placements: dict[int, list[Placement]]  # policy id → placements
    evaluations: dict[int, Evaluation]  # indicator id → evaluation
    opinions: dict[int, tuple[str, str]] = field(default_factory=dict)
    goal_opinions: dict[int | None, tuple[str, str]] = field(default_factory=dict)
    triangle: bool = False  # negatives written 「△3」 (the strategy's setting, Japanese only)
    # The day the workbook is made: a figure is 公表待ち until its source's next publication month is over.
    today: datetime.date = field(default_factory=timezone.localdate)
    # Each indicator's forecast, made once: a KGI's stands on the summary and on its goal's sheet, a
    # 【再掲】 KPI's on every sheet that shows it.
    forecasts: dict[int, ShownForecast] = field(default_factory=dict, repr=False)

    def kgis(self, goal: Goal) -> list[Evaluation]:
        return [
            e
            for e in self.evaluations.values()
            if e.indicator.goal_id == goal.pk and e.indicator.kind == Kind.KGI
        ]

    def kpis(self) -> list[Evaluation]:
        return [e for e in self.evaluations.values() if e.indicator.kind == Kind.KPI]

    def kpi_rollups(self) -> list[tuple[Goal, Rollup]]:
        # An indicator belongs to its home goal, so a 【再掲】 KPI is counted once, where it first appears.
        return rollup_by_goal(self.kpis(), self.goals, self.fiscal_year, self.scale)

    def unplaced_kpis(self, measure: Measure) -> list[Evaluation]:
        placed = {p.indicator_id for items in self.placements.values() for p in items}
        return [
            e
            for e in self.evaluations.values()
            if e.indicator.kind == Kind.KPI
            and e.indicator.measure_id == measure.pk
            and e.indicator.pk not in placed
        ]

    def status_text(self, evaluation: Evaluation, year: int) -> str:
        """The 状態 of a year's figure: 入力中, 提出済, 承認済 (with its データ時点 and 速報 p / 改定 r where they
        are worth saying), or, when there is none, 公表待ち（次回公表: 2027年3月） or 未入力."""
        record = evaluation.record(year)
        if record is None or record.value is None:
            return str(missing_state(evaluation.indicator, self.today))
        return record.get_status_display() + figure_marks(record)

    def target(self, indicator: Indicator) -> tuple:
        """(target value, target year, its year's text) in force in the year under review: a mid-term
        revision (中間見直し) applying from a later year leaves the old target, and the text says which."""
        year_text = fiscal_year_label(indicator.target_year) if indicator.target_year else MISSING
        if not indicator.revised_from_year:
            return indicator.target_value, indicator.target_year, year_text
        earlier = values_in_force(indicator, self.fiscal_year)
        if earlier is None:
            note = _("%(year)s年度から見直し後") % {"year": indicator.revised_from_year}
            return indicator.target_value, indicator.target_year, f"{year_text}（{note}）"
        year = earlier["target_year"]
        text = fiscal_year_label(year) if year else MISSING
        note = _("見直し前。%(year)s年度から見直しあり") % {"year": indicator.revised_from_year}
        return earlier["target_value"], year, f"{text}（{note}）"

    def forecast(self, evaluation: Evaluation) -> ShownForecast:
        """The indicator's 達成見込み at the pace of its figures up to the year under review (none after it)."""
        pk = evaluation.indicator.pk
        if pk not in self.forecasts:
            self.forecasts[pk] = shown_forecast(evaluation, triangle=self.triangle, up_to=self.fiscal_year)
        return self.forecasts[pk]

    def unapproved_count(self) -> int:
        """The year's figures that are entered but not yet approved (入力中・提出済)."""
        return sum(
            1
            for e in self.evaluations.values()
            if (record := e.record(self.fiscal_year)) is not None
            and record.value is not None
            and record.status != ActualValue.Status.APPROVED
        )


def review_data(strategy: Strategy, fiscal_year: int) -> ReviewData:
    """The review data of one plan year; ValueError for a year outside the plan."""
    if fiscal_year not in strategy.plan_years:
        raise ValueError(
            _("%(year)s は計画期間（%(first)s〜%(last)s年度）の外です。")
            % {"year": fiscal_year, "first": strategy.first_year, "last": strategy.last_year}
        )
    scale = scale_for(strategy)
    evaluations = {e.indicator.pk: e for e in evaluate_plan(strategy, fiscal_year, scale=scale)}
    goals = list(Goal.objects.filter(strategy=strategy).order_by("number"))
    measures: dict[int, list[Measure]] = defaultdict(list)
    for measure in Measure.objects.filter(goal__strategy=strategy).order_by("goal__number", "number"):
        measures[measure.goal_id].append(measure)
    policies: dict[int, list[Policy]] = defaultdict(list)
    for policy in Policy.objects.filter(measure__goal__strategy=strategy).order_by("measure_id", "number"):
        policies[policy.measure_id].append(policy)
    placements: dict[int, list[Placement]] = defaultdict(list)
    for placement in Placement.objects.filter(policy__measure__goal__strategy=strategy).order_by(
        "policy_id", "order", "pk"
    ):
        placements[placement.policy_id].append(placement)
    return ReviewData(
        strategy=strategy,
        fiscal_year=fiscal_year,
        scale=scale,
        goals=goals,
        measures=measures,
        policies=policies,
        placements=placements,
        evaluations=evaluations,
        opinions=opinions_for(strategy, fiscal_year),
        goal_opinions=goal_opinions_for(strategy, fiscal_year),
        triangle=triangle_in_exports(strategy),
    )
