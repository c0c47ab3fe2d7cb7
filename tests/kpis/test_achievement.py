from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpis.rules.achievement import (
    DEFAULT_BANDS,
    NOT_EVALUABLE,
    Aggregation,
    Band,
    Direction,
    IndicatorSpec,
    YearResult,
    achievement_rate,
    compared_value,
    evaluate,
    evaluate_years,
    expected_value,
    grade_counts,
    grade_for,
    progress_from_baseline,
    round_half_up,
    share_reaching_top,
)

D = Decimal

SOCIAL_INCREASE = IndicatorSpec(  # 社会増数: the target lies below the baseline
    direction=Direction.HIGHER,
    aggregation=Aggregation.ANNUAL,
    first_year=2025,
    baseline_year=2024,
    baseline=D("568"),
    target_year=2027,
    target=D("339"),
)
GROSS_PRODUCT = replace(SOCIAL_INCREASE, baseline=D("277835"), target=D("284394"))  # 実質町内総生産
WASTE = IndicatorSpec(  # ごみ排出量: lower is better
    direction=Direction.LOWER,
    aggregation=Aggregation.ANNUAL,
    first_year=2025,
    baseline_year=2024,
    baseline=D("900"),
    target_year=2027,
    target=D("840"),
)
CUMULATIVE = replace(SOCIAL_INCREASE, aggregation=Aggregation.CUMULATIVE, baseline=D("0"), target=D("300"))
MARKS = (Band("◎", D("100")), Band("○", D("80")), Band("△", D("60")), Band("×", None))


def explicit(expected: Decimal, direction: Direction = Direction.HIGHER) -> IndicatorSpec:
    """An indicator whose 2025 expected value the planning office entered."""
    return replace(SOCIAL_INCREASE, direction=direction, explicit_expected={2025: expected})


def grade_of(spec: IndicatorSpec, actual: Decimal, bands=DEFAULT_BANDS) -> str:
    return evaluate(spec, 2025, {2025: actual}, bands).grade


def test_not_evaluable_is_the_minus_sign():
    assert NOT_EVALUABLE == "\u2212"


def test_social_increase_expected_in_2025_is_491_67():
    assert expected_value(SOCIAL_INCREASE, 2025) == D("491.67")


def test_social_increase_of_400_is_b_plus():
    result = evaluate(SOCIAL_INCREASE, 2025, {2025: D("400")})
    assert result == YearResult(
        fiscal_year=2025,
        expected=D("491.67"),
        actual=D("400"),
        compared=D("400"),
        rate=D("81.4"),
        grade="B+",
        progress=D("73.4"),
    )


def test_social_increase_of_600_is_a():
    result = evaluate(SOCIAL_INCREASE, 2025, {2025: D("600")})
    assert (result.rate, result.grade) == (D("122.0"), "A")


def test_gross_product_expected_in_2025_is_280021_33():
    assert expected_value(GROSS_PRODUCT, 2025) == D("280021.33")


def test_gross_product_of_279000_is_b_plus():
    result = evaluate(GROSS_PRODUCT, 2025, {2025: D("279000")})
    assert (result.rate, result.grade) == (D("99.6"), "B+")


@pytest.mark.parametrize(
    ("year", "expected"),
    [(2023, None), (2024, None), (2025, D("491.67")), (2026, D("415.33")), (2027, D("339.00")), (2028, None)],
)
def test_expected_value_runs_from_after_the_baseline_year_to_the_target_year(year, expected):
    assert expected_value(SOCIAL_INCREASE, year) == expected


def test_expected_value_is_rounded_to_two_places():
    assert expected_value(SOCIAL_INCREASE, 2027).as_tuple().exponent == -2


@pytest.mark.parametrize("missing", ["baseline", "baseline_year"])
def test_without_a_baseline_only_the_target_year_has_an_expected_value(missing):
    spec = replace(SOCIAL_INCREASE, **{missing: None})
    assert [expected_value(spec, year) for year in (2025, 2026, 2027)] == [None, None, D("339.00")]


