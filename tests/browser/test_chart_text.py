"""Chart texts: markup stored in the data is drawn by Plotly as the characters typed (no link, no bold,
nothing hidden); the toolbar speaks the page's language; the unit is written level, not turned sideways."""

import re

from kpis.models import GradeBand, Indicator
from tests.support.browser import login, screenshot

LINK = '<a href="//evil.example">u</a>'
BOLD = "<b>概ね</b>順調"


def test_a_unit_and_a_band_name_holding_markup_are_shown_literally_in_the_charts(page, site):
    Indicator.objects.filter(code="G2-KGI1").update(unit=LINK)
    GradeBand.objects.filter(label="B+").update(name=BOLD)
    login(page, site, "demo-council")

    page.goto(f"{site}/indicators/G2-KGI1/")
    page.wait_for_selector(".js-plotly-plot .main-svg", state="attached")
    chart = page.locator(".js-plotly-plot").first
    assert chart.locator(".annotation-text").text_content() == f"（{LINK}）"
    assert chart.locator("svg a").count() == 0
    # Hovering a point shows its text: the unit is in it as typed.
    chart.locator(".scatterlayer .points path").first.hover(force=True)
    page.wait_for_selector(".hoverlayer .hovertext", state="attached")
    assert LINK in page.locator(".hoverlayer .hovertext").first.text_content()
    screenshot(page, "60-chart-markup-indicator")

    page.goto(f"{site}/")
    page.wait_for_selector("[data-chart='chart-distribution'] .main-svg", state="attached")
    distribution = page.locator("[data-chart='chart-distribution']")
    legends = distribution.locator(".legendtext").all_text_contents()
    assert f"B+ {BOLD}" in legends, legends
    assert distribution.locator("svg a").count() == 0
    bold = distribution.locator(".legendtext tspan[style*='bold']").count()
    assert bold == 0
    screenshot(page, "61-chart-markup-overview")


ROTATED = re.compile(r"rotate\(\s*(-?[\d.]+)")


def modebar_title(page) -> str:
    """The tooltip of the chart toolbar's first button, as Plotly wrote it (its data-title)."""
    chart = page.locator(".js-plotly-plot").first
    chart.hover()
    button = chart.locator(".modebar-btn").first
    button.hover()
    return button.get_attribute("data-title")


def turned_texts(page) -> list[str]:
    """The transforms in the first chart that turn something (a rotate by any angle but 0)."""
    transforms = page.locator(".js-plotly-plot").first.evaluate(
        "chart => Array.from(chart.querySelectorAll('[transform]'), e => e.getAttribute('transform'))"
    )
    return [t for t in transforms if any(float(angle) != 0 for angle in ROTATED.findall(t))]


def test_the_toolbar_speaks_the_pages_language_and_the_unit_is_not_turned(page, site):
    login(page, site, "demo-council")
    page.goto(f"{site}/indicators/G2-KGI1/")
    page.wait_for_selector(".js-plotly-plot .main-svg", state="attached")
    assert modebar_title(page) == "PNGファイルでダウンロード"
    chart = page.locator(".js-plotly-plot").first
    # No axis title along the y axis: the unit stands level above the axis's numbers.
    assert chart.locator(".ytitle").count() == 0
    assert chart.locator(".annotation-text").text_content() == "（人／年）"
    assert turned_texts(page) == []
    screenshot(page, "62-chart-toolbar-ja")

    page.select_option("#lang-select", "en")
    page.click(".lang-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.goto(f"{site}/indicators/G2-KGI1/")
    page.wait_for_selector(".js-plotly-plot .main-svg", state="attached")
    assert page.locator("html").get_attribute("lang") == "en"
    assert modebar_title(page) == "Download plot as a PNG"
    assert page.locator(".js-plotly-plot .ytitle").count() == 0 and turned_texts(page) == []
    screenshot(page, "63-chart-toolbar-en")
