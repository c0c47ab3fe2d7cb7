"""The dashboards on a plan many times the real one stay usable: no page over 1 MB of HTML and none that grows
with the plan (the overview shows one goal's KGI cards at a time, long tables are paginated with their total),
and the open data is streamed, valid JSON and CSV, still answered 304 while nothing changed."""

import csv
import io
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from goals.models import Strategy
from kpis.models import ActualValue, Indicator
from kpis.rules import stored
from tests.support.factories import build_synthetic_plan

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
COPIES = 20  # 960 indicators, 120 KGIs (30 a goal): more than one page of everything


@pytest.fixture
def large(reader):
    return build_synthetic_plan(COPIES, code="large")


def html(client, url, status=200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    return response.content.decode()


def body(response) -> bytes:
    assert response.streaming
    return b"".join(response.streaming_content)


def kgi_cards(page: str) -> list[str]:
    return re.findall(r'<article class="kgi-card">.*?<h4><a href="/indicators/([^/]+)/"', page, re.S)


def overview_size(client, copies: int) -> int:
    """The overview's size for a plan `copies` times the real one (made the current plan)."""
    Strategy.objects.update(is_active=False)
    build_synthetic_plan(copies, code=f"x{copies}")
    return len(html(client, "/").encode())


def test_the_overview_does_not_grow_with_the_plan(reader):
    small, five, large = (overview_size(reader, copies) for copies in (1, 5, COPIES))
    # 5x: one goal's 8 KGIs instead of 6; 20x: a page of 12 cards, as at 100x.
    assert five < 2 * small and large < 2 * five and large < MB


def test_the_real_sized_overview_shows_every_kgi_without_goal_tabs(reader):
    build_synthetic_plan(1)
    page = html(reader, "/")
    assert len(kgi_cards(page)) == 6
    assert "goal-tabs" not in page and "kgi_page" not in page


def test_at_scale_the_overview_shows_one_goals_kgi_cards_a_page_at_a_time(reader, large):
    response = reader.get("/", {"fy": 2026})
    page = response.content.decode()
    assert kgi_cards(page) == [f"G1-KGI{n}" for n in range(1, 13)]
    assert "全30件中 1〜12件" in page
    # Every goal is a plain link keeping the year; the shown one is marked as the current page.
    assert '<span aria-current="page">基本目標1</span>' in page
    assert 'href="?fy=2026&amp;goal=G3#kgi-heading"' in page
    assert 'href="?fy=2026&amp;kgi_page=2#kgi-heading"' in page
    # The distribution is still the whole plan's.
    assert response.context["distribution_total"].total == 42 * COPIES

    last = html(reader, "/?fy=2026&kgi_page=3")
    assert kgi_cards(last) == [f"G1-KGI{n}" for n in range(25, 31)] and "全30件中 25〜30件" in last
    assert kgi_cards(html(reader, "/?fy=2026&goal=G3")) == [f"G3-KGI{n}" for n in range(1, 13)]


def test_an_unknown_goal_is_refused_naming_the_parameter(reader, large):
    page = html(reader, "/?goal=G9", status=400)
    assert "基本目標（goal）: 「G9」はこの計画にありません。" in page
    assert kgi_cards(page)[0] == "G1-KGI1"


def test_the_changed_grades_are_paginated(reader, large):
    # Every KPI's FY2026 figure far below its expected value: every grade falls…
    ActualValue.objects.filter(indicator__strategy=large, indicator__kind="KPI", fiscal_year=2026).update(
        value=0
    )
    stored.refresh_strategy(large.pk)  # …once the results are refreshed, as a write would
    page = html(reader, "/?fy=2026")
    assert re.search(r"全[\d,]+件中 1〜50件", page)
    assert page.count('<td class="change change-') == 50
    assert 'href="?fy=2026&amp;changes_page=2#changes-heading"' in page


def test_the_indicator_table_counts_every_row_and_keeps_filters_and_sort_across_pages(reader, large):
    first = html(reader, "/indicators/")
    assert "全960件中 1〜50件" in first and len(first.encode()) < MB
    page = html(reader, "/indicators/?kind=KPI&sort=-rate&fy=2026")
    assert "全840件中 1〜50件" in page
    link = re.search(r'<li class="next"><a href="\?([^"]+)"', page).group(1).replace("&amp;", "&")
    assert set(link.split("&")) == {"kind=KPI", "sort=-rate", "fy=2026", "page=2"}
    second = html(reader, "/indicators/?" + link)
    assert "全840件中 51〜100件" in second
    assert "G1-KGI" not in second  # the filter held


def test_the_goal_page_pages_its_kgi_cards_and_plan_table_with_their_totals(reader, large):
    # 30 KGIs and 210 KPIs a goal (tests/reports/test_goal_plan_pages.py for the pages themselves)
    page = html(reader, "/goals/G1/?fy=2026")
    assert len(page.encode()) < MB
    assert "全30件中 1〜12件" in page and "全210件中 1〜50件" in page
    assert page.count('<article class="kgi-card wide">') == 12
    assert 'href="?fy=2026&amp;kpi_page=2#plan-heading"' in page


def test_the_department_page_is_paginated_with_its_total(reader, large):
    page = html(reader, "/departments/large-dept/")
    assert "全960件中 1〜50件" in page and len(page.encode()) < MB
    assert 'href="?page=2#indicators-heading"' in page
    assert "全960件中 951〜960件" in html(reader, "/departments/large-dept/?page=20")


@pytest.mark.parametrize("copies", [1, 5])
def test_the_api_streams_valid_json_and_csv_in_queries_that_do_not_grow(reader, copies):
    build_synthetic_plan(copies)
    counts = []
    for url in ("/api/v1/indicators.json", "/api/v1/indicators.csv"):
        with CaptureQueriesContext(connection) as queries:
            content = body(reader.get(url))
        counts.append(len(queries))
        if url.endswith(".json"):
            assert len(json.loads(content)["indicators"]) == 48 * copies
        else:
            rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
            assert len(rows) == 1 + 48 * copies * 3  # a header, then every indicator and plan year
    assert counts == [8, 8]  # the same at 48 and 240 indicators (see tests/kpis/test_api.py)


def test_the_streamed_csv_still_neutralises_formulas(reader):
    build_synthetic_plan(1)
    Indicator.objects.filter(code="G1-KGI1").update(name="=HYPERLINK(1)", unit="@人")
    rows = list(csv.DictReader(io.StringIO(body(reader.get("/api/v1/indicators.csv")).decode("utf-8-sig"))))
    row = next(r for r in rows if r["指標コード"] == "G1-KGI1")
    assert (row["指標名"], row["単位"]) == ("'=HYPERLINK(1)", "'@人")


@pytest.mark.parametrize("url", ["/api/v1/indicators.json", "/api/v1/indicators.csv"])
def test_the_streamed_api_is_still_answered_304_while_nothing_changed(reader, url):
    build_synthetic_plan(1)
    first = reader.get(url)
    body(first)
    again = reader.get(url, headers={"if-none-match": first["ETag"]})
    assert again.status_code == 304 and not again.streaming and again.content == b""
