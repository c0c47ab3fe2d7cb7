"""Closing the PDCA loop: meetings, opinions, responses, evaluations and the carry-over."""

import datetime

import pytest
from django.urls import reverse

from accounts.access import Role
from goals.models import Goal, Policy
from kpis.models import Indicator, NextStep
from reviews.models import GoalEvaluation, Meeting, Opinion, PolicyDirection
from reviews.services import DIRECTION_FIELDS, EVALUATION_FIELDS, marker, opinion_marker
from tests.support.factories import make_user, set_actual

pytestmark = pytest.mark.django_db


@pytest.fixture
def council2(users):
    return make_user("council-2", Role.COUNCIL)


def make_meeting(strategy, year, name=None, body=Meeting.Body.COUNCIL, day=None):
    return Meeting.objects.create(
        strategy=strategy,
        fiscal_year=year,
        body=body,
        name=name or f"{year}年度 第1回創生有識者会議",
        date=day or datetime.date(year + 1, 7, 10),
    )


def login(client, user):
    if user is not None:
        client.force_login(user)
    return client


def record(client, meeting, **data):
    return client.post(reverse("reviews:opinion_create", args=[meeting.pk]), data)


def seen(opinion) -> str:
    """The marker the edit and response forms carry: the opinion as the page showed it."""
    return opinion_marker(Opinion.objects.get(pk=opinion.pk))


def respond(client, opinion, **data):
    data.setdefault("seen", seen(opinion))
    return client.post(reverse("reviews:opinion_respond", args=[opinion.pk]), data)


def blank_markers(*, goals=(), policies=()) -> dict:
    """The markers of goals and policies with nothing stored yet, as the evaluations page shows them."""
    data = {f"goal-{g.pk}-seen": marker(None, EVALUATION_FIELDS) for g in goals}
    data.update({f"policy-{p.pk}-seen": marker(None, DIRECTION_FIELDS) for p in policies})
    return data


def test_a_council_member_records_two_opinions_the_planning_office_answers_and_fy2026_shows_them(
    client, plan, users, django_assert_max_num_queries
):
    fy2025 = make_meeting(plan, 2025, "令和7年度第1回創生有識者会議")
    goal = Goal.objects.get(code="G2")
    kgi = Indicator.objects.get(code="G2-KGI1")
    login(client, users["council"])
    assert (
        record(client, fy2025, speaker="有識者A", goal=goal.pk, text="観光の発信を強化すべき").status_code
        == 302
    )
    assert (
        record(
            client, fy2025, speaker="有識者A", indicator=kgi.pk, text="転入の要因を分析すること"
        ).status_code
        == 302
    )
    on_goal, on_kgi = Opinion.objects.order_by("pk")
    assert (on_goal.fiscal_year, on_goal.author, on_goal.goal) == (2025, users["council"], goal)

    client.force_login(users["planning"])
    assert respond(client, on_goal, response="SNS発信を拡充する", follow_up="in_progress").status_code == 302
    assert respond(client, on_kgi, response="転入者調査を実施した", follow_up="done").status_code == 302
    on_goal.refresh_from_db()
    assert (on_goal.follow_up, on_goal.responded_by) == ("in_progress", users["planning"])

    fy2026 = make_meeting(plan, 2026, "令和8年度第1回創生有識者会議")
    client.force_login(users["council"])
    html = client.get(fy2026.get_absolute_url()).content.decode()
    for text in (
        "観光の発信を強化すべき",
        "SNS発信を拡充する",
        "対応中",
        "転入の要因を分析すること",
        "対応済",
    ):
        assert text in html
    carried = Opinion.objects.carried_into(plan, 2026)
    assert set(carried) == {on_goal, on_kgi}


def test_settled_opinions_stop_being_carried_after_the_next_year(plan, users):
    m = make_meeting(plan, 2025)
    kw = {"strategy": plan, "fiscal_year": 2025, "meeting": m, "speaker": "A", "text": "x"}
    done = Opinion.objects.create(**kw, follow_up="done", response="済")
    open_ = Opinion.objects.create(**kw)
    assert set(Opinion.objects.carried_into(plan, 2026)) == {done, open_}
    assert set(Opinion.objects.carried_into(plan, 2027)) == {open_}


def test_council_members_edit_only_their_own_opinions(client, plan, users, council2):
    m = make_meeting(plan, 2025)
    opinion = Opinion.objects.create(
        strategy=plan, fiscal_year=2025, meeting=m, speaker="A", text="元の意見", author=users["council"]
    )
    url = reverse("reviews:opinion_edit", args=[opinion.pk])
    client.force_login(council2)
    assert client.post(url, {"speaker": "B", "text": "書き換え", "seen": seen(opinion)}).status_code == 403
    client.force_login(users["council"])
    assert (
        client.post(url, {"speaker": "A", "text": "修正した意見", "seen": seen(opinion)}).status_code == 302
    )
    opinion.refresh_from_db()
    assert opinion.text == "修正した意見"
    assert [h.text for h in opinion.history.order_by("history_id")] == ["元の意見", "修正した意見"]
    assert opinion.history.latest().history_user == users["council"]


@pytest.mark.parametrize(
    "who, expected",
    [("anonymous", 302), ("staff_own", 403), ("staff_other", 403), ("council", 403), ("planning", 302)],
)
def test_only_the_planning_office_writes_responses(client, plan, users, who, expected):
    m = make_meeting(plan, 2025)
    opinion = Opinion.objects.create(strategy=plan, fiscal_year=2025, meeting=m, speaker="A", text="x")
    login(client, users[who])
    response = respond(client, opinion, response="r", follow_up="done")
    assert response.status_code == expected
    if who == "anonymous":
        assert response["Location"].startswith(reverse("login"))
    opinion.refresh_from_db()
    assert (opinion.follow_up == "done") == (who == "planning")


