"""The app used the way its people use it, in a real browser with no network beyond 127.0.0.1."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.test import override_settings

from kpis.models import ActualValue, FiscalYear, Submission
from reviews.models import Meeting, Opinion
from tests.support.browser import axe_violations, login, screenshot

STAFF_CODES = ["G3-M1-K1", "G3-M1-K2", "G3-M1-K5", "G3-M2-K1"]  # こども家庭課 in the demo data
FULL_WIDTH = {"G3-M1-K1": "１，２３４", "G3-M1-K2": "５６７", "G3-M1-K5": "１２，０００", "G3-M2-K1": "８"}


def value_input(page, code):
    return page.locator("tbody.indicator-row", has_text=code).locator("input.entry-value")


def assert_accessible(page):
    assert axe_violations(page) == []


def charts_drawn(page) -> int:
    """How many plotly charts were actually drawn (an SVG inside), after the first one appears."""
    page.wait_for_selector(".js-plotly-plot .main-svg", state="attached")
    return page.locator(".js-plotly-plot:has(.main-svg)").count()


def test_staff_enter_full_width_figures_and_submit_then_the_office_returns_approves_and_locks(page, site):
    login(page, site, "demo-staff")
    # The home page starts with the staff's to-do list: the year to enter, with its deadline.
    page.goto(f"{site}/")
    todo = page.locator("section.todo")
    assert "締切まであと" in todo.inner_text()
    screenshot(page, "09-home-todo-staff")
    todo.get_by_role("link").first.click()
    page.wait_for_load_state("networkidle")
    assert "/entry/2025/" in page.url
    screenshot(page, "10-entry-staff")
    assert_accessible(page)
    for code, typed in FULL_WIDTH.items():
        value_input(page, code).fill(typed)
    page.get_by_role("button", name="下書き保存").click()
    page.wait_for_load_state("networkidle")
    stored = {
        a.indicator.code: a.value
        for a in ActualValue.objects.filter(fiscal_year=2025).select_related("indicator")
    }
    assert stored["G3-M1-K1"] == Decimal("1234") and stored["G3-M1-K5"] == Decimal("12000")
    # Rate and grade appear as soon as the value is saved.
    assert value_input(page, "G3-M1-K1").input_value().replace(",", "") == "1234"
    # 1,234 where about 60 are expected: a warning beside the field, and no submission without a word.
    page.get_by_role("button", name="保存して提出").click()
    page.wait_for_load_state("networkidle")
    screenshot(page, "11-submit-confirm-warnings")
    assert_accessible(page)
    assert page.get_by_text("説明がありません").first.is_visible()
    assert page.get_by_role("button", name="提出する").count() == 0
    assert (
        Submission.objects.get(department__code="kodomo", fiscal_year=2025).state
        != Submission.State.SUBMITTED
    )
    page.get_by_role("link", name="入力画面に戻る").click()
    assert page.locator(".plausibility").first.is_visible()
    screenshot(page, "12-entry-warnings")
    for code in STAFF_CODES:
        page.locator("tbody.indicator-row", has_text=code).locator("textarea[name$='-note']").fill(
            "集計方法を確認済みです。"
        )
    page.get_by_role("button", name="保存して提出").click()
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="提出する").click()
    page.wait_for_load_state("networkidle")
    assert (
        Submission.objects.get(department__code="kodomo", fiscal_year=2025).state
        == Submission.State.SUBMITTED
    )

    # The planning office returns it with a comment…
    page.context.clear_cookies()
    login(page, site, "demo-planning")
    page.goto(f"{site}/review/2025/")
    screenshot(page, "20-review-planning")
    assert_accessible(page)
    page.goto(f"{site}/review/2025/kodomo/")
    page.locator(".return-form textarea").fill("G3-M1-K5 のアクセス数の集計期間を確認してください。")
    page.get_by_role("button", name="差戻し").click()
    page.wait_for_load_state("networkidle")
    assert (
        Submission.objects.get(department__code="kodomo", fiscal_year=2025).state == Submission.State.RETURNED
    )

    # …the department sees the comment, corrects and resubmits…
    page.context.clear_cookies()
    login(page, site, "demo-staff")
    page.goto(f"{site}/entry/2025/")
    assert page.get_by_text("集計期間を確認してください").first.is_visible()
    value_input(page, "G3-M1-K5").fill("１１，５００")
    page.get_by_role("button", name="保存して提出").click()
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="提出する").click()
    page.wait_for_load_state("networkidle")
    assert ActualValue.objects.get(indicator__code="G3-M1-K5", fiscal_year=2025).value == Decimal("11500")

    # …the office approves every department, locks the year and downloads the workbook.
    page.context.clear_cookies()
    login(page, site, "demo-planning")
    for submission in Submission.objects.filter(fiscal_year=2025, state=Submission.State.SUBMITTED):
        page.goto(f"{site}/review/2025/{submission.department.code}/")
        page.get_by_role("button", name="承認").click()
        page.wait_for_load_state("networkidle")
    assert (
        ActualValue.objects.get(indicator__code="G3-M1-K5", fiscal_year=2025).status
        == ActualValue.Status.APPROVED
    )
    page.goto(f"{site}/fiscal-years/")
    screenshot(page, "30-fiscal-years")
    assert_accessible(page)
    page.get_by_role("button", name="確定（ロック）する").first.click()
    page.wait_for_load_state("networkidle")
    # The first click shows what is still open (the other demo departments) and locks nothing.
    assert page.locator("#lock-checklist").is_visible()
    screenshot(page, "31-lock-checklist")
    assert_accessible(page)
    assert FiscalYear.objects.get(year=2025).state == FiscalYear.State.OPEN
    page.get_by_role("button", name="確認しました。確定（ロック）する").click()
    page.wait_for_load_state("networkidle")
    assert FiscalYear.objects.get(year=2025).state == FiscalYear.State.LOCKED

    page.goto(f"{site}/reports/")
    screenshot(page, "40-reports")
    assert_accessible(page)
    with page.expect_download() as download:
        page.locator("form[action*='review.xlsx'] button[type=submit]").click()
    workbook = openpyxl.load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))
    assert workbook.sheetnames[0] == "総括" and len(workbook.sheetnames) >= 5
    for path, name in [
        ("/reports/import/", "41-import"),
        ("/evaluations/2025/", "42-evaluations"),
        ("/indicators/G3-M1-K5/edit/", "43-indicator-edit"),
        ("/entry/", "44-entry-index"),
    ]:
        page.goto(site + path)
        screenshot(page, name)
        assert_accessible(page)

    # Every step is in the indicator's history.
    page.goto(f"{site}/indicators/G3-M1-K5/")
    history = page.locator("body").inner_text()
    assert "承認済" in history and "11,500" in history


def test_the_entry_grid_works_with_the_keyboard_alone(page, site):
    login(page, site, "demo-staff")
    page.goto(f"{site}/entry/2025/")
    first, second = value_input(page, STAFF_CODES[0]), value_input(page, STAFF_CODES[1])
    first.focus()
    page.keyboard.type("１２")
    page.keyboard.press("Enter")
    assert second.evaluate("el => el === document.activeElement")
    page.keyboard.press("ArrowUp")
    assert first.evaluate("el => el === document.activeElement")
    assert not ActualValue.objects.filter(indicator__code=STAFF_CODES[0], fiscal_year=2025).exists()


def test_the_council_browses_goals_and_charts_and_records_an_opinion(page, site):
    meeting = Meeting.objects.create(
        strategy_id=Submission.objects.first().strategy_id,
        fiscal_year=2025,
        name="令和7年度第1回創生有識者会議",
        date=datetime.date(2026, 7, 15),
    )
    login(page, site, "demo-council")
    page.goto(f"{site}/")
    assert charts_drawn(page) >= 7  # six KGI trends and the grade distribution
    screenshot(page, "50-overview-council")
    assert_accessible(page)
    page.goto(f"{site}/goals/G2/")
    assert charts_drawn(page) >= 2
    screenshot(page, "51-goal-council")
    assert_accessible(page)
    page.goto(f"{site}/indicators/G2-KGI1/")
    assert charts_drawn(page) == 1
    screenshot(page, "52-indicator-council")
    assert_accessible(page)
    page.goto(f"{site}/indicators/")
    screenshot(page, "53-indicator-table")
    assert_accessible(page)
    page.goto(f"{site}/departments/kodomo/")
    assert_accessible(page)

    page.goto(f"{site}/meetings/{meeting.pk}/")
    page.get_by_role("link", name="意見・提言を登録").click()
    page.fill("#id_text", "子育て世代の転入を増やすため、情報発信をさらに強化すべきである。")
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state("networkidle")
    screenshot(page, "54-meeting")
    assert_accessible(page)
    opinion = Opinion.objects.get()
    assert opinion.author.username == "demo-council" and opinion.meeting == meeting
    # The council reads everything and changes nothing: the entry screen is refused.
    response = page.goto(f"{site}/entry/2025/")
    assert response.status == 403


def test_an_anonymous_visitor_in_public_mode_sees_approved_figures_only(page, site):
    draft = ActualValue.objects.filter(fiscal_year=2025).exclude(status=ActualValue.Status.APPROVED).first()
    assert draft is not None
    with override_settings(PUBLIC_DASHBOARDS=True):
        page.goto(f"{site}/")
        assert charts_drawn(page) >= 7
        screenshot(page, "60-overview-public")
        assert_accessible(page)
        page.goto(f"{site}/indicators/{draft.indicator.code}/")
        text = page.locator("main").inner_text()
        assert "デモ用の架空の値です" not in text  # notes are internal
        assert "変更履歴" not in text
        screenshot(page, "61-indicator-public")


@pytest.mark.parametrize("path", ["/accounts/login/"])
def test_the_login_page_is_accessible(page, site, path):
    page.goto(site + path)
    assert_accessible(page)
