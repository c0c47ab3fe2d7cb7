"""The plausibility rules (kpis.rules.plausibility), each on its own, with the default thresholds."""

from decimal import Decimal as D

import pytest

from kpis.rules.plausibility import Check, Thresholds, check

DEFAULT = Thresholds(
    ratio=D(3),
    sign_change=True,
    count_units=frozenset({"人", "件"}),
    percent_units=frozenset({"％", "%"}),
    warn_grades=frozenset({"C"}),
)


def checks(value, expected=None, previous=None, unit="", grade=None, thresholds=DEFAULT):
    found = check(
        None if value is None else D(value),
        expected=None if expected is None else D(expected),
        previous=None if previous is None else D(previous),
        unit=unit,
        grade=grade,
        thresholds=thresholds,
    )
    return [w.check for w in found]


@pytest.mark.parametrize(
    ("value", "expected", "warned"),
    [
        ("1045", "44", True),  # the figure submitted without a word: 2,375 %
        ("132", "44", False),  # exactly ×3 is not more than ×3
        ("132.01", "44", True),
        ("15", "44", False),  # 44/3 = 14.67: 15 is not under ⅓
        ("14.6", "44", True),
        ("0", "44", True),  # nothing where 44 was expected
        ("5", "0", False),  # no ratio to a zero
        ("5", None, False),
    ],
)
def test_a_value_far_from_the_expected_value(value, expected, warned):
    assert (Check.FAR_FROM_EXPECTED in checks(value, expected=expected)) is warned


def test_a_value_far_from_last_years_is_its_own_warning():
    assert checks("300", expected="110", previous="110") == []
    assert checks("300", expected="110", previous="90") == [Check.FAR_FROM_PREVIOUS]


def test_a_sign_change_is_reported_as_such_not_as_a_distance():
    assert checks("-3", previous="12") == [Check.SIGN_CHANGE]
    assert checks("-3", previous="12", thresholds=Thresholds(sign_change=False)) == []  # switched off
    assert checks("0", previous="-2") == [Check.FAR_FROM_PREVIOUS]


def test_a_negative_count_is_warned_only_for_count_units():
    assert checks("-3", unit="件") == [Check.NEGATIVE_COUNT]  # △3 for an access count
    assert checks("-3", unit="人／年") == []  # 社会増数 may well be negative
    assert checks("0", unit="件") == []


def test_a_share_over_100_percent():
    assert checks("100", unit="％") == []
    assert checks("100.1", unit="％") == [Check.OVER_100_PERCENT]
    assert checks("120", unit="%") == [Check.OVER_100_PERCENT]
    assert checks("120", unit="点") == []


def test_a_warned_grade():
    assert checks("1", grade="C") == [Check.GRADE]
    assert checks("1", grade="B") == []


def test_no_figure_no_warning_and_the_order_is_fixed():
    assert checks(None, expected="44", previous="40", unit="件", grade="C") == []
    assert checks("-200", expected="44", previous="40", unit="件", grade="C") == [
        Check.SIGN_CHANGE,
        Check.NEGATIVE_COUNT,
        Check.GRADE,
    ]


def test_the_ratio_is_a_setting():
    assert checks("100", expected="44") == []
    assert checks("100", expected="44", thresholds=Thresholds(ratio=D(2))) == [Check.FAR_FROM_EXPECTED]
