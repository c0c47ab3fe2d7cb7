"""The meeting pack's charts as small SVG drawings, made on the server from the same evaluations and grade
colours as the web's Plotly figures (reports.dashboards.charts), so the printed chart and the page agree.

Why hand-written SVG rather than a chart library: the pack needs two kinds of chart (a KGI's trend, the
grade distribution), WeasyPrint draws inline SVG as vectors with real, selectable text in the embedded
Japanese font, and a few dozen lines here add no dependency (matplotlib would bring numpy and its own font
handling for two charts). Every text is escaped; colours are #rrggbb from charts.grade_colour.
"""

from collections.abc import Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from xml.sax.saxutils import escape, quoteattr

from django.utils.translation import gettext as _

from kpis.rules.evaluation import Evaluation, Rollup
from kpis.rules.scale import Scale
from lib.colours import INK, text_colour_on
from lib.fiscal import fiscal_year_lines
from lib.negatives import triangle_negatives
from lib.numbers import format_decimal
from reports.dashboards.charts import EXPECTED_COLOUR, GRID, TARGET_COLOUR, grade_colour, unapproved_note

FONT = "'Noto Sans CJK JP', 'Noto Sans JP', sans-serif"
WIDTH = 480
TREND_HEIGHT = 178
# The plot area of a trend chart, inside the drawing: room for the axis labels left and the years below.
LEFT, RIGHT, TOP, BOTTOM = 62, 468, 20, 128


def _n(value: Decimal | int) -> str:
    """A coordinate with one decimal: enough for print, short in the file."""
    return f"{Decimal(value):.1f}"


def _text(x, y, text: str, size=10, anchor="start", colour=INK, weight="normal") -> str:
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" font-size="{size}" text-anchor="{anchor}" fill="{colour}"'
        f' font-weight="{weight}">{escape(text)}</text>'
    )


def _svg(height: int, label: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img"'
        f' font-family="{FONT}" aria-label={quoteattr(label)}><title>{escape(label)}</title>'
        + "".join(body)
        + "</svg>"
    )


def nice_ticks(low: Decimal, high: Decimal, count: int = 4) -> list[Decimal]:
    """Round axis ticks (steps of 1, 2 or 5 × 10ⁿ) from at most `low` to at least `high`."""
    if high <= low:
        spread = abs(low) / 10 or Decimal(1)
        low, high = low - spread, high + spread
    raw = (high - low) / count
    magnitude = Decimal(1).scaleb(raw.adjusted())
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = (low / step).to_integral_value(rounding=ROUND_FLOOR) * step
    last = (high / step).to_integral_value(rounding=ROUND_CEILING) * step
    ticks = []
    tick = first
    while tick <= last:
        ticks.append(tick)
        tick += step
    return ticks


def _places_of(step: Decimal) -> int:
    return max(0, -step.normalize().as_tuple().exponent)


def _text_width(text: str, size: float) -> Decimal:
    """About how wide a text is drawn: a full-width character is as wide as the font size, others half."""
    return Decimal(str(size)) * sum(Decimal(1) if ord(c) > 0x2E7F else Decimal("0.55") for c in text)


# A five-pointed star's corners around its centre, for a radius of 1 (the inner corners at 0.382).
_STAR = [
    ("0", "-1"),
    ("0.2245", "-0.309"),
    ("0.9511", "-0.309"),
    ("0.3633", "0.118"),
    ("0.5878", "0.809"),
    ("0", "0.382"),
    ("-0.5878", "0.809"),
    ("-0.3633", "0.118"),
    ("-0.9511", "-0.309"),
    ("-0.2245", "-0.309"),
]


def _star(cx: Decimal, cy: Decimal, radius: Decimal = Decimal(9)) -> str:
    points = " ".join(f"{_n(cx + Decimal(dx) * radius)},{_n(cy + Decimal(dy) * radius)}" for dx, dy in _STAR)
    return f'<polygon points="{points}" fill="{TARGET_COLOUR}" stroke="#ffffff" stroke-width="0.6"/>'


