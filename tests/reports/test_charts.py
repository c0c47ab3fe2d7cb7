"""Charts: Plotly JSON in json_script blocks, drawn by a static script; valid figures; no inline script."""

import json
import re
from decimal import Decimal
from pathlib import Path

import plotly.graph_objects as go
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from kpis.models import GradeBand, Indicator
from kpis.rules.evaluation import evaluate_all, rollup, scale_for
from reports.dashboards import charts

pytestmark = pytest.mark.django_db

CHART_PAGES = [
    "/",
    reverse("dashboards:goal", args=["G1"]),
    reverse("dashboards:indicator", args=["G1-KGI1"]),
]
SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.S)


def json_blocks(html: str) -> dict:
    blocks = {}
    for attrs, body in SCRIPT.findall(html):
        if 'type="application/json"' in attrs:
            blocks[re.search(r'id="([^"]+)"', attrs).group(1)] = json.loads(body)
    return blocks


@pytest.mark.parametrize("url", CHART_PAGES)
def test_every_chart_has_its_json_and_the_page_has_no_inline_script(client_as, figures, url):
    html = client_as("council").get(url).content.decode()
    for attrs, body in SCRIPT.findall(html):
        if 'type="application/json"' in attrs:
            continue
        assert "src=" in attrs and not body.strip(), f"inline script: {attrs}"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"
    assert 'src="/static/vendor/plotly/plotly-basic.min.js"' in html
    assert 'src="/static/js/charts.js"' in html
    blocks = json_blocks(html)
    targets = re.findall(r'data-chart="([^"]+)"', html)
    assert targets and set(targets) <= set(blocks)
    for figure in blocks.values():
        assert figure["data"] and figure["config"]["displaylogo"] is False
        assert figure["config"]["showLink"] is False and figure["config"]["showEditInChartStudio"] is False
        assert "Noto Sans CJK JP" in figure["layout"]["font"]["family"]


def test_the_overview_draws_six_trends_and_the_distribution(client_as, figures):
    blocks = json_blocks(client_as("council").get("/").content.decode())
    assert len([key for key in blocks if key.startswith("chart-G")]) == 6
    distribution = blocks["chart-distribution"]
    assert {trace["type"] for trace in distribution["data"]} == {"bar"}
    assert distribution["layout"]["barmode"] == "stack"
    assert [t["name"] for t in distribution["data"]] == [
        "A 順調",
        "B+ 概ね順調",
        "B やや遅れ",
        "C 遅れ",
        "− 評価不能",
    ]


def test_every_chart_sits_next_to_a_data_table(client_as, figures):
    html = client_as("council").get("/").content.decode()
    assert html.count("グラフの数値（表）") == 6
    assert "KPIの評価の分布（2025年度（令和7年度）、基本目標別）（表）" in html
    indicator = client_as("council").get(reverse("dashboards:indicator", args=["G1-KGI1"])).content.decode()
    assert "年度別の実績と評価（グラフの数値）" in indicator


def test_grade_colours_come_from_the_strategys_bands(plan, figures):
    GradeBand.objects.filter(strategy=plan, label="B+").update(colour="#123456")
    scale = scale_for(plan)
    evaluation = evaluate_all(Indicator.objects.filter(code="G1-KGI1").with_figures(), plan, scale=scale)[0]
    figure = charts.trend_figure(evaluation, scale, plan.plan_years)
    actual = next(t for t in figure["data"] if t["name"] == "実績値")
    assert actual["marker"]["color"] == ["#123456"]  # B+ 概ね順調, as the planning office set it
    assert "B+ 概ね順調" in actual["hovertext"][0] and "99.6%" in actual["hovertext"][0]
    bars = charts.distribution_figure([("G1", rollup([evaluation], 2025, scale))], scale)
    assert [t["marker"]["color"] for t in bars["data"]] == [
        "#1a7f37",
        "#123456",
        "#d9a400",
        "#cf222e",
        "#6e7781",
    ]


