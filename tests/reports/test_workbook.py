import io
import shutil
import subprocess
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from goals.models import Strategy
from kpis.models import GradeBand, Indicator, Kind
from kpis.rules.evaluation import evaluate_all, scale_for
from reports.excel.workbook import build_review_workbook
from tests.support.factories import build_synthetic_plan, set_actual

pytestmark = pytest.mark.django_db

HEADER_ROW = 5  # the group headers; the column headers are on the row below
FIRST_DATA_ROW = 7


def open_workbook(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def column_of(ws, header: str, occurrence: int = 1) -> int:
    """The column whose header (on either header row) is `header`; `occurrence` for repeated ones."""
    seen = 0
    for column in range(1, ws.max_column + 1):
        texts = {ws.cell(HEADER_ROW, column).value, ws.cell(HEADER_ROW + 1, column).value}
        if header in texts:
            seen += 1
            if seen == occurrence:
                return column
    raise AssertionError(f"no column {header!r}")


def rows_with_code(ws, code: str, first_row: int = FIRST_DATA_ROW) -> list[int]:
    return [row for row in range(first_row, ws.max_row + 1) if ws.cell(row, 1).value == code]


def summary_row(ws, code: str) -> int:
    return next(row for row in range(1, ws.max_row + 1) if ws.cell(row, 2).value == code)


def evaluation_of(strategy, code: str):
    indicator = Indicator.objects.with_figures().get(strategy=strategy, code=code)
    return evaluate_all([indicator], strategy)[0]


def test_the_workbook_has_a_summary_and_one_sheet_per_basic_goal(plan):
    workbook = open_workbook(build_review_workbook(plan, 2025))
    assert workbook.sheetnames == ["総括", "基本目標1", "基本目標2", "基本目標3", "基本目標4"]
    summary = workbook["総括"]
    assert summary["A1"].value == "第３期阿見町まち・ひと・しごと創生総合戦略"
    texts = [cell.value for row in summary.iter_rows() for cell in row if isinstance(cell.value, str)]
    assert any("2025年度（令和7年度）" in text for text in texts)
    assert workbook["基本目標3"]["A1"].value.startswith("基本目標3「まちぐるみで妊婦")


def test_every_kpi_and_kgi_of_the_plan_has_a_row_on_its_goal_sheet(plan):
    workbook = open_workbook(build_review_workbook(plan, 2025))
    codes = set()
    for name in ("基本目標1", "基本目標2", "基本目標3", "基本目標4"):
        ws = workbook[name]
        kind = column_of(ws, "区分")
        for row in range(FIRST_DATA_ROW, ws.max_row + 1):
            if ws.cell(row, kind).value in ("KGI", "KPI"):
                codes.add(ws.cell(row, 1).value)
    expected = set(Indicator.objects.filter(strategy=plan).values_list("code", flat=True))
    assert codes == expected
    assert len([c for c in codes if "KGI" in c]) == 6 and len(codes) == 48


def test_kgi_figures_rate_and_grade_equal_the_evaluation_engines(plan):
    set_actual("G2-KGI1", 2025, 400)
    set_actual("G1-KGI1", 2025, 279000)
    workbook = open_workbook(build_review_workbook(plan, 2025))
    summary = workbook["総括"]
    for code in ("G2-KGI1", "G1-KGI1"):
        result = evaluation_of(plan, code).year(2025)
        row = summary_row(summary, code)
        expected, actual, rate, grade = (summary.cell(row, column).value for column in (7, 8, 11, 12))
        assert Decimal(str(expected)) == result.expected
        assert Decimal(str(actual)) == result.actual
        assert Decimal(str(rate)) == result.rate
        assert grade == result.grade
    row = summary_row(summary, "G2-KGI1")
    assert [summary.cell(row, c).value for c in (5, 7, 8, 9, 11, 12)] == [568, 491.67, 400, 339, 81.4, "B+"]

    ws = workbook["基本目標2"]
    (row,) = rows_with_code(ws, "G2-KGI1")
    assert ws.cell(row, column_of(ws, "期待値")).value == 491.67
    assert ws.cell(row, column_of(ws, "実績値")).value == 400
    assert ws.cell(row, column_of(ws, "達成率（％）")).value == 81.4
    assert ws.cell(row, column_of(ws, "評価")).value == "B+"


def test_figures_are_numeric_cells_with_number_formats_and_missing_ones_show_a_dash(plan):
    set_actual("G1-KGI1", 2025, 279000)
    workbook = open_workbook(build_review_workbook(plan, 2025))
    ws = workbook["基本目標1"]
    (row,) = rows_with_code(ws, "G1-KGI1")
    baseline = ws.cell(row, column_of(ws, "基準値"))
    expected = ws.cell(row, column_of(ws, "期待値"))
    rate = ws.cell(row, column_of(ws, "達成率（％）"))
    for cell in (baseline, expected, rate):
        assert cell.data_type == "n" and isinstance(cell.value, int | float)
    assert baseline.value == 277835 and baseline.number_format == "#,##0"
    # The rule's exact expected value, shown with the indicator's own places (whole people, not 280,021.33).
    assert expected.value == 280021.33 and expected.number_format == "#,##0"
    assert rate.number_format == "#,##0.0"
    next_year_actual = ws.cell(row, column_of(ws, "実績値", occurrence=2))
    assert next_year_actual.value == "−"


def test_an_indicators_decimal_places_choose_the_number_format(plan):
    Indicator.objects.filter(code="G3-KGI2").update(decimal_places=1)
    set_actual("G3-KGI2", 2025, "3.25")
    ws = open_workbook(build_review_workbook(plan, 2025))["基本目標3"]
    (row,) = rows_with_code(ws, "G3-KGI2")
    actual = ws.cell(row, column_of(ws, "実績値"))
    assert actual.value == 3.25 and actual.number_format == "#,##0.0"


def test_year_headers_read_as_on_the_screens_western_year_then_wareki(plan):
    workbook = open_workbook(build_review_workbook(plan, 2025))
    ws = workbook["基本目標1"]
    headers = [ws.cell(HEADER_ROW, column).value for column in range(1, ws.max_column + 1)]
    for label in ("2025年度（令和7年度）", "2026年度（令和8年度）", "2027年度（令和9年度）"):
        assert label in headers
    assert "2025年度（令和7年度）の評価" in headers
    (row,) = rows_with_code(ws, "G1-KGI1")
    assert ws.cell(row, column_of(ws, "年度")).value == "2024年度（令和6年度）"  # the baseline year
    summary = workbook["総括"]
    texts = [cell.value for row in summary.iter_rows() for cell in row if isinstance(cell.value, str)]
    assert "期待値\n2025年度（令和7年度）" in texts
    assert not any("（2025）" in text or "（2024）" in text for text in texts)


def test_grades_show_their_letter_and_the_bands_fill_colour(plan):
    set_actual("G2-KGI1", 2025, 600)  # 122.0 → A
    workbook = open_workbook(build_review_workbook(plan, 2025))
    ws = workbook["基本目標2"]
    (row,) = rows_with_code(ws, "G2-KGI1")
    cell = ws.cell(row, column_of(ws, "評価"))
    colour = GradeBand.objects.get(strategy=plan, label="A").colour.lstrip("#").upper()
    assert cell.value == "A"
    assert cell.fill.fill_type == "solid" and cell.fill.fgColor.rgb.endswith(colour)


def test_the_reposted_kpi_is_marked_and_counted_once(plan):
    set_actual("G1-M1-K1", 2025, 10)
    workbook = open_workbook(build_review_workbook(plan, 2025))
    goal3 = workbook["基本目標3"]
    kind = column_of(goal3, "区分")
    (row,) = rows_with_code(goal3, "G1-M1-K1")
    assert goal3.cell(row, kind).value == "KPI【再掲】"
    assert "【再掲】" in goal3.cell(row, column_of(goal3, "施策")).value
    (home,) = rows_with_code(workbook["基本目標1"], "G1-M1-K1")
    assert workbook["基本目標1"].cell(home, kind).value == "KPI"

    summary = workbook["総括"]
    totals = {}
    for r in range(1, summary.max_row + 1):
        label = summary.cell(r, 1).value
        if label in ("基本目標1", "基本目標2", "基本目標3", "基本目標4", "計画全体") and isinstance(
            summary.cell(r, 7).value, int
        ):
            totals[label] = summary.cell(r, 7).value  # the 計 column after A, B+, B, C, −
    kpis = Indicator.objects.filter(strategy=plan, kind=Kind.KPI)
    assert totals["計画全体"] == 42 == kpis.count()
    assert totals["基本目標3"] == kpis.filter(goal__number=3).count()
    goal3_rows = [
        r
        for r in range(FIRST_DATA_ROW, goal3.max_row + 1)
        if goal3.cell(r, kind).value in ("KPI", "KPI【再掲】")
    ]
    assert len(goal3_rows) == totals["基本目標3"] + 1  # the 【再掲】 row shows but is not counted


def test_user_text_that_looks_like_a_formula_is_written_as_text(plan):
    set_actual("G1-M1-K2", 2025, 5, cause_analysis="=1+1", next_step="continue")
    data = build_review_workbook(plan, 2025)
    ws = open_workbook(data)["基本目標1"]
    (row,) = rows_with_code(ws, "G1-M1-K2")
    cell = ws.cell(row, column_of(ws, "要因分析"))
    assert cell.data_type == "s" and cell.value.startswith("'") and cell.value == "'=1+1"
    assert ws.cell(row, column_of(ws, "今後の方向性")).value == "継続"
    assert b"<f>" not in data  # no formula anywhere in the file


def test_sheets_have_frozen_headers_filters_and_a3_landscape_print_setup(plan):
    workbook = open_workbook(build_review_workbook(plan, 2025))
    ws = workbook["基本目標1"]
    assert ws.freeze_panes == f"B{FIRST_DATA_ROW}"
    assert ws.auto_filter.ref.startswith(f"A{HEADER_ROW + 1}:")
    assert ws.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW + 1}"
    assert int(ws.page_setup.paperSize) == 8 and ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    assert "&P" in ws.oddFooter.center.text
    # Japanese text counts double: the KPI column is wider than its longest name in characters.
    assert ws.column_dimensions["E"].width >= 30


