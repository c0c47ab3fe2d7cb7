"""A council member's own opinions and the planning office's responses in one list; the planning office's
list of every opinion by follow-up state and year; an opinion settled as 対応済 is read-only to its author."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.access import Role
from goals.models import Goal
from kpis.models import Indicator
from reviews.models import Meeting, Opinion
from reviews.services import opinion_marker
from tests.support.factories import make_user

pytestmark = pytest.mark.django_db

MINE = reverse("reviews:my_opinions")
ALL = reverse("reviews:opinions")


@pytest.fixture
def council2(users):
    return make_user("council-2", Role.COUNCIL)


@pytest.fixture
def meetings(plan):
    return [
        Meeting.objects.create(
            strategy=plan, fiscal_year=2025, name="令和7年度第1回", date=datetime.date(2026, 7, 15)
        ),
        Meeting.objects.create(
            strategy=plan, fiscal_year=2026, name="令和8年度第1回", date=datetime.date(2027, 7, 14)
        ),
    ]


def opinion(meeting, author, text, **fields) -> Opinion:
    return Opinion.objects.create(
        strategy=meeting.strategy,
        fiscal_year=meeting.fiscal_year,
        meeting=meeting,
        speaker=author.username if author else "委員",
        text=text,
        author=author,
        **fields,
    )


@pytest.fixture
def opinions(users, council2, meetings):
    council, planning = users["council"], users["planning"]
    answered = timezone.make_aware(datetime.datetime(2026, 9, 1, 10, 0))
    return {
        "open": opinion(meetings[0], council, "観光の発信を強化すべき", goal=Goal.objects.get(code="G2")),
        "in_progress": opinion(
            meetings[0],
            council,
            "転入の要因を分析すること",
            indicator=Indicator.objects.get(code="G2-KGI1"),
            response="転入者調査を実施する",
            follow_up="in_progress",
            responded_by=planning,
            responded_at=answered,
        ),
        "done": opinion(
            meetings[1],
            council,
            "デジタル活用の成果を示すこと",
            goal=Goal.objects.get(code="G2"),
            response="成果を公表した",
            follow_up="done",
            responded_by=planning,
            responded_at=answered,
        ),
        "others": opinion(meetings[0], council2, "別の委員の意見"),
        "planning": opinion(meetings[1], planning, "事務局が記録した意見"),
    }


def edit_url(o: Opinion) -> str:
    return reverse("reviews:opinion_edit", args=[o.pk])


def respond_url(o: Opinion) -> str:
    return reverse("reviews:opinion_respond", args=[o.pk])


def test_a_council_member_sees_their_own_opinions_of_every_year_with_the_responses(client, users, opinions):
    client.force_login(users["council"])
    response = client.get(MINE)
    html = response.content.decode()
    assert response.status_code == 200
    for text in ("観光の発信を強化すべき", "転入の要因を分析すること", "デジタル活用の成果を示すこと"):
        assert text in html
    assert "別の委員の意見" not in html and "事務局が記録した意見" not in html
    assert "転入者調査を実施する" in html and "成果を公表した" in html
    assert "対応方針はまだ入力されていません。" in html  # the open one
    assert html.count("回答：planning（2026年9月1日）") == 2
    # Subjects link to their pages (a goal in the opinion's year); meetings to theirs.
    assert 'href="/goals/G2/?fy=2025"' in html and 'href="/goals/G2/?fy=2026"' in html
    assert 'href="/indicators/G2-KGI1/"' in html
    assert f'href="{opinions["open"].meeting.get_absolute_url()}"' in html
    # The newest year first.
    assert html.index("デジタル活用の成果を示すこと") < html.index("観光の発信を強化すべき")
    assert "対応方針を入力" not in html


def test_the_edit_link_is_shown_only_while_the_opinion_is_editable_and_the_list_says_why_not(
    client, users, opinions
):
    client.force_login(users["council"])
    html = client.get(MINE).content.decode()
    assert edit_url(opinions["open"]) in html and edit_url(opinions["in_progress"]) in html
    assert edit_url(opinions["done"]) not in html
    assert html.count("対応済のため編集できません。") == 1


def test_the_nav_offers_the_list_to_council_members_only(client, users):
    for who, shown in (("council", True), ("planning", False), ("staff_own", False)):
        client.force_login(users[who])
        assert (f'href="{MINE}"' in client.get(reverse("reviews:meetings")).content.decode()) == shown, who


def test_the_planning_office_lists_every_opinion_with_a_link_to_respond(client, users, opinions):
    client.force_login(users["planning"])
    html = client.get(ALL).content.decode()
    for o in opinions.values():
        assert o.text in html and respond_url(o) in html and edit_url(o) in html
    assert "5 件" in html


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"follow_up": "open"}, {"open", "others", "planning"}),
        ({"follow_up": "done"}, {"done"}),
        ({"follow_up": "unsettled"}, {"open", "in_progress", "others", "planning"}),
        ({"fiscal_year": "2026"}, {"done", "planning"}),
        ({"follow_up": "open", "fiscal_year": "2025"}, {"open", "others"}),
        ({"follow_up": "", "fiscal_year": ""}, {"open", "in_progress", "done", "others", "planning"}),
    ],
)
def test_the_planning_office_filters_by_follow_up_and_year(client, users, opinions, query, expected):
    client.force_login(users["planning"])
    response = client.get(ALL, query)
    assert response.status_code == 200
    shown = {name for name, o in opinions.items() if o in response.context["page"].object_list}
    assert shown == expected


@pytest.mark.parametrize("query", [{"follow_up": "lost"}, {"fiscal_year": "2031"}, {"fiscal_year": "abc"}])
def test_a_filter_that_is_not_one_of_the_choices_is_refused_with_a_message(client, users, opinions, query):
    client.force_login(users["planning"])
    response = client.get(ALL, query)
    assert response.status_code == 400
    assert "候補にありません" in response.content.decode()


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _more_opinions(users, meetings, n: int) -> None:
    goals, indicators = list(Goal.objects.all()), list(Indicator.objects.all()[:10])
    for i in range(n):
        opinion(
            meetings[i % 2],
            users["council"],
            f"意見{i}",
            goal=goals[i % len(goals)] if i % 3 == 0 else None,
            indicator=indicators[i % len(indicators)] if i % 3 == 1 else None,
            response="方針" if i % 2 else "",
            responded_by=users["planning"] if i % 2 else None,
        )


@pytest.mark.parametrize("url", [MINE, ALL + "?follow_up=unsettled&fiscal_year=2025", ALL])
def test_the_lists_cost_a_fixed_number_of_queries(
    client, users, meetings, opinions, url, django_assert_num_queries
):
    client.force_login(users["council"] if url == MINE else users["planning"])
    client.get(url)
    few = _queries(client, url)
    _more_opinions(users, meetings, 45)
    with django_assert_num_queries(few):
        client.get(url)


# --- 対応済: read-only to its author, everywhere -------------------------------------------------------


def test_a_settled_opinion_shows_no_edit_link_to_its_author_on_any_page_and_says_why(client, users, opinions):
    done = opinions["done"]
    client.force_login(users["council"])
    for url in (done.meeting.get_absolute_url(), "/goals/G2/?fy=2026", MINE):
        html = client.get(url).content.decode()
        assert done.text in html, url
        assert edit_url(done) not in html, url
        assert "対応済のため編集できません。" in html, url
    # An unsettled one of theirs keeps its link.
    assert (
        edit_url(opinions["open"]) in client.get(opinions["open"].meeting.get_absolute_url()).content.decode()
    )


def test_a_settled_opinion_is_refused_to_its_author_with_the_reason_and_nothing_changes(
    client, users, opinions
):
    done = opinions["done"]
    client.force_login(users["council"])
    page = client.get(edit_url(done))
    assert page.status_code == 403 and "対応済のため、編集できません" in page.content.decode()
    response = client.post(edit_url(done), {"speaker": "x", "text": "書き換え", "seen": opinion_marker(done)})
    assert response.status_code == 409 and "対応済のため、編集できません" in response.content.decode()
    done.refresh_from_db()
    assert done.text == "デジタル活用の成果を示すこと" and done.history.count() == 1


def test_the_planning_office_still_sees_the_edit_link_of_a_settled_opinion(client, users, opinions):
    client.force_login(users["planning"])
    html = client.get(opinions["done"].meeting.get_absolute_url()).content.decode()
    assert edit_url(opinions["done"]) in html and "対応済のため編集できません。" not in html


def test_another_council_members_opinion_shows_neither_a_link_nor_the_note(client, users, opinions, council2):
    client.force_login(council2)
    html = client.get(opinions["done"].meeting.get_absolute_url()).content.decode()
    assert edit_url(opinions["done"]) not in html and "対応済のため編集できません。" not in html
