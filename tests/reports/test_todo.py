"""The to-do list on each role's home page: what is left, by when, each item linking to where it is done."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from kpis.models import ActualValue, FiscalYear, Submission
from reviews.models import Meeting, Opinion
from tests.support.entry import entry_url, login, set_year_state, submit_url
from tests.support.factories import set_actual

HOME = reverse("dashboards:home")


@pytest.fixture
def open_2025(plan):
    year = set_year_state(plan, 2025, FiscalYear.State.OPEN)
    year.deadline = timezone.localdate() + datetime.timedelta(days=5)
    year.save()
    return year


def todo_links(client) -> list[tuple[str, str]]:
    html = client.get(HOME).content.decode()
    assert html.index('id="todo-heading"') < html.index('id="kgi-heading"')  # first thing on the page
    section = html[html.index('id="todo-heading"') : html.index("</section>")]
    return [
        (href.replace("&amp;", "&"), text)
        for href, text in re.findall(r'<a href="([^"]+)">([^<]+)</a>', section)
    ]


def test_staff_see_the_rows_still_empty_and_the_deadline(client, users, open_2025):
    set_actual("G3-M1-K1", 2025, 5, status=ActualValue.Status.DRAFT)
    login(client, users["staff_own"])
    links = todo_links(client)
    assert links == [
        (entry_url(), "2025年度（令和7年度） こども家庭課：実績値の入力（1 / 4 件入力済み、残り3件）")
    ]
    assert "締切まであと5日" in client.get(HOME).content.decode()


def test_staff_with_everything_entered_are_sent_to_submit(client, users, open_2025):
    for code in ("G2-KGI1", "G3-M1-K1", "G3-M1-K2", "G3-M1-K3"):
        set_actual(code, 2025, 5, status=ActualValue.Status.DRAFT)
    login(client, users["staff_own"])
    assert todo_links(client)[0][0] == submit_url()


def test_staff_see_a_returned_submission_first_with_its_comment(client, users, plan, departments, open_2025):
    Submission.objects.create(
        department=departments[0], strategy=plan, fiscal_year=2025, state="returned", comment="K2の定義を確認"
    )
    login(client, users["staff_own"])
    html = client.get(HOME).content.decode()
    assert "差し戻されました" in html and "K2の定義を確認" in html
    Submission.objects.update(state="submitted")
    assert todo_links(client) == []
    assert "いま対応が必要なことはありません" in client.get(HOME).content.decode()


def test_the_planning_office_sees_whom_to_chase_what_to_review_and_what_to_answer(
    client, users, plan, departments, open_2025
):
    Submission.objects.create(department=departments[0], strategy=plan, fiscal_year=2025, state="submitted")
    meeting = Meeting.objects.create(
        strategy=plan, fiscal_year=2025, name="第1回", date=datetime.date(2026, 7, 1)
    )
    Opinion.objects.create(
        strategy=plan,
        fiscal_year=2025,
        meeting=meeting,
        speaker="有識者A",
        text="意見",
        author=users["council"],
    )
    login(client, users["planning"])
    links = dict((text, href) for href, text in todo_links(client))
    review = reverse("cycle:review", args=[2025])
    assert links["2025年度（令和7年度）：審査待ちの提出 1件"] == review
    assert links["2025年度（令和7年度）：未提出の担当課 1 / 2課"] == review
    assert links["対応方針が未記入の意見・提言：1件"] == reverse("reviews:meetings")


def test_the_planning_office_is_told_when_a_year_is_ready_to_lock(
    client, users, plan, departments, open_2025
):
    for department in departments:
        Submission.objects.create(department=department, strategy=plan, fiscal_year=2025, state="approved")
    login(client, users["planning"])
    assert todo_links(client) == [
        (
            reverse("cycle:fiscal_years"),
            "2025年度（令和7年度）：すべての担当課が承認済みです。確定（ロック）できます。",
        )
    ]


def test_the_council_sees_the_next_meeting_and_what_is_new_since_the_last(client, users, plan, open_2025):
    today = timezone.localdate()
    Meeting.objects.create(
        strategy=plan, fiscal_year=2024, name="前回の会議", date=today - datetime.timedelta(days=30)
    )
    upcoming = Meeting.objects.create(
        strategy=plan,
        fiscal_year=2025,
        name="令和7年度第1回創生有識者会議",
        date=today + datetime.timedelta(days=10),
    )
    set_actual("G2-KGI1", 2025, 400)  # approved since the last meeting
    login(client, users["council"])
    links = todo_links(client)
    assert links[0][0] == upcoming.get_absolute_url() and "令和7年度第1回創生有識者会議" in links[0][1]
    assert "承認された指標 1件" in links[1][1]


def test_no_list_for_a_visitor(client, plan, open_2025):
    assert 'id="todo-heading"' not in client.get(HOME).content.decode()
