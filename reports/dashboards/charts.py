"""Plotly figures for the dashboards, built in Python and handed to the page as JSON.

The page draws them with static/js/charts.js and the vendored plotly.js basic bundle (scatter and bar
only). Every figure's numbers are also shown in a data table next to it, so the chart is never the only
way to read them; hover texts use the same formatting as the tables (lib.numbers.format_decimal).

Plotly reads a subset of HTML in every text it draws (<a href>, <b>, <br>, <span style>…). Whatever comes
from stored data (a unit, a band's label or name, a row label) goes through `plain`, so it is drawn as the
characters typed, never as a link or bold; only the markup written here (the <br> of a year tick) is
markup. Colours come from `grade_colour`, which only ever gives #rrggbb.
"""

import html
import json
import re
from collections.abc import Sequence
from decimal import Decimal

from django.utils.translation import gettext as _

from kpis.models import ActualValue
from kpis.rules.evaluation import Evaluation, Rollup
from kpis.rules.scale import DEFAULT_GRADES, NEUTRAL_COLOUR, Scale
from lib.colours import INK, text_colour_on
from lib.fiscal import fiscal_year_lines
from lib.negatives import triangle_negatives
from lib.numbers import format_decimal

# The same stack as app.css: the machine's Japanese font draws the labels (no web fonts, no internet).
FONT_FAMILY = (
    '"Hiragino Kaku Gothic ProN", "Hiragino Sans", "Noto Sans CJK JP", "Noto Sans JP", '
    '"Yu Gothic UI", "Yu Gothic", Meiryo, sans-serif'
)
GRID = "#d0d7de"
EXPECTED_COLOUR = "#57606a"
TARGET_COLOUR = "#0b5394"
# An earlier plan's figures of the same measurement (lineage): grey, apart from this plan's graded actuals.
EARLIER_COLOUR = "#6e7781"

# No Plotly logo, no link to plotly.com or Chart Studio, no tools that make no sense for these charts.
CONFIG = {
    "displaylogo": False,
    "showLink": False,
    "showSendToCloud": False,
    "showEditInChartStudio": False,
    "responsive": True,
    "scrollZoom": False,
    "modeBarButtonsToRemove": [
        "select2d",
        "lasso2d",
        "zoomIn2d",
        "zoomOut2d",
        "autoScale2d",
        "toggleSpikelines",
        "hoverClosestCartesian",
        "hoverCompareCartesian",
    ],
}


HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_DEFAULT_COLOURS = {grade.label: grade.colour for grade in DEFAULT_GRADES}


def plain(text) -> str:
    """Text that Plotly draws as typed: its markup characters as entities, which Plotly shows literally."""
    return html.escape(str(text), quote=False)


def grade_colour(scale: Scale, label: str) -> str:
    """The band's #rrggbb colour; a stored colour that is not one (`red;}*{`) gives the default scale's
    colour for that label, or the neutral grey."""
    colour = scale.colour_of(label)
    if HEX_COLOUR.fullmatch(colour or ""):
        return colour
    return _DEFAULT_COLOURS.get(label, NEUTRAL_COLOUR)


def grade_text(scale: Scale, label: str) -> str:
    """「A 順調」: the letter and its name, as every legend and hover shows a grade (as plain text)."""
    name = scale.name_of(label)
    return plain(f"{label} {name}" if name else label)


def year_tick(year: int) -> str:
    """「2025年度」 over 「令和7年度」: the fiscal-year label on two lines (lib.fiscal)."""
    first, second = fiscal_year_lines(year)
    return f"{plain(first)}<br>{plain(second)}"


def unit_annotation(unit: str, left_margin: int) -> dict:
    """The y axis's unit 「（人）」, written level above the axis's numbers (from the figure's left edge): a
    title along the axis would be turned sideways, which no one should have to read. `unit` is plain."""
    return {
        "text": _("（%(unit)s）") % {"unit": unit},
        "xref": "paper",
        "yref": "paper",
        "x": 0,
        "y": 1,
        "xanchor": "left",
        "yanchor": "bottom",
        "xshift": 4 - left_margin,
        "yshift": 4,
        "showarrow": False,
        "font": {"size": 12, "color": INK},
    }


def unapproved_note(evaluation: Evaluation, year: int) -> str:
    """「（入力中・未承認）」 for a point drawn from a figure not yet approved (only the internal audience
    sees those); "" for an approved one."""
    record = evaluation.record(year)
    if record is None or record.status == ActualValue.Status.APPROVED:
        return ""
    return _("（%(status)s・未承認）") % {"status": record.get_status_display()}


def _layout(height: int, **extra) -> dict:
    layout = {
        "height": height,
        "font": {"family": FONT_FAMILY, "size": 13, "color": INK},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "margin": {"l": 56, "r": 16, "t": 16, "b": 48},
        "hoverlabel": {"font": {"family": FONT_FAMILY}},
        "legend": {"orientation": "h", "y": -0.25, "x": 0},
    }
    layout.update(extra)
    return layout


