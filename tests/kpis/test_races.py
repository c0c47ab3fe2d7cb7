"""People acting at the same moment, over HTTP against a live server, on SQLite and on PostgreSQL.

Each round opens the pages first, then releases every POST at once. Whatever the order the database
serialises them in: no 500 (no "database is locked"), no lost update, and no transition the cycle's rules
forbid in the history (差戻し → 承認 above all); the loser of a race is told so with a 409.
"""

from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import call_command

from goals.models import Strategy
from kpis.cycle import services
from kpis.models import ActualValue, FiscalYear, Indicator, Submission
from tests.support.entry import entry_url, form_fields, set_year_state
from tests.support.factories import make_department, make_user
from tests.support.races import Person, at_once, hidden_value, live_server, own_connections_database

State = Submission.State
# Every move the services make: save (入力開始), submit, approve, return.
ALLOWED_MOVES = {
    (State.NOT_STARTED, State.IN_PROGRESS),
    (State.NOT_STARTED, State.SUBMITTED),
    (State.IN_PROGRESS, State.SUBMITTED),
    (State.RETURNED, State.SUBMITTED),
    (State.SUBMITTED, State.APPROVED),
    (State.SUBMITTED, State.RETURNED),
    (State.APPROVED, State.RETURNED),
}
ROUNDS = 3


@pytest.fixture
def site(transactional_db, tmp_path, settings):
    """The plan loaded, a department of 12 indicators with 6 clerks, two planners; yields (host, port)."""
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    settings.SECURE_SSL_REDIRECT = False
    with own_connections_database(tmp_path):
        call_command("load_plan", verbosity=0)
        plan = _plan()
        codes = list(Indicator.objects.of_strategy(plan).values_list("code", flat=True)[:12])
        make_department("race", "競合課", codes)
        set_year_state(plan, 2025, FiscalYear.State.OPEN)
        with live_server() as address:
            yield address


def _clerks(address, count):
    department = make_department("race", "競合課")
    return [Person(address, make_user(f"clerk-{n}", "department_staff", [department])) for n in range(count)]


def _planners(address):
    return [Person(address, make_user(f"planner-{n}", "planning_office")) for n in range(2)]


def _input(code: str, name: str = "value") -> str:
    return f"i{Indicator.objects.get(code=code).pk}-{name}"


def _race_codes() -> list[str]:
    return list(
        Indicator.objects.filter(department__code="race").order_by("pk").values_list("code", flat=True)
    )


URL = entry_url(department="race")


def _posting(person: Person, path: str, data: dict):
    """The POST as a call for at_once; the data is built beforehand, in the test's thread."""
    return lambda: person.post(path, data)[0]


def test_clerks_saving_different_rows_of_one_page_at_once_all_succeed(site):
    clerks, codes = _clerks(site, 6), _race_codes()
    pages = [form_fields(clerk.get(URL)[1]) for clerk in clerks]  # every page drawn before any save
    posts = [
        {**page, "action": "save", _input(codes[2 * n]): str(n + 1), _input(codes[2 * n + 1]): f"{n}.5"}
        for n, page in enumerate(pages)
    ]

    answers = at_once(*[_posting(clerk, URL, post) for clerk, post in zip(clerks, posts, strict=True)])

    assert answers == [302] * 6
    stored = dict(ActualValue.objects.filter(fiscal_year=2025).values_list("indicator__code", "value"))
    assert stored == {
        **{codes[2 * n]: Decimal(n + 1) for n in range(6)},
        **{codes[2 * n + 1]: Decimal(f"{n}.5") for n in range(6)},
    }
    assert ActualValue.history.count() == 12  # one row per value: no rewrite of anyone's row
    submission = Submission.objects.get(department__code="race")
    assert list(submission.history.values_list("history_change_reason", flat=True)) == ["入力開始"]


def test_a_hundred_and_twenty_saves_from_twelve_clerks_at_once_give_no_error_and_lose_nothing(site):
    """The reproduction: 120 entry POSTs at once (12 clerks, 10 saves each, each on their own row) once gave
    43 × 500 "database is locked" on SQLite. Every one must now be saved."""
    clerks, codes = _clerks(site, 12), _race_codes()
    saves = 10

    def clerk_saving(clerk, code):
        def run():
            answers = []
            for n in range(saves):
                page = form_fields(clerk.get(URL)[1])
                answers.append(clerk.post(URL, {**page, "action": "save", _input(code): str(n + 1)})[0])
            return answers

        return run

    answers = at_once(*[clerk_saving(clerk, code) for clerk, code in zip(clerks, codes, strict=True)])

    assert [a for per_clerk in answers for a in per_clerk] == [302] * (12 * saves)
    stored = dict(ActualValue.objects.filter(fiscal_year=2025).values_list("indicator__code", "value"))
    assert stored == {code: Decimal(saves) for code in codes}
    assert ActualValue.history.count() == 12 * saves  # every save recorded, none lost or doubled