@pytest.mark.parametrize("missing", ["target", "target_year"])
def test_without_a_target_there_is_no_expected_value(missing):
    spec = replace(SOCIAL_INCREASE, **{missing: None})
    assert [expected_value(spec, year) for year in (2025, 2026, 2027)] == [None, None, None]


def test_a_target_year_not_after_the_baseline_year_gives_only_the_target():
    spec = replace(SOCIAL_INCREASE, baseline_year=2027)
    assert [expected_value(spec, year) for year in (2025, 2026, 2027)] == [None, None, D("339.00")]


def test_an_explicit_expected_value_wins_over_the_line():
    spec = replace(SOCIAL_INCREASE, explicit_expected={2025: D("500")})
    result = evaluate(spec, 2025, {2025: D("400")})
    assert (result.expected, result.rate, result.grade) == (D("500.00"), D("80.0"), "B+")


def test_an_explicit_expected_value_exists_without_a_baseline_and_outside_the_plan_years():
    spec = replace(SOCIAL_INCREASE, baseline=None, explicit_expected={2026: D("450"), 2028: D("300")})
    assert expected_value(spec, 2026) == D("450.00")
    assert expected_value(spec, 2028) == D("300.00")


def test_the_rate_uses_the_exact_expected_value_not_the_rounded_one():
    spec = replace(SOCIAL_INCREASE, baseline=D("0"), target=D("1"))  # E(2025) = 1/3, shown as 0.33
    result = evaluate(spec, 2025, {2025: D("0.1")})
    assert result.expected == D("0.33")
    assert result.rate == D("30.0")  # 0.1 / 0.33 would give 30.3


@pytest.mark.parametrize(
    ("actual", "rate", "grade"),
    [
        (D("100"), D("100.0"), "A"),
        (D("99.95"), D("100.0"), "A"),
        (D("99.94"), D("99.9"), "B+"),
        (D("80"), D("80.0"), "B+"),
        (D("79.95"), D("80.0"), "B+"),
        (D("79.94"), D("79.9"), "B"),
        (D("50"), D("50.0"), "B"),
        (D("49.95"), D("50.0"), "B"),
        (D("49.94"), D("49.9"), "C"),
        (D("0"), D("0.0"), "C"),
        (D("-50"), D("-50.0"), "C"),
    ],
)
def test_the_grade_comes_from_the_rate_rounded_half_up(actual, rate, grade):
    result = evaluate(explicit(D("100")), 2025, {2025: actual})
    assert (result.rate, result.grade) == (rate, grade)


@pytest.mark.parametrize(
    ("actual", "rate", "grade"),
    [
        (D("80"), D("125.0"), "A"),
        (D("100"), D("100.0"), "A"),
        (D("125"), D("80.0"), "B+"),
        (D("400"), D("25.0"), "C"),
    ],
)
def test_lower_is_better_rates_expected_over_actual(actual, rate, grade):
    result = evaluate(explicit(D("100"), Direction.LOWER), 2025, {2025: actual})
    assert (result.rate, result.grade) == (rate, grade)


def test_waste_below_the_line_is_a():
    result = evaluate(WASTE, 2025, {2025: D("850")})
    assert (result.expected, result.rate, result.grade) == (D("880.00"), D("103.5"), "A")


