"""Two people on the same entry page in two browsers: the colleague's rows survive, one row asks a choice."""

from decimal import Decimal

from kpis.models import ActualValue
from tests.support.browser import axe_violations, login, screenshot

URL = "/entry/2025/?department=kodomo"


def _row(page, code):
    return page.locator("tbody.indicator-row", has_text=code)


def test_a_save_from_an_older_page_keeps_a_colleagues_rows_and_asks_about_the_shared_one(page, site, browser):
    other = browser.new_context(locale="ja-JP", viewport={"width": 1366, "height": 900})
    colleague = other.new_page()
    login(colleague, site, "demo-planning")
    login(page, site, "demo-staff")
    colleague.goto(f"{site}{URL}")
    page.goto(f"{site}{URL}")

    _row(colleague, "G3-M1-K1").locator("input.entry-value").fill("350")
    _row(colleague, "G3-M1-K2").locator("input.entry-value").fill("13")
    _row(colleague, "G3-M1-K1").locator("textarea[name$='-cause_analysis']").fill("保育士の確保が進んだ")
    colleague.get_by_role("button", name="下書き保存").click()
    colleague.wait_for_load_state("networkidle")
    other.close()

    _row(page, "G3-M1-K1").locator("input.entry-value").fill("400")
    _row(page, "G3-M1-K5").locator("input.entry-value").fill("5")
    page.get_by_role("button", name="下書き保存").click()
    page.wait_for_load_state("networkidle")

    box = page.locator(".conflict")
    assert box.count() == 1 and "350" in box.inner_text() and "400" in box.inner_text()
    assert _row(page, "G3-M1-K2").locator("input.entry-value").input_value() == "13"  # taken, not flagged
    screenshot(page, "15-entry-conflict")
    assert axe_violations(page) == []

    page.get_by_role("button", name="下書き保存").click()  # no choice made: nothing written
    page.wait_for_load_state("networkidle")
    assert "まだ選ばれていません" in page.content()
    page.get_by_label("保存されている値を残す").check()
    page.get_by_role("button", name="下書き保存").click()
    page.wait_for_load_state("networkidle")

    stored = dict(
        ActualValue.objects.filter(fiscal_year=2025, indicator__department__code="kodomo").values_list(
            "indicator__code", "value"
        )
    )
    assert stored["G3-M1-K1"] == Decimal(350) and stored["G3-M1-K2"] == Decimal(13)
    assert stored["G3-M1-K5"] == Decimal(5)
