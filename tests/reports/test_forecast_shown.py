"""The 達成見込み (kpis.rules.forecast) where the council reads it: beside the latest grade on the indicator
page, KGI and KPI, for each audience's own figures; and in the review workbook, on the goal sheets and
the 総括's KGI table, from the figures up to the year under review."""

import io
import re

import openpyxl
import pytest
from django.urls import reverse

from kpis.models import ActualValue, CycleSettings, Indicator
from reports.excel.workbook import build_review_workbook
from tests.support.factories import set_actual, update_indicators
from tests.support.visibility import DRAFT_VALUE

pytestmark = pytest.mark.django_db

HEADER_ROW = 5  # the goal sheets' group headers; the column headers are on the row below


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def forecast_of_page(client, code: str) -> str:
    """The text of the page's 達成見込み entry: the judgement and its explanation."""
    html = client.get(reverse("dashboards:indicator", args=[code])).content.decode()
    entry = html.index('<div class="forecast"><dt>達成見込み</dt><dd>')
    start = html.index("<dd>", entry)
    return text_of(html[start : html.index("</dd>", start)]).strip()


# --- The indicator page ------------------------------------------------------------------------------


def test_a_kgi_on_pace_shows_its_forecast_beside_the_latest_grade(client_as, plan, departments):
    set_actual("G1-KGI1", 2025, "281421")  # 実質町内総生産: 277,835 → 284,394 百万円, +3,586 in a year
    html = client_as("council").get(reverse("dashboards:indicator", args=["G1-KGI1"])).content.decode()

    assert "最新の評価" in html and '<span class="grade grade-a">A' in html
    forecast = forecast_of_page(client_as("council"), "G1-KGI1")
    assert forecast == "見込みあり このペースでは2027年度に 288,593百万円（目標 284,394百万円）。"


def test_a_kgi_behind_pace_is_flagged_for_attention(client_as, plan, departments):
    set_actual("G1-KGI1", 2025, "279000")  # graded B+ (99.6%), but the line reaches 281,330 only

    forecast = forecast_of_page(client_as("council"), "G1-KGI1")

    assert forecast == "要注意 このペースでは2027年度に 281,330百万円（目標 284,394百万円）。"


def test_a_kpi_page_shows_its_forecast_too(client_as, plan, departments):
    update_indicators(
        Indicator.objects.filter(code="G3-M1-K2"),
        unit="人",
        baseline_year=2024,
        baseline_value=12,
        target_year=2027,
        target_value=14,
    )
    set_actual("G3-M1-K2", 2025, "14")

    forecast = forecast_of_page(client_as("council"), "G3-M1-K2")

    assert forecast == "見込みあり 2025年度に 14人 で既に目標（14人）に達しています。"


def test_without_a_figure_the_forecast_says_why_it_cannot_judge_and_shows_no_badge(client_as, plan):
    html = client_as("council").get(reverse("dashboards:indicator", args=["G1-KGI1"])).content.decode()

    assert "outlook-" not in html
    assert forecast_of_page(client_as("council"), "G1-KGI1") == (
        "判定不可 基準年度より後の実績値がまだないため、判定できません。"
    )


def test_outsiders_forecast_from_approved_figures_only(client, client_as, settings, plan, departments):
    settings.PUBLIC_DASHBOARDS = True
    set_actual("G2-KGI1", 2025, DRAFT_VALUE, status=ActualValue.Status.DRAFT)

    public = forecast_of_page(client, "G2-KGI1")
    internal = forecast_of_page(client_as("council"), "G2-KGI1")

    assert "判定不可" in public and "9,876" not in public
    assert "見込みあり" in internal  # 568 → 987,654,321 in a year: far past the target of 339


def test_a_negative_projection_is_written_with_a_triangle_when_the_town_prints_them_so(
    client_as, plan, departments
):
    CycleSettings.objects.create(strategy=plan, show_triangle=True)
    set_actual("G2-KGI1", 2025, "200")  # 社会増数 568 → 200: at this pace −536 in 2027

    forecast = forecast_of_page(client_as("council"), "G2-KGI1")

    assert forecast == "要注意 このペースでは2027年度に △536人／年（目標 339人／年）。"


# --- The review workbook -----------------------------------------------------------------------------


def workbook(plan, year: int):
    return openpyxl.load_workbook(io.BytesIO(build_review_workbook(plan, year)))


def goal_sheet_cells(ws, code: str) -> tuple[str, str]:
    """The 達成見込み and its 根拠 in the indicator's row of a goal sheet."""
    headers = {
        ws.cell(header_row, column).value: column
        for column in range(1, ws.max_column + 1)
        for header_row in (HEADER_ROW, HEADER_ROW + 1)
    }
    row = next(r for r in range(HEADER_ROW + 2, ws.max_row + 1) if ws.cell(r, 1).value == code)
    return ws.cell(row, headers["達成見込み"]).value, ws.cell(row, headers["達成見込みの根拠"]).value


def summary_cells(ws, code: str) -> tuple[str, str]:
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 2).value == code)
    header_row = next(r for r in range(1, row) if ws.cell(r, 14).value == "達成見込み")
    assert ws.cell(header_row, 15).value == "達成見込みの根拠"
    return ws.cell(row, 14).value, ws.cell(row, 15).value


def test_the_workbook_shows_the_forecast_on_the_goal_sheet_and_the_summary(plan, departments):
    set_actual("G1-KGI1", 2025, "281421")
    book = workbook(plan, 2025)
    expected = ("見込みあり", "このペースでは2027年度に 288,593百万円（目標 284,394百万円）。")

    assert goal_sheet_cells(book["基本目標1"], "G1-KGI1") == expected
    assert summary_cells(book["総括"], "G1-KGI1") == expected
    assert summary_cells(book["総括"], "G3-KGI1")[0] == "判定不可"


def test_the_workbook_of_a_year_forecasts_from_the_figures_up_to_that_year(plan, departments):
    set_actual("G1-KGI1", 2025, "281421")
    set_actual("G1-KGI1", 2026, "278000")  # fell back: the line through 2024–2026 reaches 279,250

    assert goal_sheet_cells(workbook(plan, 2025)["基本目標1"], "G1-KGI1")[0] == "見込みあり"
    assert goal_sheet_cells(workbook(plan, 2026)["基本目標1"], "G1-KGI1") == (
        "要注意",
        "このペースでは2027年度に 279,250百万円（目標 284,394百万円）。",
    )
