"""The planning office's indicator form, and the history every kind of change leaves (form, admin)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from kpis.cycle.services import indicator_marker
from kpis.models import ActualValue, ExpectedValue, Indicator
from tests.support.entry import login
from tests.support.factories import set_actual, update_indicators

CODE = "G3-M1-K1"


def edit_url(code=CODE):
    return reverse("cycle:indicator_edit", args=[code])


def form_data(**changes) -> dict:
    """The form as the page shows it for the indicator, with some fields changed."""
    indicator = Indicator.objects.get(code=CODE)
    expected = {e.fiscal_year: e.value for e in indicator.expected_values.all()}
    data = {
        "department": indicator.department_id or "",
        "unit": indicator.unit,
        "direction": indicator.direction,
        "aggregation": indicator.aggregation,
        "baseline_year": indicator.baseline_year or "",
        "baseline_value": "" if indicator.baseline_value is None else str(indicator.baseline_value),
        "target_year": indicator.target_year or "",
        "target_value": "" if indicator.target_value is None else str(indicator.target_value),
        "source_mark": indicator.source_mark,
        "source_note": indicator.source_note,
        "decimal_places": "" if indicator.decimal_places is None else indicator.decimal_places,
        "reason": "",
        "marker": indicator_marker(indicator),
    }
    for year in indicator.strategy.plan_years:
        data[f"expected_{year}"] = str(expected[year]) if year in expected else ""
    data.update(changes)
    return data


@pytest.fixture
def planner(client, users, departments):
    return login(client, users["planning"])


def test_the_form_shows_the_indicators_metadata(planner):
    update_indicators(Indicator.objects.filter(code=CODE), target_year=2027, target_value=Decimal("1234.5"))
    response = planner.get(edit_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert CODE in html and "1,234.5" in html and "2025年度の期待値" in html and "変更理由" in html


def test_the_planning_office_changes_metadata_typed_as_staff_type_it(planner, departments, users):
    response = planner.post(
        edit_url(),
        form_data(
            department=departments[1].pk,
            unit="件",
            direction="lower",
            aggregation="cumulative",
            baseline_year="２０２４",
            baseline_value="１，２００",
            target_year="2027",
            target_value="△５",
            source_mark="※1",
            source_note="住民基本台帳",
            decimal_places="１",
        ),
    )
    assert response.status_code == 302
    indicator = Indicator.objects.get(code=CODE)
    assert (indicator.department, indicator.unit, indicator.direction, indicator.aggregation) == (
        departments[1],
        "件",
        "lower",
        "cumulative",
    )
    assert (indicator.baseline_year, indicator.baseline_value) == (2024, Decimal(1200))
    assert (indicator.target_year, indicator.target_value) == (2027, Decimal(-5))
    assert (indicator.source_mark, indicator.source_note, indicator.decimal_places) == (
        "※1",
        "住民基本台帳",
        1,
    )
    record = indicator.history.latest()
    assert (record.history_user, record.history_change_reason) == (users["planning"], "指標情報の編集")
    assert record.prev_record.unit != "件"  # before and after are both kept


def test_explicit_expected_values_are_set_changed_and_cleared_per_plan_year(planner, users):
    assert planner.post(edit_url(), form_data(expected_2025="１０", expected_2026="20")).status_code == 302
    assert dict(ExpectedValue.objects.values_list("fiscal_year", "value")) == {
        2025: Decimal(10),
        2026: Decimal(20),
    }
    assert planner.post(edit_url(), form_data(expected_2025="11", expected_2026="")).status_code == 302
    assert dict(ExpectedValue.objects.values_list("fiscal_year", "value")) == {2025: Decimal(11)}
    kinds = list(
        ExpectedValue.history.order_by("history_id").values_list(
            "fiscal_year", "history_type", "history_user__username"
        )
    )
    assert kinds == [
        (2025, "+", "planning"),
        (2026, "+", "planning"),
        (2025, "~", "planning"),
        (2026, "-", "planning"),
    ]


def test_changing_a_target_after_an_approved_year_needs_a_reason_that_is_kept(planner, users):
    set_actual("G2-M1-K1", 2025, 5, status=ActualValue.Status.APPROVED)
    response = planner.post(edit_url(), form_data(target_year="2027", target_value="90"))
    assert response.status_code == 400
    assert "理由が必要" in response.content.decode()
    assert Indicator.objects.get(code=CODE).target_value is None
    reason = "国の統計基準の変更に合わせて目標を見直し"
    assert (
        planner.post(edit_url(), form_data(target_year="2027", target_value="90", reason=reason)).status_code
        == 302
    )
    record = Indicator.objects.get(code=CODE).history.latest()
    assert (record.target_value, record.history_change_reason, record.history_user) == (
        Decimal(90),
        reason,
        users["planning"],
    )


def test_other_metadata_changes_need_no_reason_after_approval(planner):
    set_actual("G2-M1-K1", 2025, 5, status=ActualValue.Status.APPROVED)
    assert planner.post(edit_url(), form_data(unit="名")).status_code == 302
    assert Indicator.objects.get(code=CODE).unit == "名"


BAD_INPUT = [
    ("department", "999999"),
    ("unit", "x" * 31),
    ("direction", "sideways"),
    ("aggregation", "weekly"),
    ("baseline_year", "二〇二四"),
    ("baseline_year", "1900"),
    ("baseline_value", "abc"),
    ("target_year", "20.5"),
    ("target_value", "12%"),
    ("target_value", "123456789012345"),
    ("source_mark", "x" * 11),
    ("source_note", "x" * 301),
    ("decimal_places", "9"),
    ("decimal_places", "-1"),
    ("expected_2026", "１ー２"),
    ("reason", "x" * 101),
    ("marker", ""),
]


@pytest.mark.parametrize(("field", "typed"), BAD_INPUT)
def test_bad_input_on_any_metadata_field_is_refused_and_nothing_changes(planner, field, typed):
    before = Indicator.objects.get(code=CODE)
    history_before = Indicator.history.count()
    data = form_data(
        unit="変更後", baseline_year="2024", baseline_value="1", target_year="2027", target_value="2"
    )
    data[field] = typed
    response = planner.post(edit_url(), data)
    assert response.status_code == 400
    assert "field-error" in response.content.decode()
    after = Indicator.objects.get(code=CODE)
    assert (after.unit, after.baseline_value, after.target_value) == (
        before.unit,
        before.baseline_value,
        before.target_value,
    )
    assert Indicator.history.count() == history_before
    assert not ExpectedValue.objects.exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"baseline_year": "2024", "baseline_value": ""}, "年度と値を両方"),
        ({"target_year": "", "target_value": "5"}, "年度と値を両方"),
        (
            {"baseline_year": "2027", "baseline_value": "1", "target_year": "2025", "target_value": "2"},
            "基準年度より後",
        ),
    ],
)
def test_inconsistent_baseline_and_target_are_refused(planner, changes, message):
    response = planner.post(edit_url(), form_data(**changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Indicator.objects.get(code=CODE).baseline_value is None


def test_an_unknown_indicator_is_not_found(planner):
    assert planner.get(edit_url("G9-M9-K9")).status_code == 404


# --- history rows from every door --------------------------------------------------------------------


def test_an_admin_edit_of_a_value_keeps_the_user_and_a_reason(client, users):
    actual = set_actual(CODE, 2025, 5, status=ActualValue.Status.DRAFT)
    admin = users["planning"]
    admin.is_staff = True
    admin.is_superuser = True
    admin.save()
    login(client, admin)
    url = reverse("admin:kpis_actualvalue_change", args=[actual.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "indicator": actual.indicator_id,
            "fiscal_year": 2025,
            "value": "6",
            "note": "管理画面で修正",
            "cause_analysis": "",
            "next_step": "",
            "data_period": "",
            "quality": "final",
            "status": "draft",
            "entered_by": "",
            "entered_at_0": "",
            "entered_at_1": "",
            "change_reason": "集計表の訂正",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    record = ActualValue.history.filter(id=actual.pk).latest()
    assert (record.value, record.history_user, record.history_change_reason) == (
        Decimal(6),
        admin,
        "集計表の訂正",
    )
    assert record.prev_record.value == Decimal(5)


def test_a_form_change_keeps_the_user_and_reason_in_the_history(planner, users):
    planner.post(edit_url(), form_data(source_note="町調べ"))
    record = Indicator.history.filter(code=CODE).latest()
    assert (record.source_note, record.history_user, record.history_change_reason) == (
        "町調べ",
        users["planning"],
        "指標情報の編集",
    )


def test_query_count_of_the_metadata_form_does_not_depend_on_the_plan(planner, django_assert_max_num_queries):
    with django_assert_max_num_queries(14):
        assert planner.get(edit_url()).status_code == 200
