"""A council member writes an opinion from the goal or indicator page being read, and is back there after."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from goals.models import Goal, Strategy
from kpis.models import Indicator
from reviews.models import Meeting, Opinion

pytestmark = pytest.mark.django_db

NEW = reverse("reviews:opinion_new")


def meeting_on(strategy, days_from_today: int, name: str, year: int = 2025) -> Meeting:
    return Meeting.objects.create(
        strategy=strategy,
        fiscal_year=year,
        name=name,
        date=timezone.localdate() + datetime.timedelta(days=days_from_today),
    )


@pytest.fixture
def meetings(plan):
    """One meeting held a month ago, the next one in a week, and one later in the year."""
    return {
        "held": meeting_on(plan, -30, "第1回創生有識者会議"),
        "next": meeting_on(plan, 7, "第2回創生有識者会議"),
        "later": meeting_on(plan, 90, "第3回創生有識者会議", year=2026),
    }


def other_plan() -> Strategy:
    strategy = Strategy.objects.create(
        code="dai4ki", name="第４期", first_year=2028, last_year=2032, baseline_year=2027, is_active=False
    )
    Goal.objects.create(strategy=strategy, code="G9", number=9, title="別の計画の目標")
    return strategy


@pytest.mark.parametrize(
    "who, shown", [("council", True), ("planning", True), ("staff_own", False), ("staff_other", False)]
)
def test_the_goal_and_indicator_pages_offer_a_link_to_write_an_opinion_to_those_who_record_them(
    client, plan, users, who, shown
):
    client.force_login(users[who])
    goal_page = client.get("/goals/G2/?fy=2025").content.decode()
    indicator_page = client.get("/indicators/G2-KGI1/").content.decode()
    assert ("この目標について意見・提言を書く" in goal_page) == shown
    assert ("この指標について意見・提言を書く" in indicator_page) == shown
    if shown:
        assert f'href="{NEW}?goal=G2&amp;next=/goals/G2/%3Ffy%3D2025"' in goal_page
        assert f'href="{NEW}?indicator=G2-KGI1&amp;next=/indicators/G2-KGI1/"' in indicator_page


def test_the_form_shows_its_subject_and_starts_with_the_next_meeting(client, users, meetings):
    client.force_login(users["council"])
    response = client.get(NEW, {"goal": "G2"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "G2 魅力を発信し、新たな人の流れをつくるまち" in html
    assert response.context["form"]["meeting"].value() == meetings["next"].pk
    assert response.context["form"]["speaker"].value() == users["council"].username
    # Every meeting of the plan can be chosen; the subject cannot be changed on this form.
    assert set(response.context["form"].fields["meeting"].queryset) == set(meetings.values())
    assert 'name="goal"' not in html and 'name="indicator"' not in html


def test_with_no_meeting_ahead_the_latest_one_held_is_chosen(client, plan, users):
    meeting_on(plan, -200, "前年の会議")
    latest = meeting_on(plan, -10, "直近の会議")
    client.force_login(users["council"])
    response = client.get(NEW, {"indicator": "G2-KGI1"})
    assert response.context["form"]["meeting"].value() == latest.pk


def test_with_no_meeting_at_all_the_page_says_so_and_saves_nothing(client, plan, users):
    client.force_login(users["council"])
    page = client.get(NEW, {"goal": "G1"})
    assert (
        "会議がまだありません" in page.content.decode() and '<form method="post"' not in page.content.decode()
    )
    response = client.post(f"{NEW}?goal=G1", {"speaker": "A", "text": "意見"})
    assert response.status_code == 400 and not Opinion.objects.exists()


def test_an_opinion_on_a_goal_is_saved_for_the_chosen_meeting_and_the_writer_is_back_on_the_goal_page(
    client, users, meetings
):
    client.force_login(users["council"])
    data = {
        "meeting": meetings["later"].pk,
        "speaker": "委員A",
        "text": "若者の転入を増やす工夫を",
        "next": "/goals/G2/?fy=2026",
    }
    response = client.post(f"{NEW}?goal=G2", data)
    assert response.status_code == 302 and response["Location"] == "/goals/G2/?fy=2026"
    opinion = Opinion.objects.get()
    assert (opinion.goal.code, opinion.indicator, opinion.meeting, opinion.fiscal_year) == (
        "G2",
        None,
        meetings["later"],
        2026,
    )
    assert opinion.author == users["council"]
    assert opinion.history.get().history_user == users["council"]
    assert "意見・提言を登録しました" in client.get(response["Location"]).content.decode()


def test_an_opinion_on_an_indicator_goes_back_to_the_indicator_page_even_when_next_points_elsewhere(
    client, users, meetings
):
    client.force_login(users["planning"])
    data = {
        "meeting": meetings["next"].pk,
        "speaker": "委員B",
        "text": "分析を",
        "next": "https://evil.example/",
    }
    response = client.post(f"{NEW}?indicator=G2-KGI1", data)
    assert response["Location"] == "/indicators/G2-KGI1/"
    assert Opinion.objects.get().indicator.code == "G2-KGI1"


@pytest.mark.parametrize("query", [{"goal": "G9"}, {"indicator": "G9-KGI1"}, {"goal": "999999"}])
def test_an_unknown_subject_is_not_found(client, users, meetings, query):
    client.force_login(users["council"])
    assert client.get(NEW, query).status_code == 404
    assert client.post(NEW + "?" + "&".join(f"{k}={v}" for k, v in query.items()), {}).status_code == 404


def test_a_goal_or_a_meeting_of_another_plan_is_refused(client, users, meetings):
    foreign = other_plan()
    foreign_goal = foreign.goals.get()
    foreign_meeting = Meeting.objects.create(
        strategy=foreign, fiscal_year=2028, name="第４期の会議", date=timezone.localdate()
    )
    client.force_login(users["council"])
    assert client.get(NEW, {"goal": foreign_goal.pk}).status_code == 404
    assert client.get(NEW, {"goal": "G9"}).status_code == 404
    response = client.post(f"{NEW}?goal=G1", {"meeting": foreign_meeting.pk, "speaker": "A", "text": "x"})
    assert response.status_code == 400 and "選んだ会議は候補にありません" in response.content.decode()
    assert not Opinion.objects.exists()


def test_naming_both_a_goal_and_an_indicator_is_a_bad_request(client, users, meetings):
    client.force_login(users["council"])
    assert client.get(NEW, {"goal": "G1", "indicator": "G1-KGI1"}).status_code == 400


def test_the_meeting_route_still_takes_ids_and_now_codes_too(client, users, meetings):
    meeting, g2 = meetings["held"], Goal.objects.get(code="G2")
    url = reverse("reviews:opinion_create", args=[meeting.pk])
    client.force_login(users["council"])
    assert client.get(url, {"goal": g2.pk}).context["form"]["goal"].value() == g2.pk
    assert client.get(url, {"goal": "G2"}).context["form"]["goal"].value() == g2.pk
    kgi = Indicator.objects.get(code="G2-KGI1")
    assert client.get(url, {"indicator": "G2-KGI1"}).context["form"]["indicator"].value() == kgi.pk
    assert client.get(url, {"goal": "G9"}).status_code == 404
    assert client.post(url, {"speaker": "A", "text": "x", "goal": g2.pk}).status_code == 302
    assert Opinion.objects.get().meeting == meeting


# --- One error message, not two -----------------------------------------------------------------------


def messages_shown(html: str) -> list[str]:
    """Every error the page shows: beside a field, at the top of the form, or in the message area."""
    return re.findall(r'<p class="field-error">(.*?)</p>', html) + re.findall(
        r'<li class="message-error">(.*?)</li>', html
    )


BAD_INPUT = [
    ({"speaker": "", "text": ""}, ["発言者を入力してください。", "意見・提言を入力してください。"]),
    ({"speaker": "委員", "text": "   \x0b "}, ["意見・提言を入力してください。"]),
    ({"speaker": "委" * 101, "text": "x"}, ["発言者は100文字以内で入力してください（現在101文字）。"]),
    ({"speaker": "委員", "text": "a\x00b"}, ["NUL文字"]),
]


@pytest.mark.parametrize("data, errors", BAD_INPUT)
def test_each_error_of_the_opinion_form_from_a_page_is_shown_once(client, users, meetings, data, errors):
    client.force_login(users["council"])
    response = client.post(f"{NEW}?goal=G1", {"meeting": meetings["next"].pk, **data})
    html = response.content.decode()
    shown = messages_shown(html)
    assert response.status_code == 400
    assert len(shown) == len(errors), shown
    for error in errors:
        assert sum(error in message for message in shown) == 1, (error, shown)
        assert html.count(error) == 1
    assert "このフィールドは必須です" not in html
    assert not Opinion.objects.exists()


@pytest.mark.parametrize(
    "data, errors", [*BAD_INPUT, ({"speaker": "A", "text": "x", "both": True}, ["どちらか一方だけ"])]
)
def test_each_error_of_the_meetings_opinion_form_is_shown_once(client, users, meetings, data, errors):
    data = dict(data)
    if data.pop("both", False):
        data["goal"] = Goal.objects.get(code="G1").pk
        data["indicator"] = Indicator.objects.get(code="G1-KGI1").pk
    client.force_login(users["council"])
    response = client.post(reverse("reviews:opinion_create", args=[meetings["held"].pk]), data)
    html = response.content.decode()
    shown = messages_shown(html)
    assert response.status_code == 400
    assert len(shown) == len(errors), shown
    for error in errors:
        assert html.count(error) == 1, error
    assert not Opinion.objects.exists()


def test_an_edit_with_an_error_shows_it_once_and_keeps_the_opinion(client, users, meetings):
    opinion = Opinion.objects.create(
        strategy=meetings["held"].strategy,
        fiscal_year=2025,
        meeting=meetings["held"],
        speaker="A",
        text="元の意見",
        author=users["council"],
    )
    client.force_login(users["council"])
    url = reverse("reviews:opinion_edit", args=[opinion.pk])
    seen = client.get(url).context["form"]["seen"].value()
    response = client.post(url, {"speaker": "A", "text": "", "seen": seen})
    assert response.status_code == 400
    assert messages_shown(response.content.decode()) == ["意見・提言を入力してください。"]
    opinion.refresh_from_db()
    assert opinion.text == "元の意見"
