"""scripts/bench.py at a small size: the builder makes the plan it says, and a page is measured, not crashed on."""

import importlib
import sys
from io import BytesIO
from pathlib import Path

import pytest
from django.test import Client

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


@pytest.fixture
def bench():
    if str(SCRIPTS) not in sys.path:
        sys.path.insert(0, str(SCRIPTS))
    return importlib.import_module("bench")


@pytest.fixture
def small_plan(db, bench):
    return bench.build_plan(copies=1, years=3, departments=3)


@pytest.fixture
def bench_client(small_plan, bench, settings):
    settings.ROOT_URLCONF = bench.BENCH_URLCONF
    client = Client(raise_request_exception=True)
    client.force_login(small_plan.planning)
    return client


def test_bench_builder_makes_a_plan_of_the_requested_size(small_plan):
    from kpis.models import Indicator, Kind

    indicators = Indicator.objects.filter(strategy=small_plan.strategy)
    assert indicators.filter(kind=Kind.KPI).count() == 42
    assert indicators.filter(kind=Kind.KGI).count() == 6
    assert small_plan.strategy.plan_years == [2025, 2026, 2027]
    assert small_plan.counts["departments"] == 3


def test_bench_builder_gives_every_indicator_a_figure_for_every_year(small_plan):
    from kpis.models import ActualValue, Placement

    actuals = ActualValue.objects.filter(indicator__strategy=small_plan.strategy)
    assert actuals.count() == 48 * 3 == small_plan.counts["actual values"]
    assert not actuals.filter(value__isnull=True).exists()
    assert Placement.objects.filter(indicator__strategy=small_plan.strategy).count() == 42


def test_bench_builder_makes_the_synthetic_plan_the_current_one(db, bench):
    from django.core.management import call_command

    from goals.models import Strategy

    call_command("load_plan", verbosity=0)
    plan = bench.build_plan(copies=1, years=2, departments=2)
    assert Strategy.objects.current() == plan.strategy


def test_bench_measures_a_page_with_its_status_and_query_count(bench, small_plan, bench_client):
    result = bench.measure(
        bench_client, bench.Target("/review/<fy>/", f"/review/{small_plan.fiscal_year}/"), runs=1
    )
    assert result.status == "200"
    assert isinstance(result.queries, int) and result.queries > 0
    assert result.median > 0


def test_bench_reports_a_page_that_is_not_there_yet_as_missing(bench, bench_client):
    result = bench.measure(bench_client, bench.Target("/not-built-yet/", "/not-built-yet/"), runs=1)
    assert result.status == "missing"


def test_bench_finds_the_other_pages_in_the_urlconf(bench, small_plan, settings):
    settings.ROOT_URLCONF = bench.BENCH_URLCONF
    extra, skipped = bench.discovered_targets(small_plan, measured_views=set())
    names = {target.view_name for target in extra}
    assert {"dashboards:home", "cycle:review", "api:indicators_json"} <= names
    assert ("/admin/", bench.SKIPPED_NAMESPACES["admin"]) in skipped


def test_bench_compares_each_workbook_with_raw_openpyxl_writing_its_cells(bench, small_plan, bench_client):
    from openpyxl import load_workbook

    from kpis.models import Indicator

    owned = Indicator.objects.filter(department=small_plan.department).values_list("code", flat=True)[0]
    review = bench.workbook_target(small_plan)
    template = bench.Target(
        "/reports/entry-template.xlsx?fiscal_year=<fy>&department=<code>",
        "/reports/entry-template.xlsx",
        {"fiscal_year": small_plan.fiscal_year, "department": small_plan.department.code},
    )
    page = bench.Target("/review/<fy>/", f"/review/{small_plan.fiscal_year}/")
    results = [bench.measure(bench_client, target, runs=1) for target in (template, page, review)]
    assert [r.status for r in results] == ["200", "200", "200"]
    cells = []
    for target in (review, template):
        response = bench_client.get(target.path, target.query)
        body = b"".join(response.streaming_content)
        sheets = bench.workbook_cells(body)
        # Every sheet of the workbook, with its cells: the code of one of the department's indicators.
        assert [title for title, _ in sheets] == load_workbook(BytesIO(body)).sheetnames
        assert any(value == owned for _, rows in sheets for row in rows for value, _ in row)
        cells.append(sum(len(row) for _, rows in sheets for row in rows))

    lines = bench.workbook_baselines(bench_client, results, runs=1)

    # One line a workbook, the review workbook first; the HTML page has none.
    assert len(lines) == 2
    for line, label, count in zip(lines, (review.label, template.label), cells, strict=True):
        assert line.startswith(
            f"Workbook baseline: raw openpyxl (write-only) writing the same {count:,} cells"
        )
        assert f"; {label} " in line
    assert lines[0].endswith("× raw openpyxl (issue 15's target: ≤ 2×)")
    assert lines[1].endswith("× raw openpyxl (the review workbook's target: ≤ 2×)")
