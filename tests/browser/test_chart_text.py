"""Markup stored in the data is drawn by Plotly as the characters typed: no link, no bold, nothing hidden."""

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
    assert chart.locator(".ytitle").text_content() == LINK
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
