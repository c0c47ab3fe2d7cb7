"""Figures that arrive late (issue 16, item 5): データ時点, 速報・確定, the source's publication calendar, and
公表待ち（次回公表: …） instead of 未入力 wherever a figure not published yet would look missing."""

import datetime
import json
import re
from decimal import Decimal
from io import BytesIO

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from kpis.cycle import notify, services
from kpis.cycle.history import indicator_history
from kpis.importing.csv_reader import read_csv_rows
from kpis.importing.prepare import prepare_import
from kpis.models import ActualValue, FiscalYear, Indicator, Submission
from kpis.rules.evaluation import evaluate_all, scale_for
from kpis.rules.publication import figure_state, missing_state
from lib.fiscal import month_label, parse_month
from reports.dashboards.todo import todo_for
from reports.excel.entry_template import build_entry_template
from reports.excel.review_data import review_data
from tests.kpis.test_metadata import form_data
from tests.support.entry import entry_url, field, login, page_data, set_year_state, submit_url
from tests.support.factories import set_actual, update_indicators

AWAITED = "G2-KGI1"  # 社会増数, owned by こども家庭課 (tests/conftest.py `departments`)
Quality = ActualValue.Quality


def _month(offset: int) -> datetime.date:
    """The first day of the month `offset` months from today's."""
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 + offset
    return datetime.date(index // 12, index % 12 + 1, 1)


def _awaiting_label(month: datetime.date) -> str:
    return f"公表待ち（次回公表: {month_label(month)}）"


@pytest.fixture
def awaited(plan, departments):
    """社会増数's next figure is published in three months' time."""
    month = _month(3)
    update_indicators(Indicator.objects.filter(code=AWAITED), next_publication=month)
    return month


@pytest.fixture
def open_2025(plan):
    return set_year_state(plan, 2025, FiscalYear.State.OPEN)


# --- the one rule ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "awaiting"),
    [(3, True), (0, True), (-1, False), (None, False)],
    ids=["next-publication-in-the-future", "publication-month-not-over", "publication-past", "no-calendar"],
)
def test_a_missing_figure_is_awaited_only_while_its_next_publication_month_is_not_over(offset, awaiting):
    month = None if offset is None else _month(offset)
    indicator = Indicator(next_publication=month)
    state = missing_state(indicator)
    assert state.awaiting is awaiting
    assert str(state) == (_awaiting_label(month) if awaiting else "未入力")
    assert state.code == ("awaiting" if awaiting else "missing")


def test_a_figure_entered_has_no_missing_state_even_while_its_source_publishes_later():
    indicator = Indicator(next_publication=_month(3))
    assert figure_state(indicator, ActualValue(fiscal_year=2025, value=Decimal(1))) is None
    assert figure_state(indicator, ActualValue(fiscal_year=2025, value=None)).awaiting
    assert figure_state(indicator, None).awaiting


def test_a_publication_month_is_read_as_people_write_it_and_shown_as_a_month():
    expected = datetime.date(2027, 3, 1)
    for text in ("2027年3月", "2027-03", "2027/3", "令和9年3月", "２０２７年３月"):
        assert parse_month(text) == expected, text
    assert parse_month("") is None
    assert month_label(expected) == "2027年3月"
    for text in ("2027年13月", "3月", "2027-03-01", "令和9年", "abc"):
        with pytest.raises(ValueError, match="年月として読めません"):
            parse_month(text)


def test_the_plan_says_its_gross_product_kgi_is_three_years_behind(plan):
    """※１ of the plan: the FY2024 現況値 of 実質町内総生産 is 令和3年度 data; no publication date is stated."""
    kgi = Indicator.objects.get(code="G1-KGI1")
    assert kgi.data_lag == 3
    assert kgi.data_period_of(2024) == 2021
    assert kgi.latest_publication is None and kgi.next_publication is None


# --- pages -------------------------------------------------------------------------------------------


