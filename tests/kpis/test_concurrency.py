"""No lost updates: of two saves from the same version, the later one is refused and both values shown;
no state change decided from a state that is no longer the stored one."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts import access
from kpis.cycle import services
from kpis.models import ActualValue, FiscalYear, Indicator, Submission
from tests.support.entry import entry_data, entry_url, field, login, page_data, set_year_state, value_of
from tests.support.factories import build_synthetic_plan, make_user, set_actual


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
    # The typed value is still in the input; the row now asks which to keep, about the stored version 2.
    data = page_data(response)
    assert data[field("G3-M1-K1")] == "２２２" and field("G3-M1-K1", "choice") not in data
    assert data[field("G3-M1-K1", "contested")] == services.stored_mark(actual)


def test_saving_again_after_seeing_the_conflict_overwrites_only_by_choice(two_clerks):
    first, second = two_clerks
    seen = entry_data({})
    first.post(entry_url(), {**seen, **_value("G3-M1-K1", "111")})
    conflict_page = second.post(entry_url(), {**seen, **_value("G3-M1-K1", "222")})
    assert second.post(entry_url(), page_data(conflict_page)).status_code == 409
    assert value_of("G3-M1-K1") == Decimal(111)
    choice = {**page_data(conflict_page), field("G3-M1-K1", "choice"): "overwrite"}
    assert second.post(entry_url(), choice).status_code == 302
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
    set_year_state(plan, 2025, FiscalYear.State.OPEN)
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


# --- every state change decides from the state stored now, not from the object the view read ---------


@pytest.fixture
def submitted(plan, departments, users):
    """FY2025 open, こども家庭課's figures all entered and submitted; a copy of the submission as read then."""
    set_year_state(plan, 2025, FiscalYear.State.OPEN)
    for code in ("G2-KGI1", "G3-M1-K1", "G3-M1-K2", "G3-M1-K3"):
        set_actual(code, 2025, 1, status=ActualValue.Status.DRAFT, note="確認済み")
    submission = services.submission_submit(
        user=users["staff_own"],
        submission=Submission(department=departments[0], strategy=plan, fiscal_year=2025),
    )
    return Submission.objects.get(pk=submission.pk)


def _states(submission) -> list[str]:
    return list(submission.history.order_by("history_id").values_list("state", flat=True))


def test_approving_what_was_returned_meanwhile_is_refused(submitted, users):
    read_by_the_approver = Submission.objects.get(pk=submitted.pk)
    services.submission_return(user=users["planning"], submission=submitted, comment="再集計してください")

    with pytest.raises(services.StateChanged, match="差戻し"):
        services.submission_approve(user=users["planning"], submission=read_by_the_approver)

    assert _states(submitted) == ["submitted", "returned"]
    assert set(ActualValue.objects.values_list("status", flat=True)) == {ActualValue.Status.DRAFT}


def test_a_return_from_a_page_that_showed_it_submitted_is_refused_once_it_was_approved(submitted, users):
    services.submission_approve(user=users["planning"], submission=submitted)
    with pytest.raises(services.StateChanged, match="承認済"):
        services.submission_return(
            user=users["planning"], submission=submitted, comment="差戻し", seen_state="submitted"
        )
    assert _states(submitted) == ["submitted", "approved"]


def test_submitting_what_a_colleague_already_submitted_is_refused(submitted, users):
    stale = Submission.objects.get(pk=submitted.pk)
    stale.state = Submission.State.IN_PROGRESS  # as the colleague's page had read it
    with pytest.raises(services.StateChanged):
        services.submission_submit(user=users["staff_own"], submission=stale)
    assert _states(submitted) == ["submitted"]


def test_submitting_in_a_year_closed_meanwhile_is_refused(plan, departments, users):
    set_year_state(plan, 2025, FiscalYear.State.CLOSED)
    for code in ("G2-KGI1", "G3-M1-K1", "G3-M1-K2", "G3-M1-K3"):
        set_actual(code, 2025, 1, status=ActualValue.Status.DRAFT)
    with pytest.raises(services.StateChanged, match="締切"):
        services.submission_submit(
            user=users["staff_own"],
            submission=Submission(department=departments[0], strategy=plan, fiscal_year=2025),
        )
    assert not Submission.objects.exists()


def test_figures_are_not_saved_once_the_submission_was_submitted_meanwhile(
    submitted, users, departments, plan
):
    row = services.RowInput(indicator=Indicator.objects.get(code="G3-M1-K1"), version=1, value=Decimal(9))
    with pytest.raises(services.StateChanged, match="提出済"):
        services.actual_save(
            user=users["staff_own"],
            strategy=plan,
            department=departments[0],
            fiscal_year=2025,
            rows=[row],
            may_edit=lambda year, submission: access.can_edit_figures(users["staff_own"], year, submission),
        )
    assert value_of("G3-M1-K1") == Decimal(1)


@pytest.mark.parametrize("state", [FiscalYear.State.NOT_OPEN, FiscalYear.State.LOCKED])
def test_no_one_saves_figures_in_a_year_not_open_or_locked(plan, departments, users, state):
    set_year_state(plan, 2025, state)
    row = services.RowInput(indicator=Indicator.objects.get(code="G3-M1-K1"), version=0, value=Decimal(9))
    with pytest.raises(services.StateChanged):
        services.actual_save(
            user=users["planning"], strategy=plan, department=departments[0], fiscal_year=2025, rows=[row]
        )
    assert not ActualValue.objects.exists()


def test_leaving_a_year_locked_meanwhile_still_needs_a_reason(plan, users):
    read_while_open = set_year_state(plan, 2025, FiscalYear.State.OPEN)
    services.fiscal_year_set_state(
        user=users["planning"], fiscal_year=FiscalYear.objects.get(pk=read_while_open.pk), state="locked"
    )
    with pytest.raises(ValidationError, match="理由"):
        services.fiscal_year_set_state(user=users["planning"], fiscal_year=read_while_open, state="closed")
    assert FiscalYear.objects.get(pk=read_while_open.pk).state == FiscalYear.State.LOCKED


def test_opening_a_year_someone_opened_meanwhile_is_a_refusal_not_a_crash(db, users):
    strategy = build_synthetic_plan(1)  # its years have no row yet
    read_before = FiscalYear(strategy=strategy, year=2025)
    services.fiscal_year_set_state(
        user=users["planning"],
        fiscal_year=FiscalYear(strategy=strategy, year=2025),
        state="open",
        deadline=datetime.date(2026, 7, 31),
    )
    with pytest.raises(services.StateChanged, match="入力受付中から入力受付中"):
        services.fiscal_year_set_state(user=users["planning"], fiscal_year=read_before, state="open")
    assert FiscalYear.history.filter(strategy=strategy).count() == 1


def test_a_move_from_a_page_that_showed_another_state_is_refused(plan, users):
    year = set_year_state(plan, 2025, FiscalYear.State.CLOSED)
    with pytest.raises(services.StateChanged, match="締切"):
        services.fiscal_year_set_state(
            user=users["planning"], fiscal_year=year, state="locked", seen_state="open"
        )
    assert FiscalYear.objects.get(pk=year.pk).state == FiscalYear.State.CLOSED
