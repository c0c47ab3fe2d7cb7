"""The meetings list puts the next meeting first: the meetings to come, soonest first, then those held."""

import datetime
import re
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviews.models import Meeting

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 5)


def meeting(plan, day: datetime.date, name: str) -> Meeting:
    return Meeting.objects.create(strategy=plan, fiscal_year=2025, name=name, date=day)


@pytest.fixture
def calendar(plan):
    return [
        meeting(plan, datetime.date(2026, 7, 15), "令和7年度第1回（夏）"),
        meeting(plan, datetime.date(2027, 7, 14), "令和8年度第1回（来年の夏）"),
        meeting(plan, TODAY, "本日の会議"),
        meeting(plan, datetime.date(2025, 11, 1), "令和6年度の会議"),
        meeting(plan, datetime.date(2027, 1, 20), "令和7年度第2回（来月）"),
    ]


def section(html: str, heading: str) -> str:
    start = html.index(f">{heading}</h2>")
    end = html.find("</section>", start)
    return html[start:end]


def names_in(html: str) -> list[str]:
    return re.findall(r'<a href="/meetings/\d+/">([^<]+)</a>', html)


def test_the_next_meeting_comes_first_then_the_later_ones_then_those_held_newest_first(
    client, users, calendar
):
    client.force_login(users["council"])
    with mock.patch("django.utils.timezone.localdate", return_value=TODAY):
        html = client.get(reverse("reviews:meetings")).content.decode()
    upcoming, past = section(html, "今後の会議"), section(html, "これまでの会議")
    assert names_in(upcoming) == ["本日の会議", "令和7年度第2回（来月）", "令和8年度第1回（来年の夏）"]
    assert names_in(past) == ["令和7年度第1回（夏）", "令和6年度の会議"]
    assert html.index("今後の会議") < html.index("これまでの会議")
    assert upcoming.count("次回") == 1 and "次回" not in past
    assert re.search(r"本日の会議</a></th>", upcoming) and upcoming.index("次回") < upcoming.index(
        "本日の会議"
    )


def test_the_next_meeting_moves_on_as_the_days_pass(client, users, calendar):
    client.force_login(users["council"])
    with mock.patch("django.utils.timezone.localdate", return_value=TODAY + datetime.timedelta(days=1)):
        html = client.get(reverse("reviews:meetings")).content.decode()
    assert names_in(section(html, "今後の会議"))[0] == "令和7年度第2回（来月）"
    assert names_in(section(html, "これまでの会議"))[0] == "本日の会議"


def test_with_no_meeting_ahead_the_page_says_so(client, plan, users):
    meeting(plan, datetime.date(2026, 7, 15), "開催済みの会議")
    client.force_login(users["staff_own"])
    with mock.patch("django.utils.timezone.localdate", return_value=TODAY):
        html = client.get(reverse("reviews:meetings")).content.decode()
    assert "予定されている会議はまだ登録されていません。" in section(html, "今後の会議")
    assert names_in(section(html, "これまでの会議")) == ["開催済みの会議"]


def test_the_list_costs_the_same_number_of_queries_for_5_or_50_meetings(client, plan, users, calendar):
    client.force_login(users["council"])
    url = reverse("reviews:meetings")
    client.get(url)  # the session and the user's roles are read once per request either way

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    few = count()
    for n in range(45):
        meeting(plan, TODAY + datetime.timedelta(days=n - 20), f"会議{n}")
    assert count() == few