def test_the_goal_page_shows_awaited_figures_instead_of_missing(client, users, awaited):
    kpi = "G3-M1-K1"
    update_indicators(Indicator.objects.filter(code=kpi), next_publication=awaited)
    login(client, users["planning"])
    html = client.get(reverse("dashboards:goal", args=["G3"]) + "?fy=2025").content.decode()
    row = html[html.index(f">{kpi}<") : html.index("G3-M1-K2")]
    assert _awaiting_label(awaited) in row
    assert "未入力" not in row
    other = html[html.index(">G3-M1-K2<") :]
    assert "未入力" in other  # a figure without a calendar is still missing


def test_the_indicator_page_shows_the_calendar_and_awaited_years_instead_of_missing(client, users, awaited):
    update_indicators(Indicator.objects.filter(code=AWAITED), latest_publication=datetime.date(2025, 3, 1))
    set_actual(AWAITED, 2025, 400, quality=Quality.PROVISIONAL)
    login(client, users["planning"])
    html = client.get(reverse("dashboards:indicator", args=[AWAITED])).content.decode()
    assert "最新データ公表時点" in html and "2025年3月" in html
    assert "次回データ公表時点" in html and month_label(awaited) in html
    table = html[html.index('id="years-heading"') : html.index('id="places-heading"')]
    assert table.count(_awaiting_label(awaited)) == 2  # 2026 and 2027; 2025 has its figure
    assert "未入力" not in table
    assert '<sup class="quality-mark" title="速報">p</sup>' in table
    assert "p＝速報値" in html  # the legend of the symbols


def _department_rows(html: str) -> dict[str, str]:
    """The department table's rows by indicator code."""
    start = html.index('class="data department-table"')
    table = html[start : html.index("</table>", start)]
    return {
        re.search(r'class="code">([^<]+)<', row).group(1): row
        for row in table.split("<tr>")
        if 'class="code"' in row
    }


@override_settings(PUBLIC_DASHBOARDS=True)
def test_the_department_table_shows_each_years_figure_mark_grade_and_state(client, users, awaited):
    """Every year of every row: the figure with its mark, the grade and, for internal readers, the state;
    the awaited indicator's missing years 公表待ち, another's 未入力 (never carried over from row to row)."""
    set_actual(AWAITED, 2025, 400, quality=Quality.PROVISIONAL)
    set_actual("G3-M1-K1", 2025, 10, status=ActualValue.Status.DRAFT)
    login(client, users["planning"])
    rows = _department_rows(client.get(reverse("dashboards:department", args=["kodomo"])).content.decode())
    awaited_row, draft_row, empty_row = rows[AWAITED], rows["G3-M1-K1"], rows["G3-M1-K2"]
    assert '400<span class="unit">' in awaited_row
    assert '<sup class="quality-mark" title="速報">p</sup>' in awaited_row
    assert 'status-approved">承認済' in awaited_row
    assert awaited_row.count(_awaiting_label(awaited)) == 2 and "未入力" not in awaited_row
    assert 'status-draft">入力中' in draft_row
    assert draft_row.count('status-missing">未入力') == 2 and "公表待ち" not in draft_row
    assert empty_row.count('status-missing">未入力') == 3
    for row in (awaited_row, draft_row, empty_row):
        assert row.count('<span class="grade grade-') == 3  # one badge a year, 評価不能 included

    client.logout()  # an outsider: approved figures only, no state column
    rows = _department_rows(client.get(reverse("dashboards:department", args=["kodomo"])).content.decode())
    assert '400<span class="unit">' in rows[AWAITED]
    assert '10<span class="unit">' not in rows["G3-M1-K1"]
    assert "status-" not in "".join(rows.values())


def _kgi_year_tables(html: str) -> dict[str, list[str]]:
    """The rows of each KGI card's year table (baseline first), by indicator code."""
    tables = {}
    for card in html.split('<article class="kgi-card')[1:]:
        code = re.search(r'class="code">([^<]+)<', card).group(1)
        body = card[card.index("<tbody>") : card.index("</tbody>")]
        tables[code] = body.split("<tr>")[1:]
    return tables


