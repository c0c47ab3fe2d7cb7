"""Review and fiscal-year windows: the whole yearly cycle, and the review pages' query counts."""

from decimal import Decimal

import pytest
from django.urls import reverse

from kpis.models import ActualValue, FiscalYear, Submission
from tests.support.entry import (
    OWN_CODES,
    entry_data,
    entry_url,
    login,
    save_and_submit,
    set_year_state,
    value_of,
)
from tests.support.factories import build_synthetic_plan, make_user, set_actual


def review_url(year=2025, department="kodomo"):
    return reverse("cycle:review_department", args=[year, department])


def set_state(client, year, state, reason=""):
    """The state change as /fiscal-years/ posts it: with a 締切日 when opening, confirmed when locking."""
    data = {"year": year, "state": state, "reason": reason, "deadline": f"{year + 1}-07-31", "confirmed": "1"}
    return client.post(reverse("cycle:fiscal_years"), data)


def test_the_whole_cycle_from_opening_to_reopening_a_locked_year(client, users, plan):
    staff, planning = users["staff_own"], users["planning"]

    # The planning office opens FY2025.
    login(client, planning)
    assert set_state(client, 2025, FiscalYear.State.OPEN).status_code == 302
    assert FiscalYear.objects.get(strategy=plan, year=2025).state == FiscalYear.State.OPEN

    # Staff enter full-width figures and submit.
    login(client, staff)
    values = {"G2-KGI1": "４００", "G3-M1-K1": "１，２３４", "G3-M1-K2": "△３", "G3-M1-K3": "７．５"}
    assert save_and_submit(client, values).status_code == 302
    submission = Submission.objects.get(department__code="kodomo", fiscal_year=2025)
    assert submission.state == Submission.State.SUBMITTED
    assert value_of("G3-M1-K1") == Decimal(1234) and value_of("G3-M1-K2") == Decimal(-3)

    # The planning office sees it as 提出済 and returns it; a return needs a comment.
    login(client, planning)
    html = client.get(reverse("cycle:review", args=[2025])).content.decode()
    assert "こども家庭課" in html and "提出済" in html
    response = client.post(review_url(), {"action": "return", "comment": "  "})
    assert response.status_code == 400
    assert "差戻しの理由" in response.content.decode()
    submission.refresh_from_db()
    assert submission.state == Submission.State.SUBMITTED
    client.post(
        review_url(), {"action": "return", "comment": "G3-M1-K2 は前年度の定義で再集計してください。"}
    )
    submission.refresh_from_db()
    assert submission.state == Submission.State.RETURNED
    assert set(ActualValue.objects.filter(fiscal_year=2025).values_list("status", flat=True)) == {"draft"}

    # Staff see the comment at the top, correct the value and resubmit.
    login(client, staff)
    html = client.get(entry_url()).content.decode()
    assert html.index("前年度の定義で再集計") < html.index("entry-table")
    assert save_and_submit(client, {"G3-M1-K2": "３"}).status_code == 302
    submission.refresh_from_db()
    assert submission.state == Submission.State.SUBMITTED and value_of("G3-M1-K2") == Decimal(3)

    # The planning office approves: every value approved, read-only to staff.
    login(client, planning)
    assert client.post(review_url(), {"action": "approve"}).status_code == 302
    submission.refresh_from_db()
    assert submission.state == Submission.State.APPROVED and submission.reviewed_by == planning
    assert set(ActualValue.objects.filter(fiscal_year=2025).values_list("status", flat=True)) == {"approved"}

    # …and locks the year: nobody changes a value any more.
    assert set_state(client, 2025, FiscalYear.State.LOCKED).status_code == 302
    assert client.post(entry_url(), entry_data({"G3-M1-K1": "1"})).status_code == 409
    assert value_of("G3-M1-K1") == Decimal(1234)

    # Reopening needs a written reason, kept in the history and shown on the page.
    response = set_state(client, 2025, FiscalYear.State.OPEN)
    assert response.status_code == 400 and "理由" in response.content.decode()
    assert FiscalYear.objects.get(strategy=plan, year=2025).state == FiscalYear.State.LOCKED
    assert set_state(client, 2025, FiscalYear.State.OPEN, "統計の確定値が公表されたため").status_code == 302
    assert FiscalYear.objects.get(strategy=plan, year=2025).state == FiscalYear.State.OPEN
    assert "統計の確定値が公表されたため" in client.get(reverse("cycle:fiscal_years")).content.decode()

    # Every step left a history row with its user and reason.
    reopen = FiscalYear.history.filter(year=2025).order_by("-history_id").first()
    assert (reopen.history_user, reopen.history_change_reason) == (planning, "統計の確定値が公表されたため")
    reasons = list(
        Submission.history.filter(department__code="kodomo")
        .order_by("history_id")
        .values_list("state", "history_change_reason", "history_user__username")
    )
    assert reasons == [
        ("in_progress", "入力開始", "staff-own"),
        ("submitted", "提出", "staff-own"),
        ("returned", "差戻し：G3-M1-K2 は前年度の定義で再集計してください。", "planning"),
        ("submitted", "提出", "staff-own"),
        ("approved", "承認", "planning"),
    ]
    value_history = ActualValue.history.filter(indicator__code="G3-M1-K2").order_by("history_id")
    assert [(h.value, h.status, h.history_user.username) for h in value_history] == [
        (Decimal(-3), "draft", "staff-own"),
        (Decimal(-3), "submitted", "staff-own"),
        (Decimal(-3), "draft", "planning"),
        (Decimal(3), "draft", "staff-own"),
        (Decimal(3), "submitted", "staff-own"),
        (Decimal(3), "approved", "planning"),
    ]


