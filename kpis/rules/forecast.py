"""Whether an indicator will reach its target at the pace of its figures so far (達成見込み).

A pure rule over exact numbers (Fraction, then Decimal to show), like kpis.rules.achievement, whose
IndicatorSpec and compared values it reuses; docs/forecast.md states the rule with worked examples. The
caller chooses the figures (approved ones only for the public, every one for the town's staff, up to the
year under review in the workbook) and writes the message (kpis.rules.outlook).

The rule, for an indicator with baseline year b, baseline B, target year t and target T:

1. No target, or a target year not after the baseline year: UNKNOWN (判定不可).
2. The path: the compared value (the year's actual; for a cumulative indicator the running sum since the
   plan's first year) of every year y with b < y <= t that has one. Figures of the baseline year or before
   stand for nothing the baseline does not already say, and the plan says nothing after t. No such
   figure yet: UNKNOWN.
3. The target year's own figure is in: the outcome is known, not forecast. ON_TRACK when it meets T
   (the figure rounded as shown, as in 4).
4. Otherwise the least-squares line through (b, B) and the path, extended to t: its value, rounded half
   up to the places the indicator is shown with, is the projection. ON_TRACK when it meets T: the
   rounded value is compared, as a grade comes from the rounded rate, so the status never contradicts
   the figure the message shows.
   With fewer than two points (no baseline and one figure) there is no line: UNKNOWN.
5. Except that the latest figure already meeting T, with the line not heading away from it (rising, or
   flat, for higher-is-better), is ON_TRACK whatever the line's value at t (a sudden rise in the last year
   pulls a least-squares line up only part of the way).

"Meets" is in the indicator's direction: at least T when higher is better, at most T when lower is
better. A target equal to the baseline (keep the level, 維持) is met while the path stays at or above it
(at or below, lower-is-better).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from kpis.rules.achievement import Aggregation, Direction, IndicatorSpec, compared_value, round_half_up


class Outlook(StrEnum):
    ON_TRACK = "on_track"  # 見込みあり
    AT_RISK = "at_risk"  # 要注意
    UNKNOWN = "unknown"  # 判定不可


class Basis(StrEnum):
    """Why the outlook is what it is (the message says it)."""

    TREND = "trend"  # the line through the baseline and the figures, at the target year
    REACHED = "reached"  # the latest figure already meets the target and the line does not turn away
    TARGET_YEAR = "target_year"  # the target year's own figure is in
    NO_TARGET = "no_target"  # no target, or no target year after the baseline year
    NO_FIGURE = "no_figure"  # no figure after the baseline year yet
    TOO_FEW = "too_few"  # no baseline and a single figure: no line


@dataclass(frozen=True)
class Forecast:
    status: Outlook
    basis: Basis
    projected: Decimal | None = None  # the value at the target year, to the indicator's places
    target_year: int | None = None
    target: Decimal | None = None
    latest_year: int | None = None  # the latest year of the path
    latest: Decimal | None = None  # its compared value (cumulative: the running sum)


def _finite(value: Decimal | None) -> Fraction | None:
    """The exact value, or None for a missing one (or a NaN or infinity nobody entered)."""
    if value is None or not Decimal(value).is_finite():
        return None
    return Fraction(value)


def meets(direction: Direction, value: Decimal | Fraction, target: Decimal | Fraction) -> bool:
    """Whether `value` is at least as good as `target` in the indicator's direction."""
    if Direction(direction) == Direction.LOWER:
        return Fraction(value) <= Fraction(target)
    return Fraction(value) >= Fraction(target)


def path(spec: IndicatorSpec, actuals: Mapping[int, Decimal]) -> dict[int, Decimal]:
    """The compared value of every year after the baseline year, up to the target year, that has one."""
    after = spec.baseline_year if spec.baseline_year is not None else spec.first_year - 1
    points = {}
    for year in sorted(actuals):
        if not after < year <= spec.target_year:
            continue
        if spec.aggregation == Aggregation.CUMULATIVE:
            value = compared_value(spec, year, actuals)
        else:
            value = actuals[year] if _finite(actuals[year]) is not None else None
        if value is not None:
            points[year] = Decimal(value)
    return points


def least_squares_at(points: Mapping[int, Fraction], year: int) -> tuple[Fraction, Fraction]:
    """The least-squares line through the points (two years at least): its value at `year`, its slope."""
    n = len(points)
    mean_x = Fraction(sum(points), n)
    mean_y = sum(points.values(), Fraction(0)) / n
    spread = sum((x - mean_x) ** 2 for x in points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points.items()) / spread
    return mean_y + slope * (year - mean_x), slope


def forecast(spec: IndicatorSpec, actuals: Mapping[int, Decimal], places: int = 0) -> Forecast:
    """The outlook for the target year from `actuals` (fiscal year → the year's figure), as documented above;
    `places`: the decimals the indicator is shown with, to which figures are rounded before comparing."""
    target, t, b = _finite(spec.target), spec.target_year, spec.baseline_year
    if target is None or t is None or (b is not None and t <= b):
        return Forecast(Outlook.UNKNOWN, Basis.NO_TARGET)
    known = {"target_year": t, "target": Decimal(spec.target)}
    figures = path(spec, actuals)
    if not figures:
        return Forecast(Outlook.UNKNOWN, Basis.NO_FIGURE, **known)
    latest_year = max(figures)
    latest = round_half_up(Fraction(figures[latest_year]), places)
    known |= {"latest_year": latest_year, "latest": figures[latest_year]}
    if latest_year == t:
        status = Outlook.ON_TRACK if meets(spec.direction, latest, target) else Outlook.AT_RISK
        return Forecast(status, Basis.TARGET_YEAR, latest, **known)
    points = {year: Fraction(value) for year, value in figures.items()}
    baseline = _finite(spec.baseline)
    if b is not None and baseline is not None:
        points[b] = baseline
    if len(points) < 2:
        return Forecast(Outlook.UNKNOWN, Basis.TOO_FEW, **known)
    at_target, slope = least_squares_at(points, t)
    projected = round_half_up(at_target, places)
    heading_away = slope > 0 if Direction(spec.direction) == Direction.LOWER else slope < 0
    if meets(spec.direction, latest, target) and not heading_away:
        return Forecast(Outlook.ON_TRACK, Basis.REACHED, projected, **known)
    status = Outlook.ON_TRACK if meets(spec.direction, projected, target) else Outlook.AT_RISK
    return Forecast(status, Basis.TREND, projected, **known)