@override_settings(PUBLIC_DASHBOARDS=True)
def test_a_kgi_cards_year_table_shows_the_baseline_and_each_years_figure_marks_and_grade(
    client, users, awaited
):
    """The goal page's KGI year tables (drawn by report_tags.year_table_rows): the baseline row, then per
    year the figure with its quality mark and, beside it, 入力中 for a figure not yet approved; 公表待ち in
    the awaited KGI's years without a figure (never carried over to the next KGI's table)."""
    set_actual(AWAITED, 2025, 400, quality=Quality.PROVISIONAL)
    set_actual("G2-KGI2", 2025, 10, status=ActualValue.Status.DRAFT)
    update_indicators(Indicator.objects.filter(code="G2-KGI2"), unit="<b>件</b>")
    login(client, users["planning"])
    tables = _kgi_year_tables(client.get(reverse("dashboards:goal", args=["G2"])).content.decode())
    awaited_rows, draft_rows = tables[AWAITED], tables["G2-KGI2"]
    assert len(awaited_rows) == len(draft_rows) == 4  # the baseline year and FY2025–FY2027
    kgi = Indicator.objects.get(code=AWAITED)
    assert "2024年度" in awaited_rows[0] and "（基準値）" in awaited_rows[0]
    assert f"{kgi.baseline_value:,.0f}" in awaited_rows[0]
    assert (
        '400<span class="unit">' in awaited_rows[1]
        and 'class="quality-mark" title="速報">p<' in awaited_rows[1]
    )
    assert "unapproved-mark" not in awaited_rows[1]
    assert [_awaiting_label(awaited) in row for row in awaited_rows[1:]] == [False, True, True]
    assert 'unapproved-mark" title="承認前の値です">入力中' in draft_rows[1]
    assert "公表待ち" not in "".join(draft_rows)
    assert "&lt;b&gt;件&lt;/b&gt;" in draft_rows[1] and "<b>" not in "".join(draft_rows)
    for row in awaited_rows[1:] + draft_rows[1:]:
        assert row.count('<span class="grade grade-') == 1

    client.logout()  # an outsider: approved figures only, so the draft is neither shown nor marked
    tables = _kgi_year_tables(client.get(reverse("dashboards:goal", args=["G2"])).content.decode())
    assert '400<span class="unit">' in tables[AWAITED][1]
    assert (
        '10<span class="unit">' not in tables["G2-KGI2"][1] and "unapproved-mark" not in tables["G2-KGI2"][1]
    )


def test_the_indicator_page_says_which_period_a_lagging_figure_measures(client, users, plan, departments):
    set_actual("G1-KGI1", 2025, 279000)
    login(client, users["planning"])
    html = client.get(reverse("dashboards:indicator", args=["G1-KGI1"])).content.decode()
    assert "2024年度（令和6年度）の値は令和3年度データ" in html
    assert "令和4年度データ" in html  # the FY2025 figure measures 令和4年度


def test_the_entry_index_lists_the_awaited_figures_of_an_open_year(client, users, awaited, open_2025):
    login(client, users["staff_own"])
    html = client.get(reverse("cycle:entry_index")).content.decode()
    assert AWAITED in html and _awaiting_label(awaited) in html


def test_the_entry_page_shows_awaited_and_lets_staff_set_period_and_quality(
    client, users, awaited, open_2025
):
    login(client, users["staff_own"])
    response = client.get(entry_url())
    html = response.content.decode()
    assert _awaiting_label(awaited) in html
    assert field(AWAITED, "data_period") in html and field(AWAITED, "quality") in html
    data = page_data(response)
    data |= {
        field(AWAITED): "400",
        field(AWAITED, "data_period"): "令和5年度",
        field(AWAITED, "quality"): Quality.PROVISIONAL,
    }
    assert client.post(entry_url(), data).status_code == 302
    actual = ActualValue.objects.get(indicator__code=AWAITED, fiscal_year=2025)
    assert (actual.value, actual.data_period, actual.quality) == (Decimal(400), 2023, Quality.PROVISIONAL)
    assert "p＝速報値" in client.get(entry_url()).content.decode()