def test_only_a_submitted_submission_can_be_approved(client, users, departments, plan):
    set_year_state(plan, 2025, FiscalYear.State.OPEN)
    Submission.objects.create(
        department=departments[0], strategy=plan, fiscal_year=2025, state=Submission.State.IN_PROGRESS
    )
    login(client, users["planning"])
    response = client.post(review_url(), {"action": "approve"})
    assert response.status_code == 409
    assert Submission.objects.get().state == Submission.State.IN_PROGRESS


def test_a_locked_year_cannot_be_reviewed(client, users, departments, plan):
    set_year_state(plan, 2025, FiscalYear.State.LOCKED)
    Submission.objects.create(
        department=departments[0], strategy=plan, fiscal_year=2025, state=Submission.State.SUBMITTED
    )
    login(client, users["planning"])
    assert client.post(review_url(), {"action": "approve"}).status_code == 409
    assert Submission.objects.get().state == Submission.State.SUBMITTED


def test_an_unknown_review_action_is_refused_without_a_change(client, users, departments, plan):
    Submission.objects.create(
        department=departments[0], strategy=plan, fiscal_year=2025, state=Submission.State.SUBMITTED
    )
    login(client, users["planning"])
    assert client.post(review_url(), {"action": "delete"}).status_code == 409
    assert Submission.objects.get().state == Submission.State.SUBMITTED


def test_the_review_page_shows_every_departments_state_with_counts(client, users, departments, plan):
    own, other = departments
    set_actual("G3-M1-K1", 2025, 1, status=ActualValue.Status.SUBMITTED)
    set_actual("G3-M1-K2", 2025, 2, status=ActualValue.Status.SUBMITTED)
    Submission.objects.create(
        department=own, strategy=plan, fiscal_year=2025, state=Submission.State.SUBMITTED
    )
    login(client, users["planning"])
    html = client.get(reverse("cycle:review", args=[2025])).content.decode()
    own_row = html[html.index("こども家庭課") : html.index("</tr>", html.index("こども家庭課"))]
    assert "提出済" in own_row and f"2 / {len(OWN_CODES)}" in own_row
    other_row = html[html.index("商工観光課") : html.index("</tr>", html.index("商工観光課"))]
    assert "未入力" in other_row and "0 / 3" in other_row
    index = client.get(reverse("cycle:review_index")).content.decode()
    assert reverse("cycle:review", args=[2025]) in index


def test_the_review_of_a_department_shows_values_rates_grades_and_notes(client, users, departments, plan):
    set_actual("G2-KGI1", 2025, 400, status=ActualValue.Status.SUBMITTED, note="転入が減少")
    Submission.objects.create(
        department=departments[0], strategy=plan, fiscal_year=2025, state=Submission.State.SUBMITTED
    )
    login(client, users["planning"])
    html = client.get(review_url()).content.decode()
    assert "400" in html and "81.4%" in html and "B+" in html and "転入が減少" in html
    assert 'value="approve"' in html and 'value="return"' in html