@pytest.mark.parametrize(
    ("direction", "expected", "actual", "grade"),
    [
        (Direction.HIGHER, D("0"), D("0"), "A"),
        (Direction.HIGHER, D("0"), D("5"), "A"),
        (Direction.HIGHER, D("0"), D("-1"), "C"),
        (Direction.HIGHER, D("-10"), D("-5"), "A"),
        (Direction.HIGHER, D("-10"), D("-10"), "A"),
        (Direction.HIGHER, D("-10"), D("-20"), "C"),
        (Direction.LOWER, D("10"), D("0"), "A"),
        (Direction.LOWER, D("0"), D("0"), "A"),
        (Direction.LOWER, D("-5"), D("0"), "C"),
        (Direction.LOWER, D("-5"), D("-6"), "A"),
        (Direction.LOWER, D("-5"), D("-3"), "C"),
    ],
)
def test_where_the_rate_is_undefined_as_good_as_expected_is_the_top_band(direction, expected, actual, grade):
    result = evaluate(explicit(expected, direction), 2025, {2025: actual})
    assert (result.rate, result.grade) == (None, grade)


def test_a_positive_actual_against_a_negative_expected_lower_value_is_c():
    result = evaluate(explicit(D("-5"), Direction.LOWER), 2025, {2025: D("5")})
    assert (result.rate, result.grade) == (D("-100.0"), "C")


def test_a_missing_actual_is_not_evaluable_but_shows_the_expected_value():
    result = evaluate(SOCIAL_INCREASE, 2025, {})
    assert result == YearResult(2025, D("491.67"), None, None, None, NOT_EVALUABLE, None)


def test_a_year_without_an_expected_value_is_not_evaluable():
    result = evaluate(SOCIAL_INCREASE, 2028, {2028: D("400")})
    assert (result.expected, result.actual, result.rate, result.grade) == (
        None,
        D("400"),
        None,
        NOT_EVALUABLE,
    )


def test_a_non_finite_actual_counts_as_missing():
    result = evaluate(SOCIAL_INCREASE, 2025, {2025: D("NaN")})
    assert (result.actual, result.grade) == (None, NOT_EVALUABLE)


def test_a_cumulative_indicator_compares_the_sum_since_the_first_year():
    actuals = {2024: D("999"), 2025: D("80"), 2026: D("120.5")}
    assert compared_value(CUMULATIVE, 2025, actuals) == D("80")
    result = evaluate(CUMULATIVE, 2026, actuals)
    assert (result.actual, result.compared, result.expected, result.rate) == (
        D("120.5"),
        D("200.5"),
        D("200.00"),
        D("100.3"),
    )


def test_a_cumulative_indicator_with_a_missing_year_is_not_evaluable():
    result = evaluate(CUMULATIVE, 2026, {2026: D("120")})
    assert (result.actual, result.compared, result.grade, result.progress) == (
        D("120"),
        None,
        NOT_EVALUABLE,
        None,
    )


def test_a_cumulative_indicator_has_nothing_to_compare_before_the_first_year():
    assert compared_value(CUMULATIVE, 2024, {2024: D("10")}) is None


def test_an_annual_indicator_compares_the_years_own_actual():
    assert compared_value(SOCIAL_INCREASE, 2026, {2025: D("1"), 2026: D("2")}) == D("2")


@pytest.mark.parametrize(
    ("spec", "compared", "progress"),
    [
        (SOCIAL_INCREASE, D("400"), D("73.4")),
        (SOCIAL_INCREASE, D("568"), D("0.0")),
        (SOCIAL_INCREASE, D("339"), D("100.0")),
        (SOCIAL_INCREASE, D("600"), D("-14.0")),
        (WASTE, D("870"), D("50.0")),
        (SOCIAL_INCREASE, None, None),
        (replace(SOCIAL_INCREASE, baseline=None), D("400"), None),
        (replace(SOCIAL_INCREASE, target=None), D("400"), None),
        (replace(SOCIAL_INCREASE, target=D("568")), D("400"), None),
    ],
)
def test_progress_from_baseline(spec, compared, progress):
    assert progress_from_baseline(spec, compared) == progress


@pytest.mark.parametrize(
    ("actual", "grade"),
    [(D("100"), "◎"), (D("85"), "○"), (D("60"), "△"), (D("59.94"), "×"), (None, NOT_EVALUABLE)],
)
def test_custom_bands_grade_with_their_own_labels(actual, grade):
    actuals = {} if actual is None else {2025: actual}
    assert evaluate(explicit(D("100")), 2025, actuals, MARKS).grade == grade