class _Axes:
    """Where a year and a value are drawn in the trend chart."""

    def __init__(self, years: list[int], values: list[Decimal]):
        self.years = years
        self.ticks = nice_ticks(min(values), max(values))
        self.low, self.high = self.ticks[0], self.ticks[-1]
        self.slot = Decimal(RIGHT - LEFT) / len(years)

    def x(self, year: int) -> Decimal:
        return LEFT + self.slot * self.years.index(year) + self.slot / 2

    def y(self, value: Decimal) -> Decimal:
        return BOTTOM - (Decimal(value) - self.low) / (self.high - self.low) * (BOTTOM - TOP)


def _grid(axes: _Axes, unit: str, triangle: bool) -> list[str]:
    places = _places_of(axes.ticks[1] - axes.ticks[0]) if len(axes.ticks) > 1 else 0
    body = []
    for tick in axes.ticks:
        y = axes.y(tick)
        body.append(
            f'<line x1="{LEFT}" x2="{RIGHT}" y1="{_n(y)}" y2="{_n(y)}" stroke="{GRID}" stroke-width="0.8"/>'
        )
        body.append(
            _text(LEFT - 6, y + Decimal("3.5"), format_decimal(tick, places, triangle=triangle), 9, "end")
        )
    if unit:
        body.append(_text(LEFT - 6, TOP - 10, _("（%(unit)s）") % {"unit": unit}, 9, "end"))
    body.append(
        f'<line x1="{LEFT}" x2="{RIGHT}" y1="{BOTTOM}" y2="{BOTTOM}" stroke="{INK}" stroke-width="1"/>'
    )
    for year in axes.years:
        x = axes.x(year)
        # 「2025年度」 over 「令和7年度」 (FY2025 over Reiwa 7), as the web's axes (lib.fiscal).
        first, second = fiscal_year_lines(year)
        body.append(_text(x, BOTTOM + 14, first, 9, "middle"))
        body.append(_text(x, BOTTOM + 26, second, 8.5, "middle", EXPECTED_COLOUR))
    return body


def _legend(y: int, unapproved: bool) -> list[str]:
    """The marks explained in one row under the chart, as on the web's legend."""
    marks = [
        (
            lambda x: (
                f'<line x1="{_n(x)}" x2="{_n(x + 18)}" y1="{y}" y2="{y}" stroke="{EXPECTED_COLOUR}"'
                ' stroke-width="2" stroke-dasharray="4 3"/>'
            ),
            _("期待値"),
        ),
        (lambda x: f'<circle cx="{_n(x + 9)}" cy="{y}" r="4.5" fill="{INK}"/>', _("実績値（色は評価）")),
        (
            lambda x: (
                f'<rect x="{_n(x + Decimal("4.5"))}" y="{y - 4.5}" width="9" height="9" fill="#ffffff"'
                f' stroke="{INK}" stroke-width="1.6"/>'
            ),
            _("基準値"),
        ),
        (lambda x: _star(x + 9, Decimal(y), Decimal(6)), _("目標値")),
    ]
    if unapproved:
        marks.append(
            (
                lambda x: (
                    f'<circle cx="{_n(x + 9)}" cy="{y}" r="4.5" fill="#ffffff" stroke="{INK}"'
                    ' stroke-width="2"/>'
                ),
                _("未承認の実績値"),
            )
        )
    body = []
    x = Decimal(LEFT - 40)
    for draw, label in marks:
        body.append(draw(x))
        body.append(_text(x + 22, y + Decimal("3.5"), label, 9))
        x += 22 + _text_width(label, 9) + 14
    return body


