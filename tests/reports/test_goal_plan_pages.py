"""The goal page on a plan larger than one page: its KGI cards (12 to a page, ?kgi_page=) and its plan table
(50 KPI rows to a page, ?kpi_page=) are paginated with their totals, each page repeating the measure and
policy of its first rows; the links keep the other pager and the year; the queries do not grow with the
plan; and at the real plan's size nothing changes (no pager)."""

import re
from collections import Counter

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from goals.models import Measure, Policy
from kpis.models import ActualValue, Indicator, Kind, Placement, StoredResult
from tests.support.factories import build_synthetic_plan, set_actual

pytestmark = pytest.mark.django_db

COPIES = 10  # goal G1: 15 KGIs, 105 KPIs


@pytest.fixture
def large():
    """G1 of a 10× plan in three blocks: G1-M1-P1 with K1–K60; G1-M2-P1 with K61–K105; G1-M2-P2 without
    KPIs; G1-M2-P3 showing G2-M1-K1 again (【再掲】). 106 KPI rows: pages of 50, 50 and 6."""
    strategy = build_synthetic_plan(COPIES, code="large")
    goal = strategy.goals.get(code="G1")
    second = Measure.objects.create(goal=goal, code="G1-M2", number=2, title="第二の施策の方向")
    moved = Policy.objects.create(measure=second, code="G1-M2-P1", number=1, title="移した施策")
    Policy.objects.create(measure=second, code="G1-M2-P2", number=2, title="KPIのない施策")
    repost = Policy.objects.create(measure=second, code="G1-M2-P3", number=3, title="再掲の施策")
    later = [f"G1-M1-K{n}" for n in range(61, 106)]
    Placement.objects.filter(indicator__strategy=strategy, indicator__code__in=later).update(policy=moved)
    Placement.objects.create(
        policy=repost, indicator=Indicator.objects.get(strategy=strategy, code="G2-M1-K1"), is_repost=True
    )
    return strategy


