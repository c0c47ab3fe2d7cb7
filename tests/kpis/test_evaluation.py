from decimal import Decimal

import pytest

from goals.models import Goal
from kpis.models import ActualValue, GradeBand, Indicator, Placement
from kpis.rules import stored
from kpis.rules.achievement import NOT_EVALUABLE
from kpis.rules.evaluation import evaluate_all, rollup, rollup_by_goal, scale_for
from tests.support.factories import set_actual, update_indicators

pytestmark = pytest.mark.django_db

# FY2025 KGI figures giving every grade (see tests/kpis/test_api.py for the worked rates).
KGI_FIGURES = {
    "G1-KGI1": 279000,  # 99.6 B+
    "G2-KGI1": 400,  # 81.4 B+
    "G2-KGI2": 3200,  # 100.9 A
    "G3-KGI1": 8000,  # 95.0 B+
    "G3-KGI2": "1.6",  # 48.9 C
    "G4-KGI1": 60,  # 68.9 B
}


@pytest.fixture
def kgi_figures(plan):
    for code, value in KGI_FIGURES.items():
        set_actual(code, 2025, value)
    return plan


def evaluations(strategy, approved_only=False):
    indicators = Indicator.objects.of_strategy(strategy).with_figures()
    return evaluate_all(indicators, strategy, approved_only=approved_only)


def test_the_plan_rollup_counts_each_grade_and_the_share_reaching_a(kgi_figures):
    scale = scale_for(kgi_figures)
    result = rollup(evaluations(kgi_figures), 2025, scale)
    assert result.counts == {"A": 1, "B+": 3, "B": 1, "C": 1, NOT_EVALUABLE: 42}
    assert result.total == 48
    assert result.share_top == Decimal("16.7")  # 1 of 6 evaluable, rounded half up


def test_a_reposted_kpi_counts_once_however_often_it_is_listed(kgi_figures):
    set_actual("G1-M1-K1", 2025, 5)
    by_pk = {e.indicator.pk: e for e in evaluations(kgi_figures)}
    # A screen lists indicators by placement: the 再掲 KPI appears under G1-M1-P1 and again under G3-M2-P2.
    listed = [by_pk[p.indicator_id] for p in Placement.objects.filter(indicator__strategy=kgi_figures)]
    listed += [e for e in by_pk.values() if e.indicator.kind == "KGI"]
    assert len(listed) == 49
    result = rollup(listed, 2025, scale_for(kgi_figures))
    assert result.total == 48
    assert sum(result.counts.values()) == 48


def test_the_share_reaching_a_counts_evaluable_indicators_only(plan):
    set_actual("G2-KGI2", 2025, 3200)  # A
    set_actual("G2-KGI1", 2025, 400)  # B+
    result = rollup(evaluations(plan), 2025, scale_for(plan))
    assert result.share_top == Decimal("50.0")


def test_the_share_reaching_a_is_none_when_nothing_is_evaluable(plan):
    result = rollup(evaluations(plan), 2025, scale_for(plan))
    assert result.share_top is None
    assert result.counts[NOT_EVALUABLE] == 48


def test_the_rollup_by_goal_follows_goal_order_and_each_goals_own_indicators(kgi_figures):
    scale = scale_for(kgi_figures)
    goals = Goal.objects.filter(strategy=kgi_figures).order_by("number")
    per_goal = rollup_by_goal(evaluations(kgi_figures), goals, 2025, scale)
    assert [goal.code for goal, _ in per_goal] == ["G1", "G2", "G3", "G4"]
    shares = {goal.code: r.share_top for goal, r in per_goal}
    assert shares == {"G1": Decimal("0.0"), "G2": Decimal("50.0"), "G3": Decimal("0.0"), "G4": Decimal("0.0")}
    g2 = dict(per_goal)[goals.get(code="G2")]
    assert {label: n for label, n in g2.counts.items() if label != NOT_EVALUABLE} == {
        "A": 1,
        "B+": 1,
        "B": 0,
        "C": 0,
    }
    assert sum(r.total for _, r in per_goal) == 48


def test_a_reposted_kpi_counts_under_the_goal_where_it_first_appears(plan):
    set_actual("G1-M1-K1", 2025, 5)
    update_indicators(
        Indicator.objects.filter(code="G1-M1-K1"),
        baseline_year=2024,
        baseline_value=0,
        target_year=2027,
        target_value=3,
    )
    per_goal = dict(
        (goal.code, r)
        for goal, r in rollup_by_goal(evaluations(plan), plan.goals.all(), 2025, scale_for(plan))
    )
    assert per_goal["G1"].counts["A"] == 1
    assert per_goal["G3"].counts["A"] == 0
    assert per_goal["G3"].total == Indicator.objects.filter(strategy=plan, goal__code="G3").count()


def test_approved_only_rollups_leave_unapproved_figures_out(kgi_figures):
    drafts = ActualValue.objects.filter(indicator__code="G2-KGI2")
    drafts.update(status=ActualValue.Status.DRAFT)
    stored.refresh(drafts.values_list("indicator_id", flat=True))  # .update() sends no signals
    scale = scale_for(kgi_figures)
    public = rollup(evaluations(kgi_figures, approved_only=True), 2025, scale)
    internal = rollup(evaluations(kgi_figures), 2025, scale)
    assert public.counts["A"] == 0 and public.share_top == Decimal("0.0")
    assert internal.counts["A"] == 1


def test_a_strategys_own_bands_name_the_rollup_grades(kgi_figures):
    GradeBand.objects.filter(strategy=kgi_figures).delete()
    for label, lower in (
        ("◎", Decimal("100.0")),
        ("○", Decimal("90.0")),
        ("△", Decimal("60.0")),
        ("×", None),
    ):
        GradeBand.objects.create(strategy=kgi_figures, label=label, name=label, lower_bound=lower)
    scale = scale_for(kgi_figures)
    result = rollup(evaluations(kgi_figures), 2025, scale)
    # 100.9 ◎; 99.6, 95.0 ○; 81.4, 68.9 △; 48.9 ×
    assert result.counts == {"◎": 1, "○": 2, "△": 2, "×": 1, NOT_EVALUABLE: 42}
    assert result.share_top == Decimal("16.7")


def test_without_bands_the_default_ibaraki_scale_is_used(kgi_figures):
    GradeBand.objects.filter(strategy=kgi_figures).delete()
    scale = scale_for(kgi_figures)
    assert scale.labels == ["A", "B+", "B", "C", NOT_EVALUABLE]
    assert rollup(evaluations(kgi_figures), 2025, scale).counts["B+"] == 3
