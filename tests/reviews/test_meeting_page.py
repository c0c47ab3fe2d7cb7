"""The meeting page reads its year's results lean (stored values, the KGIs' figures of that year only) and
draws exactly what evaluating every indicator with all its figures draws: the same bytes for each role and
year, also when a result is missing from the store and is computed on read."""

import datetime
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from goals.models import Goal
from kpis.models import ActualValue, Indicator, Kind, StoredResult
from kpis.rules.evaluation import evaluate_all, evaluate_indicator, rollup_by_goal
from reviews import views
from reviews.models import GoalEvaluation, Meeting, Opinion
from tests.support.factories import set_actual

pytestmark = pytest.mark.django_db

YEARS = (2025, 2026, 2027)
STATUSES = (ActualValue.Status.APPROVED, ActualValue.Status.SUBMITTED, ActualValue.Status.DRAFT)


@pytest.fixture
def meetings(plan, users):
    """The demo's figures (FY2025, with baselines) and FY2026's in every status, a meeting for each year,
    evaluations and opinions."""
    with override_settings(DEBUG=True):  # the demo loader refuses to run otherwise
        call_command("load_demo", stdout=StringIO())
    demo = ActualValue.objects.filter(indicator__strategy=plan, fiscal_year=2025, value__isnull=False)
    for n, figure in enumerate(demo.select_related("indicator").order_by("indicator__code")):
        if n % 4 != 3:
            set_actual(figure.indicator.code, 2026, figure.value + n % 7, status=STATUSES[n % 3])
    found = []
    for year in YEARS:
        meeting = Meeting.objects.create(
            strategy=plan, fiscal_year=year, name=f"{year}年度の会議", date=datetime.date(year + 1, 7, 10)
        )
        for goal in Goal.objects.filter(strategy=plan, number__lte=2):
            GoalEvaluation.objects.create(goal=goal, fiscal_year=year, text=f"{goal.code}の総合評価")
            Opinion.objects.create(
                strategy=plan,
                fiscal_year=year,
                meeting=meeting,
                goal=goal,
                text="意見",
                author=users["council"],
            )
        found.append(meeting)
    return found


def every_kgi_evaluated(strategy, year):
    """The KGIs' evaluations read the slow, obvious way: with every figure and result of every year."""
    indicators = Indicator.objects.of_strategy(strategy).filter(kind=Kind.KGI).with_figures()
    return evaluate_all(indicators, strategy)


def every_kpi_rolled_up(indicators, goals, fiscal_year, scale, internal):
    """The grades by goal read the slow, obvious way: every KPI evaluated with its figures, every figure
    counting (the page is the council's and the town's staff's, never the public's)."""
    evaluations = [evaluate_indicator(i, [fiscal_year], scale) for i in indicators.with_figures()]
    return rollup_by_goal(evaluations, goals, fiscal_year, scale)


def read_slowly(monkeypatch):
    monkeypatch.setattr(views, "_kgi_evaluations", every_kgi_evaluated)
    monkeypatch.setattr(views, "stored_rollup_by_goal", every_kpi_rolled_up)


def pages(users, meetings) -> dict[tuple[str, int], bytes]:
    """The page of each meeting for a council member, a department's staff and the planning office."""
    found = {}
    for role in ("council", "staff_own", "planning"):
        client = Client()
        client.force_login(users[role])
        for meeting in meetings:
            response = client.get(meeting.get_absolute_url())
            assert response.status_code == 200
            # The CSRF token (of the language switch) is new on every page; everything else must match.
            found[role, meeting.fiscal_year] = re.sub(
                rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", response.content
            )
    return found


def test_the_lean_meeting_page_draws_the_same_bytes_as_evaluating_every_figure(users, meetings, monkeypatch):
    lean = pages(users, meetings)
    read_slowly(monkeypatch)
    assert pages(users, meetings) == lean


def test_a_result_missing_from_the_store_is_computed_and_drawn_the_same(users, meetings, monkeypatch):
    StoredResult.objects.filter(indicator__code__in=["G1-KGI1", "G2-M1-K1"], fiscal_year=2026).delete()
    lean = pages(users, meetings)
    read_slowly(monkeypatch)
    assert pages(users, meetings) == lean


def test_the_page_marks_the_kgi_figures_not_yet_approved(client, users, meetings):
    client.force_login(users["council"])
    html = client.get(meetings[1].get_absolute_url()).content.decode()
    unapproved = ActualValue.objects.filter(
        indicator__kind=Kind.KGI, fiscal_year=2026, value__isnull=False
    ).exclude(status=ActualValue.Status.APPROVED)
    assert unapproved.exists()
    assert html.count("unapproved-mark") == unapproved.count()