def test_bands_may_come_in_any_order():
    shuffled = (MARKS[3], MARKS[1], MARKS[0], MARKS[2])
    assert [grade_of(explicit(D("100")), D(v), shuffled) for v in ("120", "90", "70", "10")] == [
        "◎",
        "○",
        "△",
        "×",
    ]


def test_undefined_rates_use_the_top_and_bottom_of_custom_bands():
    four = (Band("D", None), Band("C", D("40")), Band("B", D("70")), Band("A", D("100")))
    assert grade_of(explicit(D("0")), D("1"), four) == "A"
    assert grade_of(explicit(D("0")), D("-1"), four) == "D"


@pytest.mark.parametrize(
    "bands",
    [
        (Band("A", D("100")), Band("B", D("50"))),
        (Band("A", D("100")), Band("B", None), Band("C", None)),
        (Band("A", D("100")), Band("A", None)),
        (Band("A", D("100")), Band("B", D("100")), Band("C", None)),
        (),
    ],
)
def test_bands_that_cannot_grade_are_refused(bands):
    with pytest.raises(ValueError):
        evaluate(SOCIAL_INCREASE, 2025, {2025: D("400")}, bands)


@pytest.mark.parametrize("label", ["", NOT_EVALUABLE])
def test_a_band_cannot_be_labelled_like_not_evaluable_or_blank(label):
    with pytest.raises(ValueError):
        Band(label, D("10"))


def test_grade_for_computes_the_rate_when_not_given():
    assert grade_for(Direction.HIGHER, D("85"), D("100"), None) == "B+"


def test_grade_for_uses_the_rounded_rate():
    assert grade_for(Direction.HIGHER, D("79.95"), D("100"), D("79.95")) == "B+"


def test_directions_may_be_given_as_their_stored_strings():
    assert achievement_rate("lower", D("125"), D("100")) == D("80.0")
    assert grade_for("lower", D("125"), D("100"), None) == "B+"


def test_achievement_rate_is_none_without_both_values():
    assert achievement_rate(Direction.HIGHER, None, D("1")) is None
    assert achievement_rate(Direction.HIGHER, D("1"), None) is None


def test_evaluate_years_gives_one_result_per_year_in_order():
    results = evaluate_years(SOCIAL_INCREASE, [2025, 2026, 2027], {2025: D("400"), 2027: D("339")})
    assert [(r.fiscal_year, r.grade) for r in results] == [(2025, "B+"), (2026, NOT_EVALUABLE), (2027, "A")]


@pytest.mark.parametrize(
    ("value", "places", "rounded"),
    [
        (D("0.05"), 1, D("0.1")),
        (D("-0.05"), 1, D("-0.1")),
        (D("0.04"), 1, D("0.0")),
        (D("-0.04"), 1, D("0.0")),
        (D("2.675"), 2, D("2.68")),
        (D("79.95"), 1, D("80.0")),
        (Fraction(1, 3), 2, D("0.33")),
        (Fraction(2, 3), 2, D("0.67")),
        (D("1E+3"), 1, D("1000.0")),
        (D("12.5"), 0, D("13")),
    ],
)
def test_round_half_up(value, places, rounded):
    result = round_half_up(value, places)
    assert result == rounded
    assert str(result) == str(rounded)


def test_round_half_up_never_gives_negative_zero():
    assert str(round_half_up(D("-0.01"))) == "0.0"


def test_grade_counts_has_every_band_then_not_evaluable():
    counts = grade_counts(["A", "B+", NOT_EVALUABLE, "A", "C"])
    assert list(counts.items()) == [("A", 2), ("B+", 1), ("B", 0), ("C", 1), (NOT_EVALUABLE, 1)]


