"""Every write of the review screens keeps who and why, and never overwrites a colleague's change unseen."""

import datetime

import pytest
from django.urls import reverse

from goals.models import Goal, Policy
from reviews.models import GoalEvaluation, Meeting, Opinion, PolicyDirection
from reviews.services import DIRECTION_FIELDS, EVALUATION_FIELDS, marker, opinion_marker

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting(plan):
    return Meeting.objects.create(
        strategy=plan, fiscal_year=2025, name="令和7年度第1回創生有識者会議", date=datetime.date(2026, 7, 10)
    )


@pytest.fixture
def opinion(meeting, users):
    return Opinion.objects.create(
        strategy=meeting.strategy,
        fiscal_year=2025,
        meeting=meeting,
        speaker="有識者A",
        text="観光の発信を強化すべき",
        author=users["council"],
    )


def respond_url(opinion) -> str:
    return reverse("reviews:opinion_respond", args=[opinion.pk])


def edit_url(opinion) -> str:
    return reverse("reviews:opinion_edit", args=[opinion.pk])


def shown_marker(client, url) -> str:
    """The marker the page's form carries, as a browser would send it back."""
    return client.get(url).context["form"]["seen"].value()


def latest(model, pk):
    return model.history.filter(id=pk).order_by("-history_id").first()


# --- Who and why -------------------------------------------------------------------------------------


def test_a_meeting_and_an_opinion_are_recorded_with_their_author_and_a_reason(client, plan, users, meeting):
    client.force_login(users["planning"])
    data = {
        "name": "令和7年度第2回創生本部会議",
        "body": "headquarters",
        "date": "2026-08-01",
        "fiscal_year": 2025,
    }
    assert client.post(reverse("reviews:meetings"), data).status_code == 302
    created = Meeting.objects.get(name="令和7年度第2回創生本部会議")
    row = latest(Meeting, created.pk)
    assert (row.history_user, row.history_change_reason) == (users["planning"], "会議の登録")

    client.force_login(users["council"])
    url = reverse("reviews:opinion_create", args=[meeting.pk])
    assert client.post(url, {"speaker": "有識者B", "text": "子育て支援の周知を"}).status_code == 302
    recorded = Opinion.objects.get(speaker="有識者B")
    row = latest(Opinion, recorded.pk)
    assert (row.history_user, row.history_change_reason) == (users["council"], "意見・提言の登録")


def test_a_council_members_edit_keeps_the_reason_typed_or_says_it_was_an_edit(client, users, opinion):
    client.force_login(users["council"])
    data = {"speaker": "有識者A", "text": "観光の発信と誘客を強化すべき", "reason": "会議録と照合して修正"}
    assert (
        client.post(edit_url(opinion), {**data, "seen": shown_marker(client, edit_url(opinion))}).status_code
        == 302
    )
    row = latest(Opinion, opinion.pk)
    assert (row.text, row.history_user, row.history_change_reason) == (
        "観光の発信と誘客を強化すべき",
        users["council"],
        "会議録と照合して修正",
    )
    data = {
        "speaker": "有識者A",
        "text": "観光の発信を強化すべき",
        "seen": shown_marker(client, edit_url(opinion)),
    }
    assert client.post(edit_url(opinion), data).status_code == 302
    assert latest(Opinion, opinion.pk).history_change_reason == "意見・提言の編集"


def test_a_response_records_who_answered_and_the_follow_up_state_as_its_reason(client, users, opinion):
    client.force_login(users["planning"])
    data = {
        "response": "SNS発信を拡充する",
        "follow_up": "in_progress",
        "seen": shown_marker(client, respond_url(opinion)),
    }
    assert client.post(respond_url(opinion), data).status_code == 302
    row = latest(Opinion, opinion.pk)
    assert (row.response, row.history_user, row.history_change_reason) == (
        "SNS発信を拡充する",
        users["planning"],
        "対応方針の入力（対応中）",
    )
    # Saving the same response again writes no empty history row.
    count = opinion.history.count()
    data["seen"] = shown_marker(client, respond_url(opinion))
    assert client.post(respond_url(opinion), data).status_code == 302
    assert opinion.history.count() == count


def test_evaluations_and_directions_are_saved_with_the_user_and_a_reason(client, plan, users):
    goal, policy = Goal.objects.get(code="G1"), Policy.objects.get(code="G1-M1-P2")
    client.force_login(users["planning"])
    url = reverse("reviews:evaluations", args=[2025])
    data = {
        f"goal-{goal.pk}-text": "概ね順調に推移している。",
        f"goal-{goal.pk}-seen": marker(None, EVALUATION_FIELDS),
        f"policy-{policy.pk}-direction": "continue",
        f"policy-{policy.pk}-note": "",
        f"policy-{policy.pk}-seen": marker(None, DIRECTION_FIELDS),
    }
    assert client.post(url, data).status_code == 302
    evaluation = GoalEvaluation.objects.get(goal=goal, fiscal_year=2025)
    direction = PolicyDirection.objects.get(policy=policy, fiscal_year=2025)
    assert (
        latest(GoalEvaluation, evaluation.pk).history_user,
        latest(GoalEvaluation, evaluation.pk).history_change_reason,
    ) == (
        users["planning"],
        "総合評価の保存",
    )
    assert latest(PolicyDirection, direction.pk).history_change_reason == "施策の方向性の保存"


