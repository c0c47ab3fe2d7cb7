"""Achievement of an indicator in a fiscal year: expected value, rate, grade and progress.

The rules of docs/domain.md, as pure functions over Decimal (no Django), so that every screen, export
and API shows the same number.
"""

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal
from enum import StrEnum
from fractions import Fraction

NOT_EVALUABLE = "\u2212"  # 「−」評価不能

# Sums of stored values must not be rounded to the default 28 significant digits.
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)


class Direction(StrEnum):
    HIGHER = "higher"
    LOWER = "lower"


class Aggregation(StrEnum):
    ANNUAL = "annual"
    CUMULATIVE = "cumulative"


@dataclass(frozen=True)
class Band:
    label: str
    lower_bound: Decimal | None  # None: the bottom band

    def __post_init__(self):
        if not self.label or self.label == NOT_EVALUABLE:
            raise ValueError(f"A band needs a label other than {NOT_EVALUABLE!r}.")
        if self.lower_bound is not None and not Decimal(self.lower_bound).is_finite():
            raise ValueError(f"Band {self.label!r} has a non-finite lower bound.")


DEFAULT_BANDS: tuple[Band, ...] = (
    Band("A", Decimal("100.0")),
    Band("B+", Decimal("80.0")),
    Band("B", Decimal("50.0")),
    Band("C", None),
)


@dataclass(frozen=True)
class IndicatorSpec:
    direction: Direction
    aggregation: Aggregation
    first_year: int
    baseline_year: int | None
    baseline: Decimal | None
    target_year: int | None
    target: Decimal | None
    explicit_expected: Mapping[int, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class YearResult:
    fiscal_year: int
    expected: Decimal | None
    actual: Decimal | None
    compared: Decimal | None
    rate: Decimal | None
    grade: str
    progress: Decimal | None


def round_half_up(value: Decimal | Fraction, places: int = 1) -> Decimal:
    """Round half away from zero (四捨五入) to exactly `places` decimals, without floating point."""
    if places < 0:
        raise ValueError("places must not be negative.")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"Cannot round {value!r}.")
    exact = Fraction(value)
    units = math.floor(abs(exact) * 10**places + Fraction(1, 2))
    negative = exact < 0 and units != 0  # never a "-0.0"
    return Decimal((int(negative), tuple(int(digit) for digit in str(units)), -places))


def _exact(value: Decimal | Fraction | int | None) -> Fraction | None:
    # A NaN or an infinity is not a value anyone entered: treat it as missing rather than raise.
    if value is None:
        return None
    if isinstance(value, Decimal) and not value.is_finite():
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return Fraction(value)


def _finite_decimal(value: Decimal | int | None) -> Decimal | None:
    if value is None or (isinstance(value, Decimal) and not value.is_finite()):
        return None
    return Decimal(value)


def _ranked(bands: Sequence[Band]) -> tuple[Band, ...]:
    """The bands from the top down, the bottom band last; ValueError when they cannot grade."""
    bottoms = [band for band in bands if band.lower_bound is None]
    if len(bottoms) != 1:
        raise ValueError("Bands need exactly one bottom band (lower_bound=None).")
    labels = [band.label for band in bands]
    if len(set(labels)) != len(labels):
        raise ValueError(f"Band labels must be distinct: {labels}.")
    bounded = [band for band in bands if band.lower_bound is not None]
    if len({band.lower_bound for band in bounded}) != len(bounded):
        raise ValueError("Two bands share a lower bound.")
    return (*sorted(bounded, key=lambda band: band.lower_bound, reverse=True), bottoms[0])


def can_grade(bands: Sequence[Band]) -> bool:
    """Whether the bands make a scale to grade with (a scale being edited band by band may not yet)."""
    try:
        _ranked(bands)
    except ValueError:
        return False
    return True


def _exact_expected(spec: IndicatorSpec, year: int) -> Fraction | None:
    explicit = _exact((spec.explicit_expected or {}).get(year))
    if explicit is not None:
        return explicit
    target = _exact(spec.target)
    if target is None or spec.target_year is None:
        return None
    if year == spec.target_year:
        return target
    baseline, b, t = _exact(spec.baseline), spec.baseline_year, spec.target_year
    # The line runs from the baseline (already measured, nothing expected of it) to the target; the plan
    # says nothing about years after t, so those have no expected value unless entered explicitly.
    if baseline is None or b is None or not b < year < t:
        return None
    return baseline + (target - baseline) * Fraction(year - b, t - b)


def expected_value(spec: IndicatorSpec, year: int) -> Decimal | None:
    """E(y) to 2 places; None up to the baseline year, after the target year, or without a target."""
    expected = _exact_expected(spec, year)
    return None if expected is None else round_half_up(expected, 2)