def trend_svg(evaluation: Evaluation, scale: Scale, years: Sequence[int]) -> str:
    """Baseline, the expected path, the actuals (coloured by grade; hollow while unapproved) and the target."""
    indicator = evaluation.indicator
    b, t = indicator.baseline_year, indicator.target_year
    baseline = indicator.baseline_value if b is not None else None
    target = indicator.target_value if t is not None else None
    path = [(b, baseline)] if baseline is not None else []
    path += [(y, evaluation.year(y).expected) for y in years if evaluation.year(y).expected is not None]
    points = [(y, evaluation.year(y)) for y in years if evaluation.year(y).compared is not None]
    values = [v for _y, v in path] + [r.compared for _y, r in points]
    values += [target] if target is not None else []
    label = _("%(name)s の推移") % {"name": indicator.name}
    if not values:
        return _svg(60, label, [_text(WIDTH / 2, 34, _("表示できる数値がありません"), 11, "middle")])
    axes = _Axes(sorted({*years, *(y for y in (b, t) if y is not None)}), values)
    triangle = triangle_negatives()
    body = _grid(axes, indicator.unit or "", triangle)
    if len(path) > 1:
        line = " ".join(f"{_n(axes.x(y))},{_n(axes.y(v))}" for y, v in path)
        body.append(
            f'<polyline points="{line}" fill="none" stroke="{EXPECTED_COLOUR}" stroke-width="2"'
            ' stroke-dasharray="5 4"/>'
        )
    body += [
        f'<circle cx="{_n(axes.x(y))}" cy="{_n(axes.y(v))}" r="2.6" fill="{EXPECTED_COLOUR}"/>'
        for y, v in path[1 if baseline is not None else 0 :]
    ]
    if len(points) > 1:
        line = " ".join(f"{_n(axes.x(y))},{_n(axes.y(r.compared))}" for y, r in points)
        body.append(f'<polyline points="{line}" fill="none" stroke="{INK}" stroke-width="2"/>')
    if baseline is not None:
        x, y = axes.x(b), axes.y(baseline)
        body.append(
            f'<rect x="{_n(x - 5)}" y="{_n(y - 5)}" width="10" height="10" fill="#ffffff" stroke="{INK}"'
            ' stroke-width="1.8"/>'
        )
    if target is not None:
        body.append(_star(axes.x(t), axes.y(target)))
    unapproved = False
    for y, r in points:
        x, cy = axes.x(y), axes.y(r.compared)
        if unapproved_note(evaluation, y):
            unapproved = True
            body.append(
                f'<circle cx="{_n(x)}" cy="{_n(cy)}" r="5.5" fill="#ffffff" stroke="{INK}" stroke-width="2.4"/>'
            )
        else:
            colour = grade_colour(scale, r.grade)
            body.append(
                f'<circle cx="{_n(x)}" cy="{_n(cy)}" r="5.5" fill="{colour}" stroke="{INK}" stroke-width="1"/>'
            )
        body.append(_text(x, cy - 9, r.grade, 10, "middle", INK, "bold"))
    body += _legend(TREND_HEIGHT - 8, unapproved)
    return _svg(TREND_HEIGHT, label, body)


def distribution_svg(rows: Sequence[tuple[str, Rollup]], scale: Scale, title: str) -> str:
    """Horizontal stacked bars: how many indicators reached each grade, one bar per row (as the web's)."""
    widest = max((_text_width(label, 9.5) for label, _rollup in rows), default=Decimal(0))
    bar_left, bar_right, row_height, top = int(min(widest, 200)) + 16, WIDTH - 10, 24, 30
    body = []
    x = Decimal(bar_left)
    for grade in scale.labels:
        name = scale.name_of(grade)
        text = f"{grade} {name}" if name else grade
        body.append(f'<rect x="{_n(x)}" y="6" width="10" height="10" fill="{grade_colour(scale, grade)}"/>')
        body.append(_text(x + 14, 15, text, 9))
        x += 14 + _text_width(text, 9) + 12
    most = max((r.total for _label, r in rows), default=0) or 1
    for index, (row_label, rollup) in enumerate(rows):
        y = top + row_height * index
        body.append(_text(bar_left - 6, y + 15, row_label, 9.5, "end"))
        x = Decimal(bar_left)
        for grade in scale.labels:
            count = rollup.counts.get(grade, 0)
            if not count:
                continue
            width = Decimal(bar_right - bar_left) * count / most
            colour = grade_colour(scale, grade)
            body.append(
                f'<rect x="{_n(x)}" y="{y + 3}" width="{_n(width)}" height="{row_height - 6}" fill="{colour}"'
                ' stroke="#ffffff" stroke-width="1"/>'
            )
            body.append(
                _text(x + width / 2, y + 16, str(count), 9.5, "middle", text_colour_on(colour), "bold")
            )
            x += width
    return _svg(top + row_height * len(rows) + 8, title, body)