def test_the_figures_are_valid_plotly_figures(plan, figures):
    scale = scale_for(plan)
    evaluations = evaluate_all(Indicator.objects.filter(strategy=plan).with_figures(), plan, scale=scale)
    for evaluation in evaluations[:8]:
        for compact in (True, False):
            figure = charts.trend_figure(evaluation, scale, plan.plan_years, compact=compact)
            go.Figure({"data": figure["data"], "layout": figure["layout"]})  # raises on an invalid attribute
    bars = charts.distribution_figure([("G1", rollup(evaluations, 2025, scale))], scale)
    go.Figure({"data": bars["data"], "layout": bars["layout"]})


def test_a_figure_is_written_with_the_numbers_plotly_would_write():
    import plotly.io as pio

    figure = {
        "data": [
            {
                "type": "scatter",
                "x": ["2025年度", "2026年度", "2027年度"],
                "y": [Decimal("1.10"), Decimal("-3"), Decimal("12345678901234.5678")],
                "hovertext": ["期待値 1.1人", None, "△3"],
            }
        ],
        "layout": {"height": 190, "yaxis": {"range": [Decimal("0"), Decimal("0.3333333333333333333333")]}},
    }
    written = charts.to_json(figure)
    assert {key: written[key] for key in ("data", "layout")} == json.loads(
        pio.to_json(figure, validate=False)
    )
    assert written["config"]["displaylogo"] is False
    with pytest.raises(TypeError):
        charts.to_json({"data": [{"type": "scatter", "y": [object()]}], "layout": {}})


def test_the_vendored_plotly_is_the_version_plotly_py_was_built_for():
    from plotly.offline import get_plotlyjs_version

    folder = Path(settings.BASE_DIR) / "static" / "vendor" / "plotly"
    head = (folder / "plotly-basic.min.js").read_text(encoding="utf-8")[:200]
    assert f"v{get_plotlyjs_version()}" in head
    assert (folder / "LICENSE").exists()
    assert get_plotlyjs_version() in (folder / "README.md").read_text(encoding="utf-8")


LINK = '<a href="//evil.example">u</a>'
BOLD = "<b>概ね</b>順調"


def every_text(node):
    """Every string in a figure, with the key it sits under."""
    if isinstance(node, dict):
        for key, value in node.items():
            for found_key, text in every_text(value):
                yield found_key or key, text
    elif isinstance(node, list):
        for item in node:
            yield from every_text(item)
    elif isinstance(node, str):
        yield None, node


def assert_no_markup_but_line_breaks(figure):
    for key, text in every_text({"data": figure["data"], "layout": figure["layout"]}):
        assert "<" not in text.replace("<br>", ""), (key, text)
        assert "%{" not in text, (key, text)  # no hovertemplate reads stored text


def test_markup_in_a_unit_or_a_band_name_is_drawn_as_plain_text(plan, figures):
    Indicator.objects.filter(code="G1-KGI1").update(unit=LINK)
    GradeBand.objects.filter(strategy=plan, label="B+").update(name=BOLD)
    scale = scale_for(plan)
    evaluation = evaluate_all(Indicator.objects.filter(code="G1-KGI1").with_figures(), plan, scale=scale)[0]
    for compact in (False, True):
        trend = charts.trend_figure(evaluation, scale, plan.plan_years, compact=compact)
        assert_no_markup_but_line_breaks(trend)
    trend = charts.trend_figure(evaluation, scale, plan.plan_years)
    assert trend["layout"]["annotations"][0]["text"] == '（&lt;a href="//evil.example"&gt;u&lt;/a&gt;）'
    actual = next(t for t in trend["data"] if t["name"] == "実績値")
    assert "&lt;b&gt;概ね&lt;/b&gt;順調" in actual["hovertext"][0]
    assert "u&lt;/a&gt;" in next(t for t in trend["data"] if t["name"] == "基準値")["hovertext"][0]
    bars = charts.distribution_figure([("<i>G1</i>", rollup([evaluation], 2025, scale))], scale)
    assert_no_markup_but_line_breaks(bars)
    assert [t["name"] for t in bars["data"]][1] == "B+ &lt;b&gt;概ね&lt;/b&gt;順調"
    assert bars["data"][1]["hovertext"] == ["&lt;i&gt;G1&lt;/i&gt;<br>B+ &lt;b&gt;概ね&lt;/b&gt;順調：1"]


