import pytest

from kpis.models import ActualValue, Indicator, Kind
from tests.support.factories import build_synthetic_plan

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("copies", [1, 100])
def test_the_synthetic_plan_is_the_real_size_times_copies(copies):
    strategy = build_synthetic_plan(copies)
    assert Indicator.objects.filter(strategy=strategy, kind=Kind.KPI).count() == 42 * copies
    assert Indicator.objects.filter(strategy=strategy, kind=Kind.KGI).count() == 6 * copies
    assert ActualValue.objects.filter(indicator__strategy=strategy).count() == 48 * copies * 3


def test_role_users_have_their_groups_and_departments(users, departments):
    own, other = departments
    assert users["staff_own"].departments.get() == own
    assert users["staff_other"].departments.get() == other
    assert users["planning"].groups.get().name == "planning_office"