def html(client, url, status=200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    return response.content.decode()


def kgi_cards(page: str) -> list[str]:
    return re.findall(r'<article class="kgi-card wide">\s*<h3><a href="/indicators/([^/]+)/"', page)


def kpi_rows(page: str) -> list[str]:
    """The KPI codes of the plan table's rows, in order."""
    table = page[page.index('<table class="data plan-table">') :]
    table = table[: table.index("</table>")]
    return re.findall(r'<td><a href="/indicators/([^/]+)/">', table)


def plan_table(page: str) -> str:
    start = page.index('<table class="data plan-table">')
    return page[start : page.index("</table>", start)]


def links(page: str, anchor: str) -> dict[str, set[str]]:
    """The pager's previous and next links (to `anchor`), each as its set of parameters."""
    found = re.findall(rf'<li class="(previous|next)"><a href="\?([^"#]+)#{anchor}"', page)
    return {kind: set(query.replace("&amp;", "&").split("&")) for kind, query in found}


def test_the_kgi_cards_come_twelve_to_a_page_with_their_total(reader, large):
    first = html(reader, "/goals/G1/")
    assert kgi_cards(first) == [f"G1-KGI{n}" for n in range(1, 13)]
    assert "全15件中 1〜12件" in first
    second = html(reader, "/goals/G1/?kgi_page=2")
    assert kgi_cards(second) == ["G1-KGI13", "G1-KGI14", "G1-KGI15"]
    assert "全15件中 13〜15件" in second
    # The plan table stays on its first page meanwhile.
    assert kpi_rows(second) == kpi_rows(first)


def test_the_plan_table_comes_fifty_kpi_rows_to_a_page_each_kpi_on_one_page(reader, large):
    pages = [html(reader, f"/goals/G1/?kpi_page={n}") for n in (1, 2, 3)]
    assert "全106件中 1〜50件" in pages[0]
    assert "全106件中 51〜100件" in pages[1]
    assert "全106件中 101〜106件" in pages[2]
    rows = [kpi_rows(page) for page in pages]
    assert [len(r) for r in rows] == [50, 50, 6]
    assert rows[0] == [f"G1-M1-K{n}" for n in range(1, 51)]
    assert rows[1] == [f"G1-M1-K{n}" for n in range(51, 101)]
    every = [code for page in rows for code in page]
    assert every == [f"G1-M1-K{n}" for n in range(1, 106)] + ["G2-M1-K1"]
    assert set(Counter(every).values()) == {1}
    # The KGI cards stay on their first page meanwhile.
    assert kgi_cards(pages[2]) == [f"G1-KGI{n}" for n in range(1, 13)]


def test_a_page_of_the_plan_table_repeats_the_measure_and_policy_it_starts_in(reader, large):
    second = plan_table(html(reader, "/goals/G1/?kpi_page=2"))
    # K51–K60 under G1-M1-P1 (its heading again, spanning its 10 rows here), then K61–K100 under G1-M2-P1.
    assert second.count('class="measure-row"') == 2
    assert re.search(
        r'<th scope="row" rowspan="10" class="policy">\s*施策\s*<br><span class="code">G1-M1-P1', second
    )
    assert re.search(r'rowspan="40" class="policy">\s*移した施策\s*<br><span class="code">G1-M2-P1', second)
    last = plan_table(html(reader, "/goals/G1/?kpi_page=3"))
    assert last.count('class="measure-row"') == 1 and "G1-M2" in last and "G1-M1-P1" not in last
    assert re.search(r'rowspan="5" class="policy">\s*移した施策', last)
    # The policy without KPIs and the 【再掲】 one go with the last rows.
    assert "G1-M2-P2" in last and "KPIは設定されていません。" in last
    assert '<tr class="repost-row">' in last and "G2-M1-K1" in last
    assert "KPIは設定されていません。" not in second


def test_the_distribution_counts_the_whole_goal_on_every_page(reader, large):
    for url in ("/goals/G1/", "/goals/G1/?kpi_page=3"):
        response = reader.get(url)
        assert response.context["distribution_total"].total == 106
        assert [r.total for _measure, (_label, r) in response.context["distribution"]] == [60, 46]


def test_each_pager_keeps_the_other_pagers_page_and_the_year(reader, large):
    page = html(reader, "/goals/G1/?fy=2026&kgi_page=2&kpi_page=2")
    assert links(page, "kgi-heading") == {"previous": {"fy=2026", "kgi_page=1", "kpi_page=2"}}
    assert links(page, "plan-heading") == {
        "previous": {"fy=2026", "kgi_page=2", "kpi_page=1"},
        "next": {"fy=2026", "kgi_page=2", "kpi_page=3"},
    }
    # Without ?fy= the links name the year shown (the latest with figures), so the next page shows it too.
    first = html(reader, "/goals/G1/")
    assert links(first, "plan-heading") == {"next": {"fy=2027", "kpi_page=2"}}
    assert links(first, "kgi-heading") == {"next": {"fy=2027", "kgi_page=2"}}


@pytest.mark.parametrize(
    ("query", "kgi_first", "kpi_first"),
    [
        ("kgi_page=abc&kpi_page=x1", "G1-KGI1", "G1-M1-K1"),  # not a number: the first page
        ("kgi_page=&kpi_page=", "G1-KGI1", "G1-M1-K1"),
        ("kgi_page=99&kpi_page=99", "G1-KGI13", "G1-M1-K101"),  # past the end: the last page
        ("kgi_page=0&kpi_page=-1", "G1-KGI13", "G1-M1-K101"),
        ("kgi_page=1.5&kpi_page=2%00", "G1-KGI1", "G1-M1-K1"),
    ],
)
def test_a_junk_or_out_of_range_page_number_shows_the_first_or_last_page(
    reader, large, query, kgi_first, kpi_first
):
    page = html(reader, f"/goals/G1/?{query}")
    assert kgi_cards(page)[0] == kgi_first
    assert kpi_rows(page)[0] == kpi_first


def _goal_queries(client, url) -> int:
    client.get(url)  # caches filled once per process (content types, templates)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


URLS = ["/goals/G1/", "/goals/G1/?kgi_page=2&kpi_page=2", "/goals/G3/?fy=2026"]


def test_the_queries_do_not_grow_with_the_plan(reader, settings, django_assert_num_queries):
    settings.PUBLIC_DASHBOARDS = True
    clients = {"planning": reader, "public": Client()}
    build_synthetic_plan(1, code="small")  # G1: 2 KGIs, 11 KPIs: everything on one page
    small = {(name, url): _goal_queries(client, url) for name, client in clients.items() for url in URLS}
    build_synthetic_plan(COPIES, code="large")  # G1: 15 KGIs, 105 KPIs: two and three pages
    for (name, url), expected in small.items():
        with django_assert_num_queries(expected, info=f"{name} {url}"):
            response = clients[name].get(url)
        assert response.status_code == 200
        assert "table-tools pager" in response.content.decode()


def test_at_the_real_size_the_page_shows_everything_without_a_pager(reader, plan):
    for goal in plan.goals.all():
        page = html(reader, f"/goals/{goal.code}/")
        assert "table-tools pager" not in page and "kgi_page" not in page and "kpi_page" not in page
        kgis = Indicator.objects.filter(goal=goal, kind=Kind.KGI)
        assert sorted(kgi_cards(page)) == sorted(kgis.values_list("code", flat=True))
        placed = Placement.objects.filter(policy__measure__goal=goal).order_by(
            "policy__measure__number", "policy__number", "order"
        )
        assert kpi_rows(page) == [p.indicator.code for p in placed]


def test_results_missing_from_the_store_are_computed_and_drawn_the_same(reader, plan, figures):
    set_actual("G2-M1-K1", 2025, 120, status=ActualValue.Status.SUBMITTED)
    url = "/goals/G2/?fy=2025"
    stored = html(reader, url)
    StoredResult.objects.filter(indicator__code__in=["G2-KGI1", "G2-M1-K1", "G2-M1-K2"]).delete()
    assert without_csrf(html(reader, url)) == without_csrf(stored)


def without_csrf(page: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