def test_a_transition_the_cycle_does_not_know_is_refused(client, users, plan):
    login(client, users["planning"])
    response = set_state(client, 2025, FiscalYear.State.CLOSED)  # not open yet: the state says no
    assert response.status_code == 409
    assert "未開始から締切には変更できません" in response.content.decode()
    assert FiscalYear.objects.get(strategy=plan, year=2025).state == FiscalYear.State.NOT_OPEN
    assert set_state(client, 2019, FiscalYear.State.OPEN).status_code == 400
    assert client.post(reverse("cycle:fiscal_years"), {"year": "x", "state": "open"}).status_code == 400
    assert set_state(client, 2025, "bogus").status_code == 400
    assert not FiscalYear.history.filter(history_type="~").exists()


@pytest.fixture
def synthetic_planning(db):
    def build(copies):
        strategy = build_synthetic_plan(copies)
        for year in strategy.plan_years:
            set_year_state(strategy, year, FiscalYear.State.OPEN)
        department = strategy.indicators.first().department
        Submission.objects.create(
            department=department, strategy=strategy, fiscal_year=2025, state=Submission.State.SUBMITTED
        )
        return make_user(f"planner-{copies}", "planning_office"), department

    return build


@pytest.mark.parametrize("copies", [1, 100])
def test_review_pages_cost_the_same_number_of_queries_at_any_size(
    client, synthetic_planning, django_assert_num_queries, copies
):
    planner, department = synthetic_planning(copies)
    login(client, planner)
    with django_assert_num_queries(7):
        assert client.get(reverse("cycle:review_index")).status_code == 200
    with django_assert_num_queries(8):
        assert client.get(reverse("cycle:review", args=[2025])).status_code == 200
    with django_assert_num_queries(12):
        response = client.get(reverse("cycle:review_department", args=[2025, department.code]))
        assert response.status_code == 200
    with django_assert_num_queries(8):
        assert client.get(reverse("cycle:fiscal_years")).status_code == 200


# --- two planners on the same page -----------------------------------------------------------------


@pytest.fixture
def two_planners(client, users, departments, plan):
    from django.test import Client

    set_year_state(plan, 2025, FiscalYear.State.OPEN)
    Submission.objects.create(
        department=departments[0], strategy=plan, fiscal_year=2025, state=Submission.State.SUBMITTED
    )
    return login(client, users["planning"]), login(Client(), make_user("planning-b", "planning_office"))


def test_the_review_page_carries_the_state_it_shows(two_planners):
    first, _ = two_planners
    html = first.get(review_url()).content.decode()
    assert html.count('name="seen" value="submitted"') == 2  # the approve and the return forms


def test_a_return_pressed_on_a_page_someone_approved_meanwhile_is_refused_with_a_409(two_planners):
    first, second = two_planners
    assert first.post(review_url(), {"action": "approve", "seen": "submitted"}).status_code == 302
    response = second.post(review_url(), {"action": "return", "seen": "submitted", "comment": "再確認"})
    assert response.status_code == 409
    assert "他の人がこの提出を「承認済」にしました" in response.content.decode()
    assert list(Submission.history.order_by("history_id").values_list("state", flat=True)) == [
        "submitted",
        "approved",
    ]


def test_an_approval_pressed_on_a_page_someone_returned_meanwhile_is_refused_with_a_409(two_planners):
    first, second = two_planners
    assert (
        first.post(review_url(), {"action": "return", "seen": "submitted", "comment": "再確認"}).status_code
        == 302
    )
    response = second.post(review_url(), {"action": "approve", "seen": "submitted"})
    assert response.status_code == 409
    assert Submission.objects.get().state == Submission.State.RETURNED
    assert not ActualValue.objects.filter(status=ActualValue.Status.APPROVED).exists()


def test_a_year_move_pressed_on_a_page_someone_moved_meanwhile_is_refused_with_a_409(client, users, plan):
    set_year_state(plan, 2025, FiscalYear.State.OPEN)
    login(client, users["planning"])
    assert 'name="seen" value="open"' in client.get(reverse("cycle:fiscal_years")).content.decode()
    post = {"year": 2025, "state": FiscalYear.State.CLOSED, "seen": FiscalYear.State.OPEN, "reason": ""}
    assert client.post(reverse("cycle:fiscal_years"), post).status_code == 302
    locking = {**post, "state": FiscalYear.State.LOCKED}  # pressed on the page still showing 入力受付中
    response = client.post(reverse("cycle:fiscal_years"), locking)
    assert response.status_code == 409
    assert "他の人がこの年度を「締切」にしました" in response.content.decode()
    assert FiscalYear.objects.get(strategy=plan, year=2025).state == FiscalYear.State.CLOSED