@pytest.mark.parametrize(
    "who, get, post",
    [
        ("anonymous", 302, 302),
        ("staff_own", 200, 403),
        ("staff_other", 200, 403),
        ("council", 200, 302),
        ("planning", 200, 302),
    ],
)
def test_recording_an_opinion_by_role(client, plan, users, who, get, post):
    m = make_meeting(plan, 2025)
    login(client, users[who])
    assert client.get(m.get_absolute_url()).status_code == get
    assert record(client, m, speaker="X", text="意見").status_code == post
    assert Opinion.objects.exists() == (post == 302 and who != "anonymous")


@pytest.mark.parametrize("who, expected", [("staff_own", 403), ("council", 403), ("planning", 302)])
def test_only_the_planning_office_creates_meetings(client, plan, users, who, expected):
    login(client, users[who])
    data = {
        "name": "令和7年度第2回創生本部会議",
        "body": "headquarters",
        "date": "2026-08-01",
        "fiscal_year": "2025",
    }
    assert client.post(reverse("reviews:meetings"), data).status_code == expected
    assert Meeting.objects.exists() == (expected == 302)


@pytest.mark.parametrize(
    "data, field",
    [
        ({"speaker": "", "text": "x"}, "speaker"),
        ({"speaker": "A", "text": ""}, "text"),
        ({"speaker": "A", "text": "x", "goal": "G1"}, "goal"),
        ({"speaker": "A", "text": "x", "indicator": "999999"}, "indicator"),
    ],
)
def test_bad_opinion_input_is_refused_beside_the_field_and_nothing_is_saved(client, plan, users, data, field):
    m = make_meeting(plan, 2025)
    client.force_login(users["council"])
    response = record(client, m, **data)
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not Opinion.objects.exists()


def test_an_opinion_names_a_goal_or_an_indicator_not_both(client, plan, users):
    m = make_meeting(plan, 2025)
    client.force_login(users["council"])
    data = {"speaker": "A", "text": "x", "goal": Goal.objects.get(code="G1").pk}
    data["indicator"] = Indicator.objects.get(code="G1-KGI1").pk
    response = record(client, m, **data)
    assert "どちらか一方" in response.content.decode()
    assert not Opinion.objects.exists()


def test_declining_an_opinion_needs_a_reason(client, plan, users):
    m = make_meeting(plan, 2025)
    opinion = Opinion.objects.create(strategy=plan, fiscal_year=2025, meeting=m, speaker="A", text="x")
    client.force_login(users["planning"])
    response = respond(client, opinion, response="", follow_up="declined", follow_up_reason="")
    assert response.status_code == 400 and "理由" in response.content.decode()
    opinion.refresh_from_db()
    assert opinion.follow_up == "open"
    respond(client, opinion, response="", follow_up="declined", follow_up_reason="国の制度で対応済みのため")
    opinion.refresh_from_db()
    assert opinion.follow_up == "declined"


def test_policy_directions_are_proposed_from_the_kpis_next_steps(client, plan, users):
    # G1-M2-P1 has two KPIs: both say 拡充, so the policy's proposal is 拡充.
    set_actual("G1-M2-K1", 2025, 10, next_step=NextStep.EXPAND)
    set_actual("G1-M2-K2", 2025, 3, next_step=NextStep.EXPAND)
    set_actual("G1-M3-K1", 2025, 40, next_step=NextStep.IMPROVE)
    client.force_login(users["council"])
    response = client.get(reverse("reviews:evaluations", args=[2025]))
    proposals = response.context["proposals"]
    assert proposals[Policy.objects.get(code="G1-M2-P1").pk] == "拡充"
    assert proposals[Policy.objects.get(code="G1-M3-P1").pk] == "改善して継続"
    assert Policy.objects.get(code="G2-M1-P1").pk not in proposals


def test_the_planning_office_saves_evaluations_and_directions_and_the_council_cannot(client, plan, users):
    g1, p = Goal.objects.get(code="G1"), Policy.objects.get(code="G1-M1-P2")
    url = reverse("reviews:evaluations", args=[2025])
    data = {f"goal-{g1.pk}-text": "概ね順調に推移している。", f"policy-{p.pk}-direction": "continue"}
    data.update(blank_markers(goals=[g1], policies=[p]))
    client.force_login(users["council"])
    assert client.post(url, data).status_code == 403
    client.force_login(users["planning"])
    assert client.post(url, data).status_code == 302
    assert GoalEvaluation.objects.get(goal=g1, fiscal_year=2025).text == "概ね順調に推移している。"
    assert PolicyDirection.objects.get().direction == "continue"
    assert GoalEvaluation.objects.count() == 1  # the other goals' blank forms saved nothing
    assert GoalEvaluation.history.get().history_user == users["planning"]


def test_an_invalid_direction_saves_nothing(client, plan, users):
    g1, p = Goal.objects.get(code="G1"), Policy.objects.get(code="G1-M1-P2")
    client.force_login(users["planning"])
    data = {f"goal-{g1.pk}-text": "評価", f"policy-{p.pk}-direction": "grow"}
    data.update(blank_markers(goals=[g1], policies=[p]))
    response = client.post(reverse("reviews:evaluations", args=[2025]), data)
    assert response.status_code == 200
    assert not GoalEvaluation.objects.exists() and not PolicyDirection.objects.exists()


def test_a_year_outside_the_plan_is_not_found(client, plan, users):
    client.force_login(users["planning"])
    assert client.get(reverse("reviews:evaluations", args=[2031])).status_code == 404