def test_the_staff_to_do_list_names_the_awaited_figure_and_does_not_ask_for_it(
    users, plan, awaited, open_2025
):
    for code in ("G3-M1-K1", "G3-M1-K2", "G3-M1-K3"):
        set_actual(code, 2025, 10, status=ActualValue.Status.DRAFT)
    items = todo_for(users["staff_own"], plan)
    item = next(i for i in items if "こども家庭課" in i.text)
    assert "すべて入力済みです。提出してください。" in item.text
    assert f"{AWAITED} {_awaiting_label(awaited)}" in item.detail


# --- submitting ---------------------------------------------------------------------------------------


def test_a_department_submits_without_the_figures_that_are_awaited(
    client, users, plan, departments, awaited, open_2025
):
    for code in ("G3-M1-K1", "G3-M1-K2", "G3-M1-K3"):
        set_actual(code, 2025, 10, status=ActualValue.Status.DRAFT, note="確認済み")
    submission = services.submission_for(department=departments[0], strategy=plan, fiscal_year=2025)
    assert services.missing_indicators(submission) == []
    assert [i.code for i in services.awaiting_indicators(submission)] == [AWAITED]
    login(client, users["staff_own"])
    page = client.get(submit_url()).content.decode()
    assert "公表待ちの指標（1件）" in page and _awaiting_label(awaited) in page
    services.submission_submit(user=users["staff_own"], submission=submission)
    assert (
        Submission.objects.get(department__code="kodomo", fiscal_year=2025).state
        == Submission.State.SUBMITTED
    )


def test_once_the_publication_month_is_over_the_figure_is_required_again(users, plan, departments, open_2025):
    update_indicators(Indicator.objects.filter(code=AWAITED), next_publication=_month(-1))
    for code in ("G3-M1-K1", "G3-M1-K2", "G3-M1-K3"):
        set_actual(code, 2025, 10, status=ActualValue.Status.DRAFT, note="確認済み")
    submission = services.submission_for(department=departments[0], strategy=plan, fiscal_year=2025)
    with pytest.raises(ValidationError, match="実績値が未入力の指標があるため提出できません"):
        services.submission_submit(user=users["staff_own"], submission=submission)


# --- provisional → final -------------------------------------------------------------------------------


def _save(user, plan, department, **row):
    result = services.actual_save(
        user=user,
        strategy=plan,
        department=department,
        fiscal_year=2025,
        rows=[services.RowInput(indicator=Indicator.objects.get(code=AWAITED), **row)],
    )
    assert not result.conflicts
    return result


def test_replacing_a_provisional_figure_by_the_final_one_keeps_both_in_history(
    users, plan, departments, open_2025
):
    staff, department = users["staff_own"], departments[0]
    _save(staff, plan, department, version=0, value=Decimal(400), quality=Quality.PROVISIONAL)
    _save(staff, plan, department, version=1, value=Decimal(412), quality=Quality.FINAL)
    actual = ActualValue.objects.get(indicator__code=AWAITED, fiscal_year=2025)
    assert (actual.value, actual.quality) == (Decimal(412), Quality.FINAL)
    kept = [(h.value, h.quality) for h in actual.history.order_by("history_id")]
    assert kept == [(Decimal(400), Quality.PROVISIONAL), (Decimal(412), Quality.FINAL)]
    shown = {(c.field, c.before, c.after) for c in indicator_history(actual.indicator)}
    assert ("実績値", "400", "412") in shown
    assert ("速報・確定", "速報", "確定") in shown


