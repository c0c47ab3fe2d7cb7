"""Every dashboard page, the meeting page, its pack (made, then served made) and the open-data API cost the
same number of queries for the real plan's size and for 100 times it.

The 100× plan (4,800 indicators, 14,400 figures) is built once for all pages: building and rendering it
takes seconds, and the point is the count, which must not depend on the size.
"""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.access import Role
from reports.pack import builds
from reviews.models import Meeting, Opinion
from tests.support.factories import build_synthetic_plan, make_user

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/?fy=2026",
    "/goals/G1/",
    "/goals/G4/?fy=2027",
    "/goals/G2/?kgi_page=2&kpi_page=9",
    "/indicators/",
    "/indicators/?goal=__goal__&grade=A&sort=-rate",
    "/indicators/?export=csv&sort=grade",
    "/indicators/G1-KGI1/",
    "/indicators/G1-M1-K1/",
    "/departments/__code__-dept/",
    "/meetings/__meeting__/",
    "/api/v1/indicators.json",
    "/api/v1/indicators.csv?fiscal_year=2026",
]
PUBLIC_PAGES = [
    "/",
    "/goals/G1/",
    "/goals/G1/?kpi_page=2",
    "/indicators/?export=csv",
    "/indicators/G1-M1-K1/",
    "/api/v1/indicators.json",
    "/api/v1/indicators.csv",
]


def _url(page: str, code: str, strategy) -> str:
    goal = strategy.goals.get(code="G1").pk
    meeting = _meeting(strategy).pk
    return page.replace("__code__", code).replace("__goal__", str(goal)).replace("__meeting__", str(meeting))


def _meeting(strategy) -> Meeting:
    """The plan's meeting reviewing 2026, with an opinion on a goal and one on an indicator."""
    meeting, created = Meeting.objects.get_or_create(
        strategy=strategy, fiscal_year=2026, defaults={"name": "会議", "date": datetime.date(2027, 7, 10)}
    )
    if created:
        for subject in ({"goal": strategy.goals.get(code="G1")}, {"indicator": strategy.indicators.first()}):
            Opinion.objects.create(
                strategy=strategy, fiscal_year=2026, meeting=meeting, text="意見", **subject
            )
    return meeting


def _read(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _counts(clients: dict, pages: dict, code: str, strategy) -> dict:
    counts = {}
    for name, client in clients.items():
        for page in pages[name]:
            url = _url(page, code, strategy)
            client.get(url)  # caches filled once per process (content types, templates)
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
                _read(response)  # a streamed answer runs its queries while it is read
            assert response.status_code == 200, url
            counts[name, page] = len(queries)
    return counts


def _pack_counts(client: Client, strategy) -> tuple[int, int]:
    """The queries of making a meeting's A4 pack (its data read; the layout stubbed) and of serving it made."""
    url = f"/meetings/{_meeting(strategy).pk}/pack.pdf"
    assert client.get(url + "?paper=a3").status_code == 200  # caches filled once per process
    counts = []
    for _made_then_served in range(2):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200 and response.content == b"%PDF-stub", url
        counts.append(len(queries))
    return counts[0], counts[1]


def test_every_dashboard_page_costs_the_same_queries_at_1x_and_100x(
    settings, django_assert_num_queries, monkeypatch
):
    settings.PUBLIC_DASHBOARDS = True
    monkeypatch.setattr(builds, "pack_pdf", lambda pack, paper: b"%PDF-stub")
    council = Client()
    council.force_login(make_user("reader", Role.COUNCIL))
    clients = {"council": council, "public": Client()}
    pages = {"council": PAGES, "public": PUBLIC_PAGES}
    small_plan = build_synthetic_plan(1, code="small")
    small = _counts(clients, pages, "small", small_plan)
    small_pack = _pack_counts(council, small_plan)

    large_plan = build_synthetic_plan(100, code="large")
    assert large_plan.indicators.count() == 4800
    for (name, page), expected in small.items():
        url = _url(page, "large", large_plan)
        with django_assert_num_queries(expected, info=f"{name} {url}"):
            response = clients[name].get(url)
            _read(response)
        assert response.status_code == 200, url
    assert _pack_counts(council, large_plan) == small_pack
