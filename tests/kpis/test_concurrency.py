"""No lost updates: of two saves from the same version, the later one is refused and both values shown."""

from decimal import Decimal

import pytest
from django.urls import reverse

from kpis.cycle import services
from kpis.models import ActualValue, FiscalYear, Indicator
from tests.support.entry import entry_data, entry_url, login, set_year_state, value_of
from tests.support.factories import make_user, set_actual


@pytest.fixture
def two_clerks(client, users, departments, plan, django_user_model):
    """Two staff of こども家庭課 with the page open at the same moment, FY2025 open."""
    from django.test import Client

    set_year_state(plan, 2025, FiscalYear.State.OPEN)
    set_actual("G3-M1-K1", 2025, 100, status=ActualValue.Status.DRAFT, note="当初")
    colleague = make_user("colleague", "department_staff", [departments[0]])
    colleague.last_name = "同僚"
    colleague.save()
    first = login(Client(), colleague)
    second = login(client, users["staff_own"])
    return first, second


def test_the_second_of_two_saves_from_the_same_version_is_refused_and_both_values_are_shown(two_clerks):
    first, second = two_clerks
    seen_by_both = entry_data({})  # both pages carry version 1 of G3-M1-K1
    first_post = {**seen_by_both, **_value("G3-M1-K1", "１１１")}
    second_post = {**seen_by_both, **_value("G3-M1-K1", "２２２")}

    assert first.post(entry_url(), first_post).status_code == 302
    response = second.post(entry_url(), second_post)

    assert response.status_code == 409
    html = response.content.decode()
    conflict = html[html.index('class="conflict"') :]
    assert "111" in conflict and "222" in conflict and "同僚" in conflict
    actual = ActualValue.objects.get(indicator__code="G3-M1-K1", fiscal_year=2025)
    assert (actual.value, actual.version, actual.entered_by.username) == (Decimal(111), 2, "colleague")
    # The typed value is still in the input, now carrying the stored version: saving again is a choice.
    assert 'value="２２２"' in html
    assert f'name="i{actual.indicator_id}-version" value="2"' in html


def test_saving_again_after_seeing_the_conflict_overwrites_deliberately(two_clerks):
    first, second = two_clerks
    seen = entry_data({})
    first.post(entry_url(), {**seen, **_value("G3-M1-K1", "111")})
    second.post(entry_url(), {**seen, **_value("G3-M1-K1", "222")})
    assert second.post(entry_url(), entry_data({"G3-M1-K1": "222"})).status_code == 302
    assert value_of("G3-M1-K1") == Decimal(222)
    assert [
        h.value for h in ActualValue.history.filter(indicator__code="G3-M1-K1").order_by("history_id")
    ] == [
        Decimal(100),
        Decimal(111),
        Decimal(222),
    ]


def test_rows_a_person_did_not_touch_are_not_a_conflict_and_are_left_alone(two_clerks):
    first, second = two_clerks
    seen = entry_data({})
    first.post(entry_url(), {**seen, **_value("G3-M1-K1", "111")})
    # The second clerk only changed G3-M1-K2; G3-M1-K1 still posts what the page showed (100).
    response = second.post(entry_url(), {**seen, **_value("G3-M1-K2", "5")})
    assert response.status_code == 302
    assert value_of("G3-M1-K1") == Decimal(111)
    assert value_of("G3-M1-K2") == Decimal(5)


def test_two_first_entries_of_the_same_row_do_not_overwrite_each_other(two_clerks):
    first, second = two_clerks
    seen = entry_data({})  # G3-M1-K2 has no stored row: version 0 on both pages
    assert first.post(entry_url(), {**seen, **_value("G3-M1-K2", "7")}).status_code == 302
    response = second.post(entry_url(), {**seen, **_value("G3-M1-K2", "8")})
    assert response.status_code == 409
    assert value_of("G3-M1-K2") == Decimal(7)


def test_the_service_writes_only_where_the_version_still_matches(plan, departments, users):
    set_actual("G3-M1-K1", 2025, 1, status=ActualValue.Status.DRAFT)
    indicator = Indicator.objects.get(code="G3-M1-K1")
    row = services.RowInput(indicator=indicator, version=1, value=Decimal(2))
    kwargs = {"user": users["staff_own"], "strategy": plan, "department": departments[0], "fiscal_year": 2025}
    assert len(services.actual_save(rows=[row], **kwargs).saved) == 1
    again = services.actual_save(
        rows=[services.RowInput(indicator=indicator, version=1, value=Decimal(3))], **kwargs
    )
    assert again.saved == [] and len(again.conflicts) == 1
    assert again.conflicts[0].stored.value == Decimal(2)
    assert value_of("G3-M1-K1") == Decimal(2)


def _value(code: str, typed: str) -> dict:
    return {f"i{Indicator.objects.get(code=code).pk}-value": typed}


# --- the metadata form ---------------------------------------------------------------------------------


def _metadata_post(**changes) -> dict:
    indicator = Indicator.objects.get(code="G3-M1-K1")
    data = {
        "department": indicator.department_id or "",
        "unit": indicator.unit,
        "direction": indicator.direction,
        "aggregation": indicator.aggregation,
        "marker": services.indicator_marker(indicator),
    }
    data.update(changes)
    return data


def test_the_second_of_two_metadata_edits_from_the_same_form_is_refused(client, users, departments):
    from django.test import Client

    planner_b = make_user("planner-b", "planning_office")
    url = reverse("cycle:indicator_edit", args=["G3-M1-K1"])
    seen = _metadata_post()
    login(client, users["planning"])
    assert client.post(url, {**seen, "target_year": "2027", "target_value": "８０"}).status_code == 302
    other = login(Client(), planner_b)
    response = other.post(url, {**seen, "target_year": "2027", "target_value": "９０"})
    assert response.status_code == 409
    html = response.content.decode()
    comparison = html[html.index('class="conflict"') :]
    assert "80" in comparison and "90" in comparison
    assert Indicator.objects.get(code="G3-M1-K1").target_value == Decimal(80)


def test_an_admin_edit_makes_an_open_metadata_form_stale(client, users, departments):
    seen = _metadata_post()
    indicator = Indicator.objects.get(code="G3-M1-K1")
    indicator.unit = "名"
    indicator.save()  # as the admin would: a history row
    login(client, users["planning"])
    url = reverse("cycle:indicator_edit", args=["G3-M1-K1"])
    assert client.post(url, {**seen, "unit": "人"}).status_code == 409
    assert Indicator.objects.get(code="G3-M1-K1").unit == "名"