def test_a_caller_without_the_new_fields_leaves_a_provisional_figure_provisional(
    users, plan, departments, open_2025
):
    staff, department = users["staff_own"], departments[0]
    _save(
        staff, plan, department, version=0, value=Decimal(400), quality=Quality.PROVISIONAL, data_period=2024
    )
    _save(staff, plan, department, version=1, value=Decimal(401))
    actual = ActualValue.objects.get(indicator__code=AWAITED, fiscal_year=2025)
    assert (actual.value, actual.quality, actual.data_period) == (Decimal(401), Quality.PROVISIONAL, 2024)


def test_the_service_refuses_a_data_period_after_the_year_it_reports(users, plan, departments, open_2025):
    with pytest.raises(
        ValidationError, match="G2-KGI1: データ時点（2026年度）は、報告する年度（2025年度）より後"
    ):
        _save(users["staff_own"], plan, departments[0], version=0, value=Decimal(1), data_period=2026)
    assert not ActualValue.objects.exists()


# --- hostile entry --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("2026", "報告する年度（2025年度）より後にはできません"),
        ("令和99年度", "報告する年度（2025年度）より後にはできません"),
        ("2010", "11年以上前です"),
        ("20\x0021", "年度として読めません"),
        ("2021\u202e", "年度として読めません"),
        ("x" * 200, "年度が長すぎます"),
    ],
)
def test_an_impossible_data_period_on_the_entry_page_is_refused_naming_the_field(
    client, users, departments, open_2025, typed, message
):
    login(client, users["staff_own"])
    data = page_data(client.get(entry_url())) | {field(AWAITED): "400", field(AWAITED, "data_period"): typed}
    response = client.post(entry_url(), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert not ActualValue.objects.exists()


def test_an_unknown_quality_on_the_entry_page_is_refused(client, users, departments, open_2025):
    login(client, users["staff_own"])
    data = page_data(client.get(entry_url())) | {field(AWAITED): "400", field(AWAITED, "quality"): "p\x07"}
    assert client.post(entry_url(), data).status_code == 400
    assert not ActualValue.objects.exists()


# --- the calendar on the indicator edit page --------------------------------------------------------------


def _edit_data(code: str, **changes) -> dict:
    """The edit form of G3-M1-K1 as its page shows it, with some fields changed."""
    assert code == "G3-M1-K1"
    return form_data(**changes)


def test_the_planning_office_sets_the_publication_calendar_on_the_edit_page(client, users, departments):
    login(client, users["planning"])
    url = reverse("cycle:indicator_edit", args=["G3-M1-K1"])
    assert "次回データ公表時点" in client.get(url).content.decode()
    data = _edit_data(
        "G3-M1-K1", latest_publication="2025年3月", next_publication="令和9年3月", data_lag="３"
    )
    assert client.post(url, data).status_code == 302
    indicator = Indicator.objects.get(code="G3-M1-K1")
    assert (indicator.latest_publication, indicator.next_publication, indicator.data_lag) == (
        datetime.date(2025, 3, 1),
        datetime.date(2027, 3, 1),
        3,
    )
    changes = {(c.field, c.after) for c in indicator_history(indicator)}
    assert ("次回データ公表時点", "2027年3月") in changes
    assert "2027年3月" in client.get(url).content.decode()  # shown back as a month


@pytest.mark.parametrize(
    ("name", "typed", "message"),
    [
        ("next_publication", "2027年13月", "年月として読めません"),
        ("next_publication", "2027\x00-03", "年月として読めません"),
        ("latest_publication", "y" * 100, "年月が長すぎます"),
        ("data_lag", "11", "10"),
    ],
)
def test_a_bad_calendar_is_refused_and_nothing_is_written(client, users, departments, name, typed, message):
    login(client, users["planning"])
    url = reverse("cycle:indicator_edit", args=["G3-M1-K1"])
    response = client.post(url, _edit_data("G3-M1-K1", **{name: typed}))
    assert response.status_code == 400
    assert message in response.content.decode()
    indicator = Indicator.objects.get(code="G3-M1-K1")
    assert (
        indicator.next_publication is None
        and indicator.latest_publication is None
        and indicator.data_lag is None
    )


@pytest.mark.parametrize("role", ["staff_own", "staff_other", "council"])
def test_only_the_planning_office_may_set_the_calendar(client, users, departments, role):
    login(client, users[role])
    url = reverse("cycle:indicator_edit", args=["G3-M1-K1"])
    assert client.get(url).status_code == 403
    assert client.post(url, _edit_data("G3-M1-K1", next_publication="2027年3月")).status_code == 403
    assert Indicator.objects.get(code="G3-M1-K1").next_publication is None


def test_anonymous_visitors_cannot_reach_the_calendar(client, departments):
    url = reverse("cycle:indicator_edit", args=["G3-M1-K1"])
    response = client.post(url, {"next_publication": "2027年3月"})
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert Indicator.objects.get(code="G3-M1-K1").next_publication is None


# --- workbook, API, import ---------------------------------------------------------------------------------


def test_the_workbook_state_cell_says_awaited_and_prints_the_symbol(plan, awaited):
    set_actual("G1-KGI1", 2025, 279000, quality=Quality.PROVISIONAL)
    data = review_data(plan, 2025)
    by_code = {e.indicator.code: e for e in data.evaluations.values()}
    assert data.status_text(by_code[AWAITED], 2025) == _awaiting_label(awaited)
    assert data.status_text(by_code["G3-M1-K1"], 2025) == "未入力"
    assert data.status_text(by_code["G1-KGI1"], 2025) == "承認済（令和4年度データ）（速報 p）"


def test_the_review_workbook_file_carries_the_awaited_state(client, users, plan, awaited):
    login(client, users["planning"])
    response = client.get(reverse("excel:review_workbook") + "?fiscal_year=2025")
    assert response.status_code == 200
    book = load_workbook(BytesIO(b"".join(response.streaming_content)))
    texts = {cell.value for ws in book.worksheets for row in ws.iter_rows() for cell in row}
    assert _awaiting_label(awaited) in texts


def test_the_api_tells_awaited_from_missing_and_gives_period_and_quality(client, users, plan, awaited):
    set_actual("G1-KGI1", 2025, 279000, quality=Quality.REVISED, data_period=2021)
    login(client, users["planning"])
    document = json.loads(b"".join(client.get(reverse("api:indicators_json")).streaming_content))
    items = {i["code"]: i for i in document["indicators"]}
    awaited_year = items[AWAITED]["years"][0]
    assert awaited_year["figure_state"] == "awaiting"
    assert awaited_year["next_publication"] == f"{awaited:%Y-%m}"
    assert items[AWAITED]["publication"]["next"] == f"{awaited:%Y-%m}"
    assert items["G3-M1-K1"]["years"][0]["figure_state"] == "missing"
    gross = items["G1-KGI1"]["years"][0]
    assert (gross["figure_state"], gross["data_period"], gross["quality"]) == ("entered", 2021, "revised")
    assert items["G1-KGI1"]["publication"]["data_lag"] == 3


def _prepare(plan, text: str):
    return prepare_import(read_csv_rows(text.encode("utf-8")), strategy=plan)


def test_an_old_file_without_the_new_columns_still_imports_and_leaves_them_as_stored(plan, departments):
    set_actual(
        AWAITED, 2025, 400, status=ActualValue.Status.DRAFT, quality=Quality.PROVISIONAL, data_period=2024
    )
    set_year_state(plan, 2025, FiscalYear.State.OPEN)
    batch = _prepare(plan, "指標コード,年度,実績値\r\nG2-KGI1,2025,401\r\n")
    assert batch.ok and [set(c.fields) for c in batch.changes] == [{"value"}]


def test_a_file_with_the_new_columns_sets_period_and_quality(plan, departments, tmp_path):
    set_year_state(plan, 2025, FiscalYear.State.OPEN)
    path = tmp_path / "figures.csv"
    path.write_text(
        "指標コード,年度,実績値,データ時点,速報・確定\r\nG2-KGI1,2025,400,令和5年度,p\r\nG1-KGI1,2025,279000,2022,確定\r\n",
        encoding="utf-8",
    )
    call_command("import_actuals", str(path), verbosity=0)
    awaited = ActualValue.objects.get(indicator__code=AWAITED, fiscal_year=2025)
    gross = ActualValue.objects.get(indicator__code="G1-KGI1", fiscal_year=2025)
    assert (awaited.data_period, awaited.quality) == (2023, Quality.PROVISIONAL)
    assert (gross.data_period, gross.quality) == (2022, Quality.FINAL)


@pytest.mark.parametrize(
    ("column", "cell", "message"),
    [
        ("データ時点", "2026", "報告する年度（2025年度）より後にはできません"),
        ("データ時点", "20\x0b21", "年度として読めません"),
        ("速報・確定", "たぶん", "速報・確定は"),
        ("速報・確定", "p\x07", "速報・確定は"),
    ],
)
def test_a_bad_new_column_cell_is_refused_naming_row_and_column(plan, departments, column, cell, message):
    set_year_state(plan, 2025, FiscalYear.State.OPEN)
    batch = _prepare(plan, f"指標コード,年度,実績値,{column}\r\nG2-KGI1,2025,400,{cell}\r\n")
    assert not batch.ok
    error = str(batch.errors[0])
    assert error.startswith(f"2行目 {column}: ") and message in error
    assert "\x07" not in error and "\x0b" not in error


def test_the_entry_template_carries_the_new_columns_and_reads_back(plan, departments):
    set_actual(
        AWAITED, 2025, 400, status=ActualValue.Status.DRAFT, quality=Quality.PROVISIONAL, data_period=2023
    )
    book = load_workbook(BytesIO(build_entry_template(plan, 2025, departments[0])))
    ws = book.worksheets[0]
    headers = [cell.value for cell in ws[1]]
    assert "データ時点" in headers and "速報・確定" in headers
    row = next(r for r in ws.iter_rows(min_row=2, values_only=True) if r[0] == AWAITED)
    assert row[headers.index("データ時点")] == "令和5年度"
    assert row[headers.index("速報・確定")] == "速報"


def test_evaluations_ignore_quality_and_period(plan, departments):
    """A provisional figure is graded like any other: the mark says how final it is, not what it is worth."""
    set_actual("G1-KGI1", 2025, 279000, quality=Quality.PROVISIONAL, data_period=2022)
    evaluation = next(
        e
        for e in evaluate_all(
            Indicator.objects.with_figures().filter(code="G1-KGI1"), plan, scale=scale_for(plan)
        )
    )
    assert evaluation.year(2025).rate == Decimal("99.6")


# --- reminders ---------------------------------------------------------------------------------------


def test_a_reminder_does_not_count_a_figure_that_is_awaited(settings, users, plan, departments, open_2025):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    users["staff_own"].email = "staff_own@town.ami.example"
    users["staff_own"].save()
    deadline = datetime.date(2026, 7, 31)
    FiscalYear.objects.filter(strategy=plan, year=2025).update(deadline=deadline)
    day = deadline - datetime.timedelta(days=7)
    update_indicators(Indicator.objects.filter(code=AWAITED), next_publication=datetime.date(2026, 9, 1))
    for code in ("G3-M1-K1", "G3-M1-K2"):
        set_actual(code, 2025, 10, status=ActualValue.Status.DRAFT)
    notify.send_reminders(day)
    body = next(m.body for m in mail.outbox if "staff_own@town.ami.example" in m.to)
    assert "未入力の指標：1件" in body  # G3-M1-K3 only: 社会増数 is published in September
