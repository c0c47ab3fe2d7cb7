"""Who may open and post every entry/review view and the planning office's screens: anonymous → login,
wrong role → logged 403."""

import logging

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from kpis.cycle.services import indicator_marker
from kpis.models import FiscalYear, GradeBand, Indicator, Submission
from tests.support.entry import entry_data, login, set_year_state

LOGIN = "login"
PEOPLE = ["anonymous", "staff_own", "staff_other", "planning", "council"]


@pytest.fixture
def world(plan, users, departments):
    """FY2025 open with a submitted submission of こども家庭課, FY2026 not open yet."""
    set_year_state(plan, 2025, FiscalYear.State.OPEN)
    Submission.objects.create(
        department=departments[0], strategy=plan, fiscal_year=2025, state=Submission.State.IN_PROGRESS
    )
    return users


def _indicator_post():
    indicator = Indicator.objects.get(code="G3-M1-K1")
    return {
        "department": indicator.department_id,
        "unit": "人",
        "direction": "higher",
        "aggregation": "annual",
        "marker": indicator_marker(indicator),
    }


def _review_post():
    Submission.objects.filter(department__code="kodomo").update(state=Submission.State.SUBMITTED)
    return {"action": "approve"}


def _grade_bands_post():
    """The grade-band form as shown, unchanged, with a reason."""
    bands = list(GradeBand.objects.filter(strategy__code="dai3ki"))
    data = {"form-TOTAL_FORMS": len(bands), "form-INITIAL_FORMS": len(bands), "reason": "確認"}
    for i, band in enumerate(bands):
        data.update(
            {
                f"form-{i}-id": band.pk,
                f"form-{i}-label": band.label,
                f"form-{i}-name": band.name,
                f"form-{i}-lower_bound": "" if band.lower_bound is None else band.lower_bound,
                f"form-{i}-colour": band.colour,
                f"form-{i}-description": band.description,
            }
        )
    return data


def _council_roles_url():
    return reverse("office:role_edit", args=[User.objects.get(username="council").pk])


# (name, url, GET answers, POST data factory or None, POST answers), answers in PEOPLE order.
VIEWS = [
    (
        "entry_index",
        lambda: reverse("cycle:entry_index"),
        [LOGIN, 200, 200, 200, 403],
        lambda: {},
        [LOGIN, 405, 405, 405, 403],
    ),
    (
        "entry",
        lambda: reverse("cycle:entry", args=[2025]) + "?department=kodomo",
        [LOGIN, 200, 403, 200, 403],
        lambda: entry_data({"G3-M1-K1": "１"}),
        [LOGIN, 302, 403, 302, 403],
    ),
    (
        "review_index",
        lambda: reverse("cycle:review_index"),
        [LOGIN, 403, 403, 200, 403],
        lambda: {},
        [LOGIN, 403, 403, 405, 403],
    ),
    (
        "review",
        lambda: reverse("cycle:review", args=[2025]),
        [LOGIN, 403, 403, 200, 403],
        lambda: {},
        [LOGIN, 403, 403, 405, 403],
    ),
    (
        "review_department",
        lambda: reverse("cycle:review_department", args=[2025, "kodomo"]),
        [LOGIN, 403, 403, 200, 403],
        _review_post,
        [LOGIN, 403, 403, 302, 403],
    ),
    (
        "fiscal_years",
        lambda: reverse("cycle:fiscal_years"),
        [LOGIN, 403, 403, 200, 403],
        lambda: {"year": 2026, "state": "open", "deadline": "2027-07-30"},
        [LOGIN, 403, 403, 302, 403],
    ),
    (
        "indicator_edit",
        lambda: reverse("cycle:indicator_edit", args=["G3-M1-K1"]),
        [LOGIN, 403, 403, 200, 403],
        _indicator_post,
        [LOGIN, 403, 403, 302, 403],
    ),
    (
        "audit",
        lambda: reverse("office:audit"),
        [LOGIN, 403, 403, 200, 403],
        lambda: {},
        [LOGIN, 403, 403, 405, 403],
    ),
    (
        "grade_bands",
        lambda: reverse("office:grade_bands"),
        [LOGIN, 403, 403, 200, 403],
        _grade_bands_post,
        [LOGIN, 403, 403, 302, 403],
    ),
    (
        "roles",
        lambda: reverse("office:roles"),
        [LOGIN, 403, 403, 200, 403],
        lambda: {},
        [LOGIN, 403, 403, 405, 403],
    ),
    (
        "role_edit",
        _council_roles_url,
        [LOGIN, 403, 403, 200, 403],
        lambda: {"roles": ["expert_council"], "reason": "確認"},
        [LOGIN, 403, 403, 302, 403],
    ),
]

CASES = [
    pytest.param(name, url, method, data, answers, id=f"{name}-{method}")
    for name, url, get_answers, post_data, post_answers in VIEWS
    for method, answers, data in (("GET", get_answers, None), ("POST", post_answers, post_data))
]


def _answer(client, caplog, person, method, path, data):
    """What the view answered this person: LOGIN, or the status (a 403 only counts when it was logged)."""
    client.logout()
    if person is not None:
        login(client, person)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="ami_strategy.access"):
        response = client.get(path) if method == "GET" else client.post(path, data())
    if response.status_code == 302 and response.url.startswith(reverse("login")):
        return LOGIN
    if response.status_code == 403 and not any("access refused" in r.getMessage() for r in caplog.records):
        return "403 not logged"
    return response.status_code


@pytest.mark.parametrize(("name", "url", "method", "data", "expected"), CASES)
def test_every_view_answers_each_role_as_the_rules_say(
    client, world, caplog, name, url, method, data, expected
):
    # One database per view and method (the plan fixture is the slow part); every person is asked.
    answers = {person: _answer(client, caplog, world[person], method, url(), data) for person in PEOPLE}
    assert answers == dict(zip(PEOPLE, expected, strict=True))


def test_a_refused_post_changes_nothing(client, world):
    login(client, world["staff_other"])
    client.post(reverse("cycle:entry", args=[2025]) + "?department=kodomo", entry_data({"G3-M1-K1": "9"}))
    login(client, world["council"])
    client.post(reverse("cycle:fiscal_years"), {"year": 2026, "state": "open", "deadline": "2027-07-30"})
    client.post(reverse("cycle:indicator_edit", args=["G3-M1-K1"]), {**_indicator_post(), "unit": "件"})
    from kpis.models import ActualValue

    assert not ActualValue.objects.exists()
    assert FiscalYear.objects.get(year=2026).state == FiscalYear.State.NOT_OPEN
    assert Indicator.objects.get(code="G3-M1-K1").unit != "件"


def test_the_planning_office_may_open_any_departments_entry_screen(client, world):
    login(client, world["planning"])
    for code in ("kodomo", "shoko"):
        url = reverse("cycle:entry", args=[2025]) + f"?department={code}"
        assert client.get(url).status_code == 200
