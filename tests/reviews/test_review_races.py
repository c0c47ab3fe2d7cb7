"""Two people change the same opinion or evaluation at the same moment, against a live server.

Each round both load the page, then post at once (a barrier). Exactly one is saved; the other is told in
Japanese, with 409, that someone changed it first. No answer is a 500 and no change is lost unseen, on
SQLite and PostgreSQL alike.
"""

import datetime
import threading
from collections import Counter

import pytest
from django.urls import reverse

from accounts.access import Role
from goals.models import Goal
from reviews.models import GoalEvaluation, Meeting, Opinion
from tests.support.factories import make_user
from tests.support.threaded_live_server import Visitor, session_key, threaded_live_server

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 3
STALE = "他の人が変更したため保存しませんでした"


@pytest.fixture
def opinion(plan, users):
    meeting = Meeting.objects.create(
        strategy=plan, fiscal_year=2025, name="令和7年度第1回創生有識者会議", date=datetime.date(2026, 7, 10)
    )
    return Opinion.objects.create(
        strategy=plan,
        fiscal_year=2025,
        meeting=meeting,
        speaker="有識者A",
        text="意見",
        author=users["council"],
    )


def at_once(*posts) -> list[tuple[int, str]]:
    """Run the posts in threads released together; their (status, body) in the order given."""
    barrier = threading.Barrier(len(posts))
    results: list = [None] * len(posts)

    def run(index, post):
        barrier.wait()
        results[index] = post()

    threads = [threading.Thread(target=run, args=(i, post)) for i, post in enumerate(posts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_two_planning_officers_answering_one_opinion_at_once_one_wins_the_other_gets_409(
    plan, users, opinion, tmp_path
):
    second = make_user("planning-2", Role.PLANNING)
    url = reverse("reviews:opinion_respond", args=[opinion.pk])
    statuses = Counter()
    winners = []
    sessions = [session_key(users["planning"]), session_key(second)]
    with threaded_live_server(tmp_path) as site:
        people = [Visitor(site, key) for key in sessions]
        for round_ in range(ROUNDS):
            forms = [person.form(url, ("seen",)) for person in people]
            answers = [
                {"response": f"方針{round_}-{i}", "follow_up": "in_progress", **form}
                for i, form in enumerate(forms)
            ]
            results = at_once(
                *(lambda p=p, a=a: p.request(url, a) for p, a in zip(people, answers, strict=True))
            )
            statuses.update(status for status, _body in results)
            assert sorted(status for status, _body in results) == [302, 409], results
            loser = next(body for status, body in results if status == 409)
            assert STALE in loser
            winners.append(
                next(a["response"] for (s, _b), a in zip(results, answers, strict=True) if s == 302)
            )
    assert statuses[500] == 0
    opinion.refresh_from_db()
    assert opinion.response == winners[-1]
    responses = [h.response for h in opinion.history.order_by("history_id") if h.response]
    assert responses == winners  # every saved answer is in the history, none was overwritten unseen


def test_a_council_member_editing_while_the_office_settles_the_opinion_one_wins_the_other_gets_409(
    plan, users, opinion, tmp_path
):
    # One opinion per round, created before the server starts (on SQLite it serves a copy of the database).
    opinions = [opinion] + [
        Opinion.objects.create(
            strategy=plan,
            fiscal_year=2025,
            meeting=opinion.meeting,
            speaker="有識者A",
            text="意見",
            author=users["council"],
        )
        for _ in range(ROUNDS - 1)
    ]
    statuses = Counter()
    sessions = session_key(users["council"]), session_key(users["planning"])
    with threaded_live_server(tmp_path) as site:
        council, office = (Visitor(site, key) for key in sessions)
        for round_, target in enumerate(opinions):
            edit = reverse("reviews:opinion_edit", args=[target.pk])
            respond = reverse("reviews:opinion_respond", args=[target.pk])
            edit_form = {**council.form(edit, ("seen",)), "speaker": "有識者A", "text": f"修正{round_}"}
            settle = {**office.form(respond, ("seen",)), "response": f"実施{round_}", "follow_up": "done"}
            results = at_once(
                lambda e=edit, f=edit_form: council.request(e, f),
                lambda r=respond, f=settle: office.request(r, f),
            )
            statuses.update(status for status, _body in results)
            assert sorted(status for status, _body in results) == [302, 409], [s for s, _b in results]
    assert statuses[500] == 0
    for round_, target in enumerate(opinions):
        target.refresh_from_db()
        # Whoever won, the other's change was not written over it.
        assert (target.text, target.response) in {(f"修正{round_}", ""), ("意見", f"実施{round_}")}


def test_two_first_saves_of_one_goals_evaluation_at_once_one_wins_the_other_gets_409(plan, users, tmp_path):
    second = make_user("planning-2", Role.PLANNING)
    goal = Goal.objects.get(code="G1")
    url = reverse("reviews:evaluations", args=[2025])
    prefix = f"goal-{goal.pk}"
    sessions = [session_key(users["planning"]), session_key(second)]
    with threaded_live_server(tmp_path) as site:
        people = [Visitor(site, key) for key in sessions]
        forms = [person.form(url, (f"{prefix}-seen",)) for person in people]
        results = at_once(
            *(
                lambda p=p, f=f, i=i: p.request(url, {**f, f"{prefix}-text": f"評価{i}"})
                for i, (p, f) in enumerate(zip(people, forms, strict=True))
            )
        )
    assert sorted(status for status, _body in results) == [302, 409], [s for s, _b in results]
    loser = next(body for status, body in results if status == 409)
    assert "他の人が保存した評価があるため、保存しませんでした：G1" in loser
    assert GoalEvaluation.objects.filter(goal=goal, fiscal_year=2025).count() == 1