def to_json(figure: dict, mode_bar: bool = True) -> dict:
    """The figure with the page's config, as plain JSON types: a Decimal becomes the number plotly.js draws,
    as plotly.io would write it (float(value)).

    Figures are plain dicts in plotly's schema, serialised by the standard library's JSON encoder without
    building graph objects: validating a graph object costs milliseconds, plotly.io's encoder tries a chain
    of converters (numpy, pandas, dates…) for each number, and a page may hold hundreds of figures. The tests
    validate every kind of figure against plotly's schema instead (plotly.graph_objects.Figure).
    """
    data = json.loads(json.dumps(figure, default=_number, allow_nan=False))
    data["config"] = {**CONFIG, "displayModeBar": "hover" if mode_bar else False}
    return data


def _number(value):
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not a chart value")


def trend_figure(
    evaluation: Evaluation, scale: Scale, years: Sequence[int], compact: bool = False, earlier=()
) -> dict:
    """Baseline, the expected path, the actuals (coloured by grade) and the target, by fiscal year.

    `earlier`: the figures of the indicators this one continues in earlier plans (lineage.EarlierSeries),
    drawn before the plan's own years in grey, with the boundary between the plans marked."""
    indicator = evaluation.indicator
    places = indicator.decimal_places
    unit = plain(indicator.unit or "")
    triangle = triangle_negatives()
    b, t = indicator.baseline_year, indicator.target_year
    earlier_years = {year for series in earlier for year, _value in series.points}
    axis_years = sorted({*years, *earlier_years, *(y for y in (b, t) if y is not None)})
    ticks = [year_tick(y) for y in axis_years]
    tick_of = dict(zip(axis_years, ticks, strict=True))

    def shown(value, decimals=places):
        return f"{format_decimal(value, decimals, triangle=triangle)}{unit}"

    def graded(result):
        """「A 順調（102.3%）」: the grade, and the rate when there is one."""
        if result.rate is None:
            return grade_text(scale, result.grade)
        rate = f"{format_decimal(result.rate, 1, triangle=triangle)}%"
        return _("%(grade)s（%(rate)s）") % {"grade": grade_text(scale, result.grade), "rate": rate}

    figure = {
        "data": [_earlier_trace(series, tick_of, shown) for series in earlier if series.points],
        "layout": {},
    }
    # Expected path: from the baseline through each year's expected value.
    path = []
    if b is not None and indicator.baseline_value is not None:
        path.append((b, indicator.baseline_value))
    path += [(y, evaluation.year(y).expected) for y in years if evaluation.year(y).expected is not None]
    if path:
        figure["data"].append(
            dict(
                type="scatter",
                x=[tick_of[y] for y, _v in path],
                y=[v for _y, v in path],
                name=_("期待値"),
                mode="lines+markers",
                line={"color": EXPECTED_COLOUR, "dash": "dash", "width": 2},
                marker={"size": 6, "color": EXPECTED_COLOUR},
                hovertext=[_("期待値") + f" {shown(v, indicator.shown_places)}" for _y, v in path],
                hoverinfo="text+x",
            )
        )
    compared_label = _("実績値（累計）") if indicator.aggregation == "cumulative" else _("実績値")
    points = [(y, evaluation.year(y)) for y in years if evaluation.year(y).compared is not None]
    # A figure not yet approved is drawn hollow and says so in its hover text.
    notes = [unapproved_note(evaluation, y) for y, _r in points]
    if points:
        figure["data"].append(
            dict(
                type="scatter",
                x=[tick_of[y] for y, _r in points],
                y=[r.compared for _y, r in points],
                name=compared_label,
                mode="lines+markers+text" if not compact else "lines+markers",
                line={"color": INK, "width": 2},
                marker={
                    "size": 12 if not compact else 9,
                    "color": [grade_colour(scale, r.grade) for _y, r in points],
                    "symbol": ["circle-open" if note else "circle" for note in notes],
                    "line": {"color": INK, "width": [3 if note else 1 for note in notes]},
                },
                text=[plain(r.grade) for _y, r in points],
                textposition="top center",
                hovertext=[
                    f"{compared_label} {shown(r.compared)}<br>"
                    + _("評価")
                    + f" {graded(r)}"
                    + (f"<br>{note}" if note else "")
                    for (_y, r), note in zip(points, notes, strict=True)
                ],
                hoverinfo="text+x",
            )
        )
    if b is not None and indicator.baseline_value is not None:
        figure["data"].append(
            dict(
                type="scatter",
                x=[tick_of[b]],
                y=[indicator.baseline_value],
                name=_("基準値"),
                mode="markers",
                marker={
                    "size": 11,
                    "symbol": "square",
                    "color": "#ffffff",
                    "line": {"color": INK, "width": 2},
                },
                hovertext=[_("基準値") + f" {shown(indicator.baseline_value)}"],
                hoverinfo="text+x",
            )
        )
    if t is not None and indicator.target_value is not None:
        figure["data"].append(
            dict(
                type="scatter",
                x=[tick_of[t]],
                y=[indicator.target_value],
                name=_("目標値"),
                mode="markers",
                marker={"size": 16, "symbol": "star", "color": TARGET_COLOUR},
                hovertext=[_("目標値") + f" {shown(indicator.target_value)}"],
                hoverinfo="text+x",
            )
        )
    layout = _layout(
        190 if compact else 340,
        xaxis={
            "type": "category",
            "categoryorder": "array",
            "categoryarray": ticks,
            "showgrid": False,
            "linecolor": GRID,
            "fixedrange": True,
        },
        yaxis={
            "gridcolor": GRID,
            "zeroline": False,
            "fixedrange": True,
            "tickformat": ",",
        },
        showlegend=not compact,
    )
    if unit and not compact:
        layout["margin"] = {**layout["margin"], "t": 36}
        layout["annotations"] = [unit_annotation(unit, layout["margin"]["l"])]
    if compact:
        layout["margin"] = {"l": 48, "r": 8, "t": 8, "b": 36}
        layout["font"]["size"] = 11
        layout["xaxis"]["categoryarray"] = ticks
    if earlier_years and years:
        _mark_boundary(layout, axis_years.index(min(years)))
    figure["layout"] = layout
    return to_json(figure, mode_bar=not compact)


