"""Plausibility checks of a yearly figure: is it far from what was expected or from last year's?

Pure rules, like kpis.rules.achievement: the thresholds come from the strategy's settings
(kpis.models.CycleSettings), the messages from the caller (kpis.cycle.rows). A warning is a question to
the person who typed the figure, never a refusal: submitting with one asks for a word of explanation.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum


class Check(StrEnum):
    FAR_FROM_EXPECTED = "far_from_expected"
    FAR_FROM_PREVIOUS = "far_from_previous"
    SIGN_CHANGE = "sign_change"
    NEGATIVE_COUNT = "negative_count"
    OVER_100_PERCENT = "over_100_percent"
    GRADE = "grade"


@dataclass(frozen=True)
class Thresholds:
    ratio: Decimal = Decimal(3)  # more than ×3 or under ⅓ of the reference
    sign_change: bool = True
    count_units: frozenset[str] = field(default_factory=frozenset)  # units that are never negative
    percent_units: frozenset[str] = field(default_factory=frozenset)  # units of a share: never over 100
    warn_grades: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Warning:
    check: Check
    reference: Decimal | None = None  # the expected or previous value, or the grade's label


def _far(value: Decimal, reference: Decimal | None, ratio: Decimal) -> bool:
    """More than `ratio` times the reference, or under 1/ratio of it, on the same side of zero."""
    if reference is None or reference == 0:
        return False
    if value == 0:
        return True
    if (value > 0) != (reference > 0):
        return False  # a sign change, reported as such
    share = abs(value) / abs(reference)
    return share > ratio or share * ratio < 1


def _sign_changed(value: Decimal, reference: Decimal | None) -> bool:
    return reference is not None and value != 0 and reference != 0 and (value > 0) != (reference > 0)


def check(
    value: Decimal | None,
    *,
    expected: Decimal | None,
    previous: Decimal | None,
    unit: str,
    grade: str | None,
    thresholds: Thresholds,
) -> list[Warning]:
    """Every warning the figure raises, in a fixed order; [] for a plausible one or no figure at all."""
    if value is None:
        return []
    warnings = []
    if _far(value, expected, thresholds.ratio):
        warnings.append(Warning(Check.FAR_FROM_EXPECTED, expected))
    if _far(value, previous, thresholds.ratio):
        warnings.append(Warning(Check.FAR_FROM_PREVIOUS, previous))
    if thresholds.sign_change and _sign_changed(value, previous):
        warnings.append(Warning(Check.SIGN_CHANGE, previous))
    if value < 0 and unit.strip() in thresholds.count_units:
        warnings.append(Warning(Check.NEGATIVE_COUNT))
    if value > 100 and unit.strip() in thresholds.percent_units:
        warnings.append(Warning(Check.OVER_100_PERCENT))
    if grade is not None and grade in thresholds.warn_grades:
        warnings.append(Warning(Check.GRADE, None))
    return warnings