def test_the_public_pages_charts_carry_no_markup_from_the_data(client, plan, figures, settings):
    settings.PUBLIC_DASHBOARDS = True
    Indicator.objects.filter(code="G1-KGI1").update(unit=LINK)
    GradeBand.objects.filter(strategy=plan, label="B+").update(name=BOLD, label="<b>")
    for url in CHART_PAGES:
        blocks = json_blocks(client.get(url).content.decode())
        assert blocks
        for figure in blocks.values():
            assert_no_markup_but_line_breaks(figure)


@pytest.mark.parametrize("stored", ["red;}*{", "red", "#12345", "#12 456", "#12345g"])
def test_a_grade_colour_that_is_not_rrggbb_falls_back_to_the_default_scale(plan, stored):
    GradeBand.objects.filter(strategy=plan, label="B+").update(colour=stored)
    scale = scale_for(plan)
    assert charts.grade_colour(scale, "B+") == "#2f6fb3"  # the default scale's B+
    assert charts.grade_colour(scale, "A") == "#1a7f37"
    bars = charts.distribution_figure([("G1", rollup([], 2025, scale))], scale)
    assert bars["data"][1]["marker"]["color"] == "#2f6fb3"


def test_a_band_names_english_markup_is_drawn_as_plain_text_too(plan, figures):
    GradeBand.objects.filter(strategy=plan, label="B+").update(name_en="<b>Mostly</b> on track")
    scale = scale_for(plan)
    evaluations = evaluate_all(Indicator.objects.filter(strategy=plan).with_figures(), plan, scale=scale)
    with translation.override("en"):
        bars = charts.distribution_figure([("G1", rollup(evaluations, 2025, scale))], scale)
    assert_no_markup_but_line_breaks(bars)
    assert bars["data"][1]["name"] == "B+ &lt;b&gt;Mostly&lt;/b&gt; on track"


def test_the_unit_is_written_level_above_the_axis_not_turned_along_it(plan, figures):
    scale = scale_for(plan)
    evaluation = evaluate_all(Indicator.objects.filter(code="G2-KGI1").with_figures(), plan, scale=scale)[0]
    layout = charts.trend_figure(evaluation, scale, plan.plan_years)["layout"]
    assert "title" not in layout["yaxis"]
    (unit,) = layout["annotations"]
    assert unit["text"] == "（人／年）" and unit.get("textangle", 0) == 0
    assert (unit["xref"], unit["yref"], unit["y"], unit["yanchor"]) == ("paper", "paper", 1, "bottom")
    # A compact chart (the overview's KGI cards) has no room for it, and no unit title either.
    compact = charts.trend_figure(evaluation, scale, plan.plan_years, compact=True)["layout"]
    assert "annotations" not in compact and "title" not in compact["yaxis"]


def test_chart_texts_follow_the_language_and_only_data_stays_japanese(plan, figures):
    scale = scale_for(plan)
    evaluations = evaluate_all(Indicator.objects.filter(strategy=plan).with_figures(), plan, scale=scale)
    evaluation = next(e for e in evaluations if e.indicator.code == "G2-KGI1")
    with translation.override("en"):
        trend = charts.trend_figure(evaluation, scale, plan.plan_years)
        bars = charts.distribution_figure([("Goal 1", rollup(evaluations, 2025, scale))], scale)
    names = [t["name"] for t in trend["data"]]
    assert names == ["Expected value", "Actual", "Baseline", "Target"]
    assert trend["layout"]["xaxis"]["categoryarray"][:2] == ["FY2024<br>Reiwa 6", "FY2025<br>Reiwa 7"]
    assert [t["name"] for t in bars["data"]] == [
        "A On track",
        "B+ Mostly on track",
        "B Slightly behind",
        "C Behind",
        "− Not evaluable",
    ]
    assert bars["layout"]["xaxis"]["title"]["text"] == "Number of indicators"
    texts = [text for _key, text in every_text({"data": trend["data"], "layout": trend["layout"]})]
    texts += [text for _key, text in every_text({"data": bars["data"], "layout": bars["layout"]})]
    # The unit 「人／年」 is the plan's data; everything else is English.
    japanese = {text for text in texts if JAPANESE.search(text.replace("人／年", ""))}
    assert japanese == set()


JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff01-\uff5e]")