def _earlier_trace(series, tick_of, shown) -> dict:
    """An earlier plan's figures of the same measurement: grey, named by the plan's years."""
    name = _("前の計画の実績（%(first)s〜%(last)s年度）") % {
        "first": series.plan.first_year,
        "last": series.plan.last_year,
    }
    return dict(
        type="scatter",
        x=[tick_of[year] for year, _v in series.points],
        y=[value for _y, value in series.points],
        name=name,
        mode="lines+markers",
        line={"color": EARLIER_COLOUR, "width": 2},
        marker={"size": 9, "color": EARLIER_COLOUR, "symbol": "diamond"},
        hovertext=[f"{plain(series.plan.name)}<br>{shown(value)}" for _y, value in series.points],
        hoverinfo="text+x",
    )


def _mark_boundary(layout: dict, first_index: int) -> None:
    """A dotted line between the earlier plan's years and this plan's first year, labelled."""
    layout["shapes"] = [
        {
            "type": "line",
            "xref": "x",
            "yref": "paper",
            "x0": first_index - 0.5,
            "x1": first_index - 0.5,
            "y0": 0,
            "y1": 1,
            "line": {"color": INK, "width": 1, "dash": "dot"},
        }
    ]
    layout.setdefault("annotations", []).append(
        {
            "xref": "x",
            "yref": "paper",
            "x": first_index - 0.5,
            "y": 1,
            "xanchor": "left",
            "yanchor": "bottom",
            "text": _("この計画の開始"),
            "showarrow": False,
            "font": {"size": 11, "color": INK},
        }
    )


def distribution_figure(rows: Sequence[tuple[str, Rollup]], scale: Scale) -> dict:
    """Horizontal stacked bars: how many indicators reached each grade, one bar per row label."""
    labels = [plain(label) for label, _rollup in rows]
    figure = {"data": [], "layout": {}}
    for grade in scale.labels:
        counts = [rollup.counts.get(grade, 0) for _label, rollup in rows]
        colour = grade_colour(scale, grade)
        name = grade_text(scale, grade)
        figure["data"].append(
            dict(
                type="bar",
                y=labels,
                x=counts,
                orientation="h",
                name=name,
                marker={"color": colour, "line": {"color": "#ffffff", "width": 1}},
                text=[str(c) if c else "" for c in counts],
                textposition="inside",
                # Level, as every text here: Plotly turns a count sideways in a narrow bar otherwise.
                textangle=0,
                insidetextanchor="middle",
                textfont={"color": text_colour_on(colour)},
                # Hover texts, not a hovertemplate: a template would read "%{…}" in a stored name.
                hovertext=[
                    f"{label}<br>" + _("%(grade)s：%(count)s") % {"grade": name, "count": count}
                    for label, count in zip(labels, counts, strict=True)
                ],
                hoverinfo="text",
            )
        )
    figure["layout"] = _layout(
        max(180, 60 + 48 * len(rows)),
        barmode="stack",
        xaxis={
            "title": {"text": _("指標数")},
            "gridcolor": GRID,
            "rangemode": "tozero",
            "fixedrange": True,
        },
        yaxis={"autorange": "reversed", "fixedrange": True, "automargin": True},
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0, "traceorder": "normal"},
        margin={"l": 16, "r": 16, "t": 40, "b": 48},
    )
    return to_json(figure)
