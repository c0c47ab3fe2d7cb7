"""How figures read on the pages and in the workbook: units on every value, 「−」 alone for a missing one,
expected values with the indicator's own places, drafts marked beside approved figures, 「△3」 where the
strategy prints negatives so, and one fiscal-year label."""

import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.conf import settings
from django.urls import reverse

from kpis.models import ActualValue, CycleSettings, Indicator
from kpis.rules.evaluation import evaluate_all
from reports.dashboards import charts
from reports.excel.workbook import build_review_workbook
from tests.support.factories import set_actual, update_indicators

pytestmark = pytest.mark.django_db

UNIT = '<span class="unit">{}</span>'


def text_of(html: str) -> str:
    """The page's text without tags and with spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def row_of(html: str, code: str, end: str = "</tr>") -> str:
    start = html.index(f"{code}</span>") if f"{code}</span>" in html else html.index(code)
    return html[start : html.index(end, start)]


# --- units, 「−」 and the places of expected values -----------------------------------------------


@pytest.fixture
def whole_people(plan):
    """「あみLink」登録者数: 12人 (2024) → 14人 (2027); E(2025) = 12.666…, a figure nobody would type."""
    update_indicators(
        Indicator.objects.filter(code="G3-M1-K2"),
        unit="人",
        baseline_year=2024,
        baseline_value=12,
        target_year=2027,
        target_value=14,
    )


def test_the_goal_table_shows_units_and_expected_values_with_the_indicators_own_places(
    client_as, whole_people
):
    html = client_as("council").get(reverse("dashboards:goal", args=["G3"]) + "?fy=2025").content.decode()
    row = row_of(html, "G3-M1-K2")
    assert "13" + UNIT.format("人") in row  # 期待値
    assert "12.67" not in row and "12.666" not in row
    assert "14" + UNIT.format("人") in row  # 目標値
    assert "12" + UNIT.format("人") in row  # 基準値


def test_a_missing_value_is_a_dash_alone_never_with_its_prefix_or_unit(client_as, plan):
    # 子育て支援の満足度 is 「平均 3.19点」: without a 2025 figure it reads 「−」, not 「平均−点」.
    for url in (reverse("dashboards:goal", args=["G3"]), reverse("dashboards:home")):
        html = client_as("council").get(url + "?fy=2025").content.decode()
        shown = text_of(html)
        assert "平均−" not in shown and "−点" not in shown and "−人" not in shown, url


def test_the_expected_value_is_only_rounded_for_display(plan, whole_people):
    (evaluation,) = evaluate_all([Indicator.objects.with_figures().get(code="G3-M1-K2")], plan)
    assert evaluation.year(2025).expected == Decimal("12.67")  # the rule's value, unchanged


def test_the_meeting_kgi_table_shows_units_and_marks_an_unapproved_figure(client_as, plan, figures):
    from tests.reviews.test_reviews import make_meeting

    meeting = make_meeting(plan, 2025)
    html = client_as("council").get(meeting.get_absolute_url()).content.decode()
    approved = row_of(html, "G1-KGI1")
    assert "279,000" + UNIT.format("百万円") in approved
    assert "280,021" + UNIT.format("百万円") in approved and "280,021.33" not in approved
    assert "入力中" not in approved
    draft = row_of(html, "G2-KGI1")
    assert "入力中" in draft  # the draft 社会増数 beside approved figures
    missing = row_of(html, "G3-KGI2")
    assert "平均−" not in text_of(missing) and "−点" not in text_of(missing)


# --- drafts and submitted figures marked beside approved ones ---------------------------------------


def test_kgi_cards_mark_a_draft_and_a_submitted_figure_but_not_an_approved_one(client_as, figures):
    html = client_as("council").get(reverse("dashboards:home") + "?fy=2025").content.decode()
    cards = {code: html[html.index(f'<span class="code">{code}</span>') :] for code in ("G1-KGI1", "G2-KGI1")}
    card = {code: text[: text.index("</article>")] for code, text in cards.items()}
    assert "unapproved-mark" not in card["G1-KGI1"]
    assert "unapproved-mark" in card["G2-KGI1"] and "入力中" in card["G2-KGI1"]
    submitted = html[html.index('<span class="code">G2-KGI2</span>') :]
    assert "提出済" in submitted[: submitted.index("</article>")]


def test_a_chart_draws_an_unapproved_point_hollow_and_says_so_in_its_hover(plan, figures):
    set_actual("G2-KGI1", 2026, "420")  # approved, beside the 2025 draft
    (evaluation,) = evaluate_all([Indicator.objects.with_figures().get(code="G2-KGI1")], plan)
    from kpis.rules.evaluation import scale_for

    figure = charts.trend_figure(evaluation, scale_for(plan), plan.plan_years)
    actual = next(trace for trace in figure["data"] if trace["name"] == "実績値")
    assert actual["marker"]["symbol"] == ["circle-open", "circle"]
    draft_hover, approved_hover = actual["hovertext"]
    assert "（入力中・未承認）" in draft_hover
    assert "未承認" not in approved_hover


# --- negatives as 「△3」 -----------------------------------------------------------------------------


@pytest.fixture
def negative_figure(plan, departments):
    set_actual("G2-KGI1", 2025, "-3")  # 社会増数 (人／年): a net loss of 3
    return "G2-KGI1"


def test_negatives_show_with_a_triangle_on_every_page_when_the_town_prints_them_so(
    client_as, negative_figure
):
    CycleSettings.objects.create(
        strategy_id=Indicator.objects.get(code=negative_figure).strategy_id, show_triangle=True
    )
    client = client_as("council")
    for url in (
        reverse("dashboards:home") + "?fy=2025",
        reverse("dashboards:goal", args=["G2"]) + "?fy=2025",
        reverse("dashboards:indicator", args=[negative_figure]),
        reverse("dashboards:indicators") + "?fy=2025",
    ):
        html = client.get(url).content.decode()
        assert "△3" + UNIT.format("人／年") in html, url
        assert "-3" + UNIT.format("人／年") not in html, url


def test_without_the_setting_negatives_keep_the_minus(client_as, negative_figure):
    html = client_as("council").get(reverse("dashboards:indicator", args=[negative_figure])).content.decode()
    assert "-3" + UNIT.format("人／年") in html and "△3" not in html


def test_the_english_interface_keeps_the_minus_with_the_setting_on(client, users, negative_figure):
    CycleSettings.objects.create(
        strategy_id=Indicator.objects.get(code=negative_figure).strategy_id, show_triangle=True
    )
    client.force_login(users["council"])
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    html = client.get(reverse("dashboards:indicator", args=[negative_figure])).content.decode()
    assert "-3" + UNIT.format("人／年") in html and "△3" not in html


def test_the_setting_costs_no_query_of_its_own(client_as, negative_figure, django_assert_num_queries):
    client = client_as("council")
    url = reverse("dashboards:indicator", args=[negative_figure])
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as off:
        client.get(url)
    CycleSettings.objects.create(
        strategy_id=Indicator.objects.get(code=negative_figure).strategy_id, show_triangle=True
    )
    with django_assert_num_queries(len(off)):
        assert "△3" in client.get(url).content.decode()


# --- the review workbook ------------------------------------------------------------------------------

HEADER_ROW, FIRST_DATA_ROW = 5, 7


def workbook_of(plan, year=2025) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(build_review_workbook(plan, year)))


def columns(ws) -> dict[str, int]:
    """Header (the lower one, or the only one of a column without a group) → column (the first of repeats)."""
    found = {}
    for column in range(1, ws.max_column + 1):
        found.setdefault(ws.cell(HEADER_ROW + 1, column).value or ws.cell(HEADER_ROW, column).value, column)
    return found


def row_with(ws, code: str) -> int:
    return next(r for r in range(FIRST_DATA_ROW, ws.max_row + 1) if ws.cell(r, 1).value == code)


def test_the_goal_sheets_have_a_state_and_a_note_column(plan, figures):
    set_actual("G2-KGI2", 2025, "3100", status=ActualValue.Status.SUBMITTED, note="速報値です")
    ws = workbook_of(plan)["基本目標2"]
    heads = columns(ws)
    state, note = heads["状態"], heads["備考"]
    group = next(
        r for r in ws.merged_cells.ranges if r.min_row == HEADER_ROW and r.min_col <= state <= r.max_col
    )
    assert ws.cell(HEADER_ROW, group.min_col).value == "2025年度（令和7年度）の評価"
    assert [ws.cell(row_with(ws, code), state).value for code in ("G2-KGI1", "G2-KGI2")] == [
        "入力中",
        "提出済",
    ]
    assert ws.cell(row_with(ws, "G2-KGI2"), note).value == "速報値です"
    assert ws.cell(row_with(ws, "G2-M1-K1"), state).value == "未入力"
    approved = workbook_of(plan)["基本目標1"]
    # 実質町内総生産 trails three years (the plan's ※１): its FY2025 figure is 令和4年度 data.
    assert (
        approved.cell(row_with(approved, "G1-KGI1"), columns(approved)["状態"]).value
        == "承認済（令和4年度データ）"
    )
    assert approved.cell(row_with(approved, "G1-KGI1"), columns(approved)["備考"]).value == "承認済みの備考"


def test_an_unapproved_value_cell_is_marked_and_explained_in_the_title(plan, figures):
    ws = workbook_of(plan)["基本目標2"]
    actual = columns(ws)["実績値"]
    assert ws.cell(row_with(ws, "G2-KGI1"), actual).font.italic
    assert "斜体の実績値は未承認" in ws.cell(3, 1).value
    approved = workbook_of(plan)["基本目標1"]
    assert not approved.cell(row_with(approved, "G1-KGI1"), columns(approved)["実績値"]).font.italic


def test_the_new_columns_are_wide_enough_to_read_in_print_and_the_a3_setup_is_kept(plan, figures):
    ws = workbook_of(plan)["基本目標2"]
    heads = columns(ws)
    letter = openpyxl.utils.get_column_letter
    assert ws.column_dimensions[letter(heads["状態"])].width >= 7
    assert ws.column_dimensions[letter(heads["備考"])].width >= 20
    assert ws.cell(row_with(ws, "G2-KGI1"), heads["備考"]).alignment.wrap_text
    assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A3 and ws.page_setup.orientation == "landscape"


def test_the_summary_kgi_table_has_the_state_of_each_figure(plan, figures):
    ws = workbook_of(plan)["総括"]
    header = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 2).value == "コード")
    assert ws.cell(header, 13).value == "状態"
    states = {ws.cell(r, 2).value: ws.cell(r, 13).value for r in range(header + 1, header + 7)}
    assert (
        states["G1-KGI1"] == "承認済（令和4年度データ）"
        and states["G2-KGI1"] == "入力中"
        and states["G2-KGI2"] == "提出済"
    )


def test_workbook_negatives_are_numbers_shown_with_a_triangle_when_the_town_prints_them_so(
    plan, negative_figure
):
    ws = workbook_of(plan)["基本目標2"]
    cell = ws.cell(row_with(ws, negative_figure), columns(ws)["実績値"])
    assert cell.value == -3 and cell.number_format == "#,##0"
    CycleSettings.objects.create(strategy=plan, show_triangle=True)
    plan.refresh_from_db()
    ws = workbook_of(plan)["基本目標2"]
    cell = ws.cell(row_with(ws, negative_figure), columns(ws)["実績値"])
    assert cell.value == -3 and cell.number_format == '#,##0;"△"#,##0'


def test_the_workbook_keeps_the_minus_in_english(plan, negative_figure):
    from django.utils import translation

    CycleSettings.objects.create(strategy=plan, show_triangle=True)
    with translation.override("en"):
        workbook = openpyxl.load_workbook(io.BytesIO(build_review_workbook(plan, 2025)))
    ws = workbook.worksheets[2]
    code_column = 1
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, code_column).value == negative_figure)
    assert not any("△" in str(ws.cell(row, c).number_format) for c in range(1, ws.max_column + 1))
