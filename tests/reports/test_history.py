"""The indicator's change history: field-level changes, readable, in a fixed number of queries."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from kpis.cycle.history import indicator_history
from kpis.models import ActualValue, ExpectedValue, Indicator
from tests.support.factories import make_user, set_actual

pytestmark = pytest.mark.django_db


@pytest.fixture
def edited(plan, departments, users):
    """G2-KGI1 with a changed target, an actual entered then corrected, and an explicit expected value."""
    indicator = Indicator.objects.get(code="G2-KGI1")
    editor = users["planning"]
    indicator._history_user = editor
    indicator.target_value = Decimal("400")
    indicator._change_reason = "総合計画の改定に合わせて修正"
    indicator.save()
    actual = set_actual("G2-KGI1", 2025, 450, status=ActualValue.Status.DRAFT)
    actual._history_user = users["staff_own"]
    actual.value = Decimal("452")
    actual.status = ActualValue.Status.SUBMITTED
    actual.save()
    ExpectedValue.objects.create(indicator=indicator, fiscal_year=2026, value=Decimal("480"))
    return indicator


def test_history_lists_field_level_changes_with_who_and_why(edited):
    changes = indicator_history(edited)
    target = next(c for c in changes if c.field == "目標値")
    assert (target.before, target.after) == ("339", "400")
    assert target.who == "planning" and target.why == "総合計画の改定に合わせて修正"
    assert target.subject == "指標"
    value = next(c for c in changes if c.field == "実績値" and c.before != "−")
    assert (value.before, value.after, value.who) == ("450", "452", "staff-own")
    assert value.subject == "2025年度（令和7年度） 実績値"
    status = next(c for c in changes if c.field == "状態" and c.before != "−")
    assert (status.before, status.after) == ("入力中", "提出済")
    expected = next(c for c in changes if c.subject.endswith("期待値"))
    assert (expected.field, expected.after) == ("期待値", "480")


def test_history_shows_the_indicators_creation_as_one_line_and_skips_unchanged_fields(edited):
    changes = [c for c in indicator_history(edited) if c.subject == "指標"]
    created = [c for c in changes if c.field == "（新規作成）"]
    assert len(created) == 1 and created[0].after == "G2-KGI1 社会増数"
    assert not any(c.field == "名称" for c in changes)


def test_history_is_newest_first_and_in_japan_time(edited):
    changes = indicator_history(edited)
    assert changes == sorted(changes, key=lambda c: c.when, reverse=True)
    assert changes[0].when.utcoffset() == timedelta(hours=9)


def test_history_costs_four_queries_however_long_it_is(edited, django_assert_num_queries):
    with django_assert_num_queries(4):
        indicator_history(edited)
    for value in range(20):
        set_actual("G2-KGI1", 2026, value)
    with django_assert_num_queries(4):
        assert len(indicator_history(edited)) > 20


def test_history_names_departments_not_their_ids(edited, departments):
    _own, other = departments
    edited.department = other
    edited.save()
    change = next(c for c in indicator_history(edited) if c.field == "担当課" and c.before != "−")
    assert (change.before, change.after) == ("こども家庭課", "商工観光課")


@pytest.mark.parametrize("role", ["planning", "council", "staff_own", "staff_other"])
def test_signed_in_roles_see_the_history_on_the_indicator_page(client_as, edited, role):
    html = client_as(role).get(reverse("dashboards:indicator", args=["G2-KGI1"])).content.decode()
    assert "変更履歴" in html and "総合計画の改定に合わせて修正" in html and "日本時間" in html


def test_the_public_never_sees_the_history(client, settings, edited):
    settings.PUBLIC_DASHBOARDS = True
    html = client.get(reverse("dashboards:indicator", args=["G2-KGI1"])).content.decode()
    assert "変更履歴" not in html and "総合計画の改定に合わせて修正" not in html


def test_a_deleted_figure_shows_as_deleted(edited):
    ActualValue.objects.filter(indicator=edited, fiscal_year=2025).get().delete()
    assert any(c.field == "（削除）" for c in indicator_history(edited))


def test_the_time_shown_is_the_change_time(edited):
    change = indicator_history(edited)[0]
    assert abs(change.when - timezone.now()) < timedelta(minutes=5)


def test_a_user_without_role_is_refused_the_indicator_page(client, edited):
    client.force_login(make_user("nobody", None))
    assert client.get(reverse("dashboards:indicator", args=["G2-KGI1"])).status_code == 403
