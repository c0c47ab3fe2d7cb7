from tests.support.browser import axe_violations, screenshot


def test_the_home_page_works_offline_in_a_real_browser(page, site):
    page.goto(site + "/")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert "第３期阿見町まち・ひと・しごと創生総合戦略" in page.locator("h1").first.inner_text()
    assert page.get_by_text("デモデータ").first.is_visible()
    screenshot(page, "00-home-anonymous")
    assert axe_violations(page) == []