def test_grade_counts_follow_custom_bands_from_the_top_down():
    assert list(grade_counts(["×"], (MARKS[3], MARKS[0], MARKS[2], MARKS[1]))) == [
        "◎",
        "○",
        "△",
        "×",
        NOT_EVALUABLE,
    ]


def test_grade_counts_refuse_a_label_of_other_bands():
    with pytest.raises(ValueError):
        grade_counts(["◎"])


def test_share_reaching_top_counts_only_evaluable_grades():
    assert share_reaching_top(["A", "B+", NOT_EVALUABLE, "A"]) == D("66.7")


@pytest.mark.parametrize("grades", [[], [NOT_EVALUABLE, NOT_EVALUABLE]])
def test_share_reaching_top_is_none_when_nothing_is_evaluable(grades):
    assert share_reaching_top(grades) is None


def test_share_reaching_top_uses_the_top_of_custom_bands():
    assert share_reaching_top(["◎", "×", "△"], MARKS) == D("33.3")


# Property-based: the rules must hold (and never raise) for any figures the database can hold.

values = st.decimals(min_value=D("-1e14"), max_value=D("1e14"), allow_nan=False, allow_infinity=False)
optional_values = st.none() | values
years = st.integers(min_value=2020, max_value=2032)
optional_years = st.none() | years


@st.composite
def specs(draw) -> IndicatorSpec:
    return IndicatorSpec(
        direction=draw(st.sampled_from(Direction)),
        aggregation=draw(st.sampled_from(Aggregation)),
        first_year=draw(years),
        baseline_year=draw(optional_years),
        baseline=draw(optional_values),
        target_year=draw(optional_years),
        target=draw(optional_values),
        explicit_expected=draw(st.dictionaries(years, values, max_size=3)),
    )


def rank(grade: str, bands=DEFAULT_BANDS) -> int:
    """0 for the top band, growing downwards."""
    ordered = sorted(bands, key=lambda band: (band.lower_bound is None, -(band.lower_bound or 0)))
    return [band.label for band in ordered].index(grade)


@settings(deadline=None)
@given(spec=specs(), year=years, actuals=st.dictionaries(years, optional_values, max_size=6))
def test_evaluate_never_raises_and_gives_a_band_label_or_not_evaluable(spec, year, actuals):
    result = evaluate(spec, year, actuals)
    assert result.grade in {band.label for band in DEFAULT_BANDS} | {NOT_EVALUABLE}
    if result.rate is not None:
        assert result.rate.as_tuple().exponent == -1
    if result.progress is not None:
        assert result.progress.as_tuple().exponent == -1
    if result.expected is not None:
        assert result.expected.as_tuple().exponent == -2


@settings(deadline=None)
@given(spec=specs(), year=years, actuals=st.dictionaries(years, values, max_size=6))
def test_evaluate_with_custom_bands_gives_one_of_their_labels(spec, year, actuals):
    assert evaluate(spec, year, actuals, MARKS).grade in {"◎", "○", "△", "×", NOT_EVALUABLE}


@settings(deadline=None)
@given(expected=values, first=values, second=values)
def test_a_higher_actual_never_lowers_the_grade_when_higher_is_better(expected, first, second):
    lower, higher = sorted((first, second))
    spec = explicit(expected, Direction.HIGHER)
    assert rank(grade_of(spec, higher)) <= rank(grade_of(spec, lower))


@settings(deadline=None)
@given(expected=values, first=values, second=values)
def test_a_higher_actual_never_raises_the_grade_when_lower_is_better(expected, first, second):
    lower, higher = sorted((first, second))
    spec = explicit(expected, Direction.LOWER)
    assert rank(grade_of(spec, higher)) >= rank(grade_of(spec, lower))


@settings(deadline=None)
@given(value=values, places=st.integers(min_value=0, max_value=6))
def test_round_half_up_agrees_with_decimal_quantize(value, places):
    expected = value.quantize(D(1).scaleb(-places), rounding=ROUND_HALF_UP)
    assert round_half_up(value, places) == expected