def test_clerks_saving_the_same_row_at_once_one_wins_and_nothing_is_lost(site):
    clerks, code = _clerks(site, 6), _race_codes()[0]
    for round_ in range(ROUNDS):
        pages = [form_fields(clerk.get(URL)[1]) for clerk in clerks]
        typed = [str(100 * round_ + n) for n in range(len(clerks))]
        name = _input(code)
        answers = at_once(
            *[
                _posting(clerk, URL, {**page, "action": "save", name: value})
                for clerk, page, value in zip(clerks, pages, typed, strict=True)
            ]
        )

        assert Counter(answers) == {302: 1, 409: len(clerks) - 1}, answers
        winner = typed[answers.index(302)]
        assert ActualValue.objects.get(indicator__code=code).value == Decimal(winner)
    history = list(
        ActualValue.history.filter(indicator__code=code).order_by("history_id").values_list("value")
    )
    assert len(history) == ROUNDS  # exactly the winners, one per round: no lost and no double write


def test_approving_and_returning_at_once_gives_one_success_and_never_returned_then_approved(site):
    planners = _planners(site)
    staff = make_user("staff-race", "department_staff", [make_department("race", "競合課")])
    for code in _race_codes():
        ActualValue.objects.create(
            indicator=Indicator.objects.get(code=code),
            fiscal_year=2025,
            value=Decimal(1),
            version=1,
            note="確認済み",
        )
    submission = Submission(department=make_department("race", "競合課"), strategy=_plan(), fiscal_year=2025)
    review_url = "/review/2025/race/"
    for _round in range(ROUNDS):
        submission = services.submission_submit(user=staff, submission=submission)
        seen = [hidden_value(planner.get(review_url)[1], "seen") for planner in planners]
        approve, back = at_once(
            _posting(planners[0], review_url, {"action": "approve", "seen": seen[0]}),
            _posting(planners[1], review_url, {"action": "return", "seen": seen[1], "comment": "再確認"}),
        )

        assert sorted([approve, back]) == [302, 409], (approve, back)
        submission.refresh_from_db()
        assert submission.state == (State.APPROVED if approve == 302 else State.RETURNED)
        if submission.state == State.APPROVED:
            services.submission_return(user=staff, submission=submission, comment="次の回のため")
    states = list(submission.history.order_by("history_id").values_list("state", flat=True))
    moves = set(zip(states, states[1:], strict=False))
    assert moves <= ALLOWED_MOVES, moves - ALLOWED_MOVES
    assert (State.RETURNED, State.APPROVED) not in moves


def _year_move(planner: Person, year: int, state: str, seen: str):
    data = {"year": year, "state": state, "seen": seen, "deadline": f"{year + 1}-07-30", "confirmed": "1"}
    return _posting(planner, "/fiscal-years/", data)


def test_two_planners_moving_a_year_at_once_give_one_move_and_a_409(site):
    planners, plan = _planners(site), _plan()
    for _round in range(ROUNDS):
        # No row yet (as for a plan year nobody opened): both pages offer 入力受付を開始.
        FiscalYear.objects.filter(strategy=plan, year=2026).delete()
        opened = at_once(*[_year_move(planner, 2026, "open", "not_open") for planner in planners])
        assert sorted(opened) == [302, 409], opened
        closed, locked = at_once(
            _year_move(planners[0], 2026, "closed", "open"), _year_move(planners[1], 2026, "locked", "open")
        )
        assert sorted([closed, locked]) == [302, 409], (closed, locked)
        year = FiscalYear.objects.get(strategy=plan, year=2026)
        assert year.state == (FiscalYear.State.CLOSED if closed == 302 else FiscalYear.State.LOCKED)
        assert year.history.count() == 2  # 入力受付開始 and one of 締切 / 確定


def test_a_save_racing_the_closing_of_the_year_is_either_before_it_or_refused(site):
    clerks, planner, codes, plan = _clerks(site, 3), _planners(site)[0], _race_codes(), _plan()
    for round_ in range(ROUNDS):
        set_year_state(plan, 2025, FiscalYear.State.OPEN)
        typed = [round_ * 10 + n for n in range(len(clerks))]
        saves = [
            _posting(
                clerk, URL, {**form_fields(clerk.get(URL)[1]), "action": "save", _input(code): str(value)}
            )
            for clerk, code, value in zip(clerks, codes, typed, strict=False)
        ]

        *saved, closed = at_once(*saves, _year_move(planner, 2025, "closed", "open"))

        assert closed == 302 and set(saved) <= {302, 409}, (saved, closed)
        closing = FiscalYear.history.filter(strategy=plan, year=2025, state="closed").latest("history_id")
        assert not ActualValue.history.filter(history_date__gt=closing.history_date).exists()
        for code, value, answer in zip(codes, typed, saved, strict=False):
            stored = ActualValue.objects.filter(indicator__code=code).first()
            assert (stored is not None and stored.value == value) == (answer == 302), (code, answer)


def _plan() -> Strategy:
    return Strategy.objects.get(code="dai3ki")