def compared_value(spec: IndicatorSpec, year: int, actuals: Mapping[int, Decimal]) -> Decimal | None:
    """The year's actual, or for a cumulative indicator the sum since the plan's first year."""
    if spec.aggregation != Aggregation.CUMULATIVE:
        return _finite_decimal(actuals.get(year))
    if year < spec.first_year:
        return None
    total = Decimal(0)
    for each_year in range(spec.first_year, year + 1):
        actual = _finite_decimal(actuals.get(each_year))
        if actual is None:
            return None
        total = _EXACT.add(total, actual)
    return total


def achievement_rate(
    direction: Direction, compared: Decimal | None, expected: Decimal | Fraction | None
) -> Decimal | None:
    """The rate in % to 0.1, or None where it is not defined (E <= 0 higher-is-better, V <= 0 lower).

    `expected` may be the exact Fraction: evaluate() passes it so that the rate does not depend on how
    E is rounded for display.
    """
    value, expected_exact = _exact(compared), _exact(expected)
    if value is None or expected_exact is None:
        return None
    if Direction(direction) == Direction.LOWER:
        return round_half_up(expected_exact / value * 100) if value > 0 else None
    return round_half_up(value / expected_exact * 100) if expected_exact > 0 else None


def grade_for(
    direction: Direction,
    compared: Decimal | None,
    expected: Decimal | Fraction | None,
    rate: Decimal | None,
    bands: Sequence[Band] = DEFAULT_BANDS,
) -> str:
    """The band label for the rounded rate; NOT_EVALUABLE without a compared or expected value."""
    ranked = _ranked(bands)
    value, expected_exact = _exact(compared), _exact(expected)
    if value is None or expected_exact is None:
        return NOT_EVALUABLE
    if _exact(rate) is None:
        rate = achievement_rate(direction, compared, expected)
    if rate is None:
        if Direction(direction) == Direction.LOWER:
            as_good = value <= expected_exact
        else:
            as_good = value >= expected_exact
        return ranked[0].label if as_good else ranked[-1].label
    rounded = round_half_up(rate)
    return next(band.label for band in ranked if band.lower_bound is None or rounded >= band.lower_bound)


def progress_from_baseline(spec: IndicatorSpec, compared: Decimal | None) -> Decimal | None:
    """(V − B) / (T − B) × 100 to 0.1, whatever the direction; None without V, B or T, or when T == B."""
    value, baseline, target = _exact(compared), _exact(spec.baseline), _exact(spec.target)
    if value is None or baseline is None or target is None or target == baseline:
        return None
    return round_half_up((value - baseline) / (target - baseline) * 100)


def evaluate(
    spec: IndicatorSpec, year: int, actuals: Mapping[int, Decimal], bands: Sequence[Band] = DEFAULT_BANDS
) -> YearResult:
    """Everything the review shows for one indicator in one fiscal year."""
    ranked = _ranked(bands)
    expected = _exact_expected(spec, year)
    compared = compared_value(spec, year, actuals)
    rate = achievement_rate(spec.direction, compared, expected)
    return YearResult(
        fiscal_year=year,
        expected=None if expected is None else round_half_up(expected, 2),
        actual=_finite_decimal(actuals.get(year)),
        compared=compared,
        rate=rate,
        grade=grade_for(spec.direction, compared, expected, rate, ranked),
        progress=progress_from_baseline(spec, compared),
    )


def evaluate_years(
    spec: IndicatorSpec,
    years: Iterable[int],
    actuals: Mapping[int, Decimal],
    bands: Sequence[Band] = DEFAULT_BANDS,
) -> list[YearResult]:
    return [evaluate(spec, year, actuals, bands) for year in years]


def grade_counts(grades: Iterable[str], bands: Sequence[Band] = DEFAULT_BANDS) -> dict[str, int]:
    """How many of each grade, keyed by every band label from the top down, then NOT_EVALUABLE."""
    counts = {band.label: 0 for band in _ranked(bands)}
    counts[NOT_EVALUABLE] = 0
    for grade in grades:
        if grade not in counts:
            # A label from other bands would silently vanish from the totals.
            raise ValueError(f"{grade!r} is not a grade of these bands.")
        counts[grade] += 1
    return counts


def share_reaching_top(grades: Iterable[str], bands: Sequence[Band] = DEFAULT_BANDS) -> Decimal | None:
    """The share (%, to 0.1) of evaluable grades in the top band; None when none is evaluable."""
    counts = grade_counts(grades, bands)
    evaluable = sum(counts.values()) - counts[NOT_EVALUABLE]
    if not evaluable:
        return None
    top = _ranked(bands)[0].label
    return round_half_up(Fraction(counts[top] * 100, evaluable))