def test_the_opinion_pages_show_who_changed_it_when_and_why(client, users, opinion):
    client.force_login(users["planning"])
    data = {
        "response": "SNS発信を拡充する",
        "follow_up": "done",
        "seen": shown_marker(client, respond_url(opinion)),
    }
    client.post(respond_url(opinion), data)
    html = client.get(respond_url(opinion)).content.decode()
    assert "変更履歴" in html and "対応方針の入力（対応済）" in html and "意見・提言の登録" not in html
    # (The opinion was created by a factory without a reason; the response's row names its user.)
    assert "planning" in html


def test_control_characters_typed_in_an_opinion_are_cleaned_before_saving(client, users, meeting):
    client.force_login(users["council"])
    url = reverse("reviews:opinion_create", args=[meeting.pk])
    assert client.post(url, {"speaker": "有識者\x1bC", "text": "一行目\x0b二行目"}).status_code == 302
    stored = Opinion.objects.get()
    assert (stored.speaker, stored.text) == ("有識者C", "一行目\n二行目")


# --- Concurrent changes ------------------------------------------------------------------------------


def test_a_response_to_an_opinion_changed_since_the_page_opened_is_refused_with_409(client, users, opinion):
    client.force_login(users["planning"])
    seen = shown_marker(client, respond_url(opinion))
    Opinion.objects.filter(pk=opinion.pk).update(response="先に入力された方針", follow_up="in_progress")
    data = {"response": "私の方針", "follow_up": "done", "seen": seen}
    response = client.post(respond_url(opinion), data)
    assert response.status_code == 409
    html = response.content.decode()
    assert "他の人が変更したため保存しませんでした" in html
    assert "先に入力された方針" in html and "私の方針" in html  # both: what is stored, what was typed
    opinion.refresh_from_db()
    assert (opinion.response, opinion.follow_up) == ("先に入力された方針", "in_progress")
    # Saving the form again, now marked against the stored opinion, is a deliberate overwrite.
    data["seen"] = response.context["form"]["seen"].value()
    assert client.post(respond_url(opinion), data).status_code == 302
    opinion.refresh_from_db()
    assert (opinion.response, opinion.follow_up) == ("私の方針", "done")


def test_a_response_without_the_pages_marker_overwrites_nothing(client, users, opinion):
    Opinion.objects.filter(pk=opinion.pk).update(response="保存済みの方針", follow_up="in_progress")
    client.force_login(users["planning"])
    response = client.post(respond_url(opinion), {"response": "上書き", "follow_up": "done"})
    assert response.status_code == 409
    opinion.refresh_from_db()
    assert opinion.response == "保存済みの方針"


def test_the_same_response_saved_by_someone_else_meanwhile_is_not_a_conflict(client, users, opinion):
    client.force_login(users["planning"])
    seen = shown_marker(client, respond_url(opinion))
    Opinion.objects.filter(pk=opinion.pk).update(response="同じ方針", follow_up="done")
    data = {"response": "同じ方針", "follow_up": "done", "seen": seen}
    assert client.post(respond_url(opinion), data).status_code == 302


def test_a_council_member_cannot_edit_an_opinion_settled_as_done(client, users, opinion):
    Opinion.objects.filter(pk=opinion.pk).update(response="実施した", follow_up="done")
    client.force_login(users["council"])
    page = client.get(edit_url(opinion))
    assert page.status_code == 403 and "対応済のため、編集できません" in page.content.decode()
    assert "form" not in page.context or page.context["form"] is None
    meeting_page = client.get(opinion.meeting.get_absolute_url()).content.decode()
    assert edit_url(opinion) not in meeting_page
    # The planning office still corrects it.
    client.force_login(users["planning"])
    data = {"speaker": "有識者A", "text": "修正", "seen": shown_marker(client, edit_url(opinion))}
    assert client.post(edit_url(opinion), data).status_code == 302


def test_an_opinion_settled_while_its_author_was_editing_it_is_refused_with_409(client, users, opinion):
    client.force_login(users["council"])
    seen = shown_marker(client, edit_url(opinion))
    Opinion.objects.filter(pk=opinion.pk).update(response="実施した", follow_up="done")
    # The page was opened before: the rule is checked again when the change is written.
    from reviews import services

    with pytest.raises(services.Conflict, match="対応済"):
        services.opinion_update(user=users["council"], pk=opinion.pk, changes={"text": "書き換え"}, seen=seen)
    response = client.post(edit_url(opinion), {"speaker": "有識者A", "text": "書き換え", "seen": seen})
    assert response.status_code == 409 and "対応済のため" in response.content.decode()
    opinion.refresh_from_db()
    assert opinion.text == "観光の発信を強化すべき"