def test_the_summary_has_the_grade_scale_a_stacked_chart_and_says_when_data_is_invented(plan):
    plan.has_demo_data = True
    plan.save()
    workbook = open_workbook(build_review_workbook(plan, 2025))
    summary = workbook["総括"]
    texts = [cell.value for row in summary.iter_rows() for cell in row if isinstance(cell.value, str)]
    assert any(text.startswith("デモデータ（架空の数値）") for text in texts)
    assert {"順調", "概ね順調", "やや遅れ", "遅れ", "評価不能"} <= set(texts)
    assert any(text.startswith("・達成率") for text in texts)
    (chart,) = summary._charts
    assert chart.grouping == "stacked"


def test_the_summary_says_nothing_about_demo_data_for_real_figures(plan):
    summary = open_workbook(build_review_workbook(plan, 2025))["総括"]
    texts = [cell.value for row in summary.iter_rows() for cell in row if isinstance(cell.value, str)]
    assert not any("デモデータ" in text for text in texts)


def test_a_fiscal_year_outside_the_plan_is_refused(plan):
    with pytest.raises(ValueError):
        build_review_workbook(plan, 2030)


def test_the_export_costs_the_same_number_of_queries_for_a_plan_100_times_larger(
    db, django_assert_num_queries
):
    small = build_synthetic_plan(1, code="small")
    large = build_synthetic_plan(100, code="large")
    with CaptureQueriesContext(connection) as queries:
        build_review_workbook(Strategy.objects.get(pk=small.pk), 2025)
    # The plan, bands, indicators with their goals, measures and departments (one object each, linked by
    # kpis.rules.evaluation), their results, the year's figures and the other years', placements, opinions.
    assert len(queries) <= 17
    with django_assert_num_queries(len(queries)):
        build_review_workbook(Strategy.objects.get(pk=large.pk), 2025)


def test_the_command_writes_the_workbook(plan, tmp_path):
    output = tmp_path / "review.xlsx"
    call_command("export_review", "--fiscal-year", "2025", "--output", str(output), stdout=io.StringIO())
    assert open_workbook(output.read_bytes()).sheetnames[0] == "総括"


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_opens_and_converts_the_workbook(plan, tmp_path):
    set_actual("G2-KGI1", 2025, 400)
    source = tmp_path / "review.xlsx"
    source.write_bytes(build_review_workbook(plan, 2025))
    result = subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{tmp_path}/lo-profile",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        timeout=180,
    )
    pdf = tmp_path / "review.pdf"
    assert result.returncode == 0 and pdf.exists(), result.stderr
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000


def test_the_scale_in_use_is_the_strategys_own(plan):
    GradeBand.objects.filter(strategy=plan, label="A").update(name="達成")
    summary = open_workbook(build_review_workbook(plan, 2025))["総括"]
    texts = [cell.value for row in summary.iter_rows() for cell in row if isinstance(cell.value, str)]
    assert "達成" in texts and scale_for(plan).name_of("A") == "達成"
