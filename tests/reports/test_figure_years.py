"""The plan years in which a reader may see any figure (reports.dashboards.queries.figure_years): what the
overview, the goal page and the indicator table open on when no year is asked for. The query asks the
database year by year; these tests hold it equal to the plain rule, read figure by figure in Python, for
random figures in every status, with and without a value, in and outside the plan years, of this plan and
of another, for internal readers and outsiders, over the whole plan, a goal's indicators and a filtered
table."""

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from goals.models import Strategy
from kpis.models import ActualValue, Indicator
from kpis.rules.evaluation import scale_for
from reports.dashboards import queries
from reports.dashboards.filters import IndicatorFilter
from tests.support.factories import build_synthetic_plan

pytestmark = pytest.mark.django_db

CODES = ["G1-KGI1", "G1-M1-K1", "G2-KGI1", "G2-M1-K1", "G3-M1-K1", "G4-KGI1"]
STATUSES = list(ActualValue.Status)


def plain_rule(strategy: Strategy, internal: bool, indicators) -> set[int]:
    """Every figure looked at one by one."""
    shown = set(indicators.values_list("pk", flat=True))
    return {
        figure.fiscal_year
        for figure in ActualValue.objects.filter(indicator__in=shown)
        if figure.value is not None
        and figure.fiscal_year in strategy.plan_years
        and (internal or figure.status == ActualValue.Status.APPROVED)
        and figure.indicator.strategy_id == strategy.pk
    }


figure_rows = st.lists(
    st.tuples(
        st.sampled_from(CODES),
        st.integers(min_value=2023, max_value=2029),  # the plan runs FY2025–FY2027
        st.sampled_from(STATUSES),
        st.booleans(),  # a value, or a row without one
        st.booleans(),  # of this plan, or of the other one
    ),
    max_size=12,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=figure_rows)
def test_the_years_with_a_visible_figure_are_those_the_plain_rule_finds(plan, rows):
    other = Strategy.objects.filter(code="synthetic").first() or build_synthetic_plan(1)
    ActualValue.objects.filter(indicator__strategy=other).delete()
    with transaction.atomic():
        for code, year, status, has_value, here in rows:
            ActualValue.objects.update_or_create(
                indicator=Indicator.objects.get(strategy=plan if here else other, code=code),
                fiscal_year=year,
                defaults={"value": 12 if has_value else None, "status": status},
            )
        goal = plan.goals.get(code="G2")
        table = IndicatorFilter(
            {"kind": "KPI", "digital": "1"},
            queryset=queries.table_indicators(plan),
            strategy=plan,
            scale=scale_for(plan),
        )
        assert table.is_valid(), table.errors
        for internal in (True, False):
            for indicators in (None, queries.goal_indicators(plan, goal), table.qs):
                expected = plain_rule(plan, internal, indicators or Indicator.objects.filter(strategy=plan))
                assert queries.figure_years(plan, internal, indicators) == expected, (internal, indicators)
        transaction.set_rollback(True)


def test_a_plan_without_years_or_a_refused_filter_has_no_figure_years(plan):
    ActualValue.objects.create(
        indicator=Indicator.objects.get(strategy=plan, code="G1-KGI1"), fiscal_year=2025, value=1
    )
    assert queries.figure_years(plan, True) == {2025}
    assert queries.figure_years(plan, True, Indicator.objects.none()) == set()
    plan.first_year, plan.last_year = 2025, 2024
    assert plan.plan_years == []
    assert queries.figure_years(plan, True) == set()