def test_a_council_members_edit_after_a_response_was_written_is_refused_with_409(client, users, opinion):
    client.force_login(users["council"])
    seen = shown_marker(client, edit_url(opinion))
    Opinion.objects.filter(pk=opinion.pk).update(response="検討する", follow_up="in_progress")
    response = client.post(edit_url(opinion), {"speaker": "有識者A", "text": "別の意見", "seen": seen})
    assert response.status_code == 409 and "他の人が変更した" in response.content.decode()
    assert opinion_marker(Opinion.objects.get(pk=opinion.pk)) == response.context["form"]["seen"].value()


def test_saving_the_evaluations_page_leaves_rows_a_colleague_saved_meanwhile_alone(client, plan, users):
    g1, g2 = Goal.objects.get(code="G1"), Goal.objects.get(code="G2")
    url = reverse("reviews:evaluations", args=[2025])
    client.force_login(users["planning"])
    page = client.get(url)
    forms = dict(page.context["goal_forms"])
    data = {}
    for form in forms.values():
        data[form.add_prefix("text")] = form["text"].value() or ""
        data[form.add_prefix("seen")] = form["seen"].value()
    # A colleague saves G1 while this page is open; this person changes only G2.
    GoalEvaluation.objects.create(goal=g1, fiscal_year=2025, text="同僚の評価")
    data[forms[g2].add_prefix("text")] = "私の評価"
    assert client.post(url, data).status_code == 302
    assert GoalEvaluation.objects.get(goal=g1).text == "同僚の評価"
    assert GoalEvaluation.objects.get(goal=g2).text == "私の評価"


def test_an_evaluation_changed_by_both_is_refused_with_409_and_nothing_is_saved(client, plan, users):
    g1, g2 = Goal.objects.get(code="G1"), Goal.objects.get(code="G2")
    url = reverse("reviews:evaluations", args=[2025])
    blank = marker(None, EVALUATION_FIELDS)
    GoalEvaluation.objects.create(goal=g1, fiscal_year=2025, text="同僚の評価")
    client.force_login(users["planning"])
    data = {
        f"goal-{g1.pk}-text": "私の評価",
        f"goal-{g1.pk}-seen": blank,  # the page was opened before the colleague saved
        f"goal-{g2.pk}-text": "G2の評価",
        f"goal-{g2.pk}-seen": blank,
    }
    response = client.post(url, data)
    assert response.status_code == 409
    html = response.content.decode()
    assert "他の人が保存した評価があるため、保存しませんでした：G1" in html and "同僚の評価" in html
    assert GoalEvaluation.objects.get(goal=g1).text == "同僚の評価"
    assert not GoalEvaluation.objects.filter(goal=g2).exists()  # all or nothing
    # The page now carries the stored row's marker: saving again replaces it deliberately.
    again = {key: value for key, value in data.items()}
    again[f"goal-{g1.pk}-seen"] = dict(response.context["goal_forms"])[g1]["seen"].value()
    assert client.post(url, again).status_code == 302
    assert GoalEvaluation.objects.get(goal=g1).text == "私の評価"


def test_clearing_a_stored_evaluation_is_refused_beside_the_field(client, plan, users):
    g1 = Goal.objects.get(code="G1")
    stored = GoalEvaluation.objects.create(goal=g1, fiscal_year=2025, text="評価")
    client.force_login(users["planning"])
    data = {f"goal-{g1.pk}-text": "", f"goal-{g1.pk}-seen": marker(stored, EVALUATION_FIELDS)}
    response = client.post(reverse("reviews:evaluations", args=[2025]), data)
    assert response.status_code == 200 and "総合評価を入力してください。" in response.content.decode()
    assert GoalEvaluation.objects.get().text == "評価"


# --- Where a response goes back to -------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "http://evil.example/phish",
        "//evil.example",
        "https://evil.example/",
        "999999",
        "/meetings/\nSet-Cookie: x=1",
    ],
)
def test_a_response_never_redirects_to_another_site(client, users, opinion, target):
    client.force_login(users["planning"])
    seen = shown_marker(client, respond_url(opinion))
    data = {"response": "方針", "follow_up": "in_progress", "seen": seen, "next": target}
    response = client.post(respond_url(opinion), data)
    assert response.status_code == 302 and response["Location"] == opinion.meeting.get_absolute_url()
    page = client.get(respond_url(opinion), {"next": target}).content.decode()
    back = opinion.meeting.get_absolute_url()
    assert f'name="next" value="{back}"' in page and f'<a href="{back}">' in page
    assert f'value="{target}"' not in page and f'href="{target}"' not in page


def test_a_response_goes_back_to_the_page_it_was_opened_from(client, users, opinion):
    client.force_login(users["planning"])
    goal_page = reverse("dashboards:goal", args=["G2"]) + "?fy=2025"
    page = client.get(respond_url(opinion), {"next": goal_page})
    assert f'name="next" value="{goal_page}"'.replace("&", "&amp;") in page.content.decode()
    data = {"response": "方針", "follow_up": "in_progress", "seen": page.context["form"]["seen"].value()}
    response = client.post(respond_url(opinion), {**data, "next": goal_page})
    assert response.status_code == 302 and response["Location"] == goal_page
