"""What the meeting pack (会議資料) shows for one meeting's fiscal year, read through the dashboards' queries
and presenters and kpis.rules.evaluation: achievement is computed there, never here.

Everyone who may open a meeting has a role, so the pack is the internal view: figures not yet approved
are shown, and marked as such (「（未承認）」), as on the meeting page.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from goals.models import Goal, Strategy, Vision
from kpis.models import ActualValue, Kind
from kpis.rules.evaluation import Evaluation, Rollup, rollup, scale_for
from kpis.rules.scale import Scale
from reports.dashboards import presenters, queries
from reports.pack import svg
from reviews.models import GoalEvaluation, Meeting, Opinion
from reviews.queries import opinions_for_year


@dataclass
class KgiBlock:
    evaluation: Evaluation
    chart: str  # inline SVG
    years: list[dict]  # presenters.year_cells: {result, record} per year


@dataclass
class GoalSection:
    goal: Goal
    kgis: list[KgiBlock]
    measures: list[dict]  # presenters.plan_rows: {measure, rows}
    distribution: list  # presenters.measure_distribution: (measure, (label, Rollup))
    distribution_total: Rollup
    distribution_chart: str
    evaluation: GoalEvaluation | None


@dataclass
class OpinionGroup:
    title: str
    opinions: list[Opinion]


@dataclass
class MeetingPack:
    strategy: Strategy
    meeting: Meeting
    year: int
    scale: Scale
    years: list[int]
    visions: list[Vision]  # each with its goals (queries.plan_visions)
    summary: list[tuple[Goal, tuple[str, Rollup]]]
    summary_total: Rollup
    summary_chart: str
    kgis: list[Evaluation]
    goals: list[GoalSection]
    opinions_before: list[OpinionGroup]
    opinions_here: list[OpinionGroup]
    unapproved: int = 0  # the year's figures entered but not yet approved

    @property
    def has_demo_data(self) -> bool:
        return self.strategy.has_demo_data


def _unapproved_count(evaluations: list[Evaluation], year: int) -> int:
    """The year's figures entered but not yet approved (入力中・提出済)."""
    return sum(
        1
        for e in evaluations
        if (record := e.record(year)) is not None
        and record.value is not None
        and record.status != ActualValue.Status.APPROVED
    )


def _goal_section(goal: Goal, evaluations: list[Evaluation], year: int, scale: Scale, years) -> GoalSection:
    by_id = {e.indicator.pk: e for e in evaluations}
    slots = presenters.plan_slots(queries.goal_measures(goal), queries.goal_placements(goal), by_id)
    measures = presenters.plan_rows(slots, by_id, year)
    grades = {pk: e.year(year).grade for pk, e in by_id.items()}
    distribution = presenters.measure_distribution(slots, grades, scale)
    # As on the goal page: every KPI shown under the goal, 【再掲】 ones included, each counted once.
    shown_kpis = [r["evaluation"] for block in measures for r in block["rows"] if r["evaluation"]]
    return GoalSection(
        goal=goal,
        kgis=[
            KgiBlock(e, svg.trend_svg(e, scale, years), presenters.year_cells(e, years))
            for e in evaluations
            if e.indicator.kind == Kind.KGI and e.indicator.goal_id == goal.pk
        ],
        measures=measures,
        distribution=distribution,
        distribution_total=rollup(shown_kpis, year, scale),
        distribution_chart=svg.distribution_svg(
            presenters.measure_chart_rows(distribution),
            scale,
            _("施策の方向別のKPIの評価（%(goal)s）") % {"goal": goal.code},
        ),
        evaluation=None,
    )


def _opinion_groups(opinions: list[Opinion], goals: list[Goal]) -> list[OpinionGroup]:
    """The opinions by what they are about: the whole plan first, then goal by goal (with its indicators)."""
    groups = [OpinionGroup(_("計画全体"), [o for o in opinions if not o.goal_id and not o.indicator_id])]
    for goal in goals:
        about = [
            o for o in opinions if o.goal_id == goal.pk or (o.indicator_id and o.indicator.goal_id == goal.pk)
        ]
        groups.append(
            OpinionGroup(
                _("基本目標%(number)s「%(title)s」") % {"number": goal.number, "title": goal.title}, about
            )
        )
    return [g for g in groups if g.opinions]


def meeting_pack(strategy: Strategy, meeting: Meeting) -> MeetingPack:
    """Everything the pack of `meeting` shows, for the fiscal year the meeting reviews."""
    year = meeting.fiscal_year
    scale = scale_for(strategy)
    years = strategy.plan_years
    goals = list(strategy.goals.order_by("number"))
    indicators = list(queries.strategy_indicators(strategy))
    evaluations = presenters.evaluated(indicators, years, scale, internal=True)
    kpis = presenters.of_kind(evaluations, Kind.KPI)
    rows, total = presenters.goal_distribution(goals, kpis, year, scale)
    sections = [_goal_section(goal, evaluations, year, scale, years) for goal in goals]
    written = {e.goal_id: e for e in GoalEvaluation.objects.filter(goal__strategy=strategy, fiscal_year=year)}
    for section in sections:
        section.evaluation = written.get(section.goal.pk)
    opinions = list(opinions_for_year(strategy, year))
    return MeetingPack(
        strategy=strategy,
        meeting=meeting,
        year=year,
        scale=scale,
        years=years,
        visions=list(queries.plan_visions(strategy)),
        summary=list(zip(goals, rows, strict=True)),
        summary_total=total,
        summary_chart=svg.distribution_svg(
            rows, scale, _("基本目標別のKPIの評価（%(year)s）") % {"year": year}
        ),
        kgis=presenters.of_kind(evaluations, Kind.KGI),
        goals=sections,
        opinions_before=_opinion_groups([o for o in opinions if o.meeting_id != meeting.pk], goals),
        opinions_here=_opinion_groups([o for o in opinions if o.meeting_id == meeting.pk], goals),
        unapproved=_unapproved_count(evaluations, year),
    )
