from dataclasses import replace
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpis.rules.achievement import Aggregation, Direction, IndicatorSpec
from kpis.rules.forecast import Basis, Outlook, forecast, least_squares_at

D = Decimal
ON, RISK, UNKNOWN = Outlook.ON_TRACK, Outlook.AT_RISK, Outlook.UNKNOWN

GROSS_PRODUCT = IndicatorSpec(  # 実質町内総生産: higher is better
    direction=Direction.HIGHER,
    aggregation=Aggregation.ANNUAL,
    first_year=2025,
    baseline_year=2024,
    baseline=D("277835"),
    target_year=2027,
    target=D("284394"),
)
SOCIAL_INCREASE = replace(GROSS_PRODUCT, baseline=D("568"), target=D("339"))  # the target below the baseline
MIGRATION = replace(GROSS_PRODUCT, baseline=D("-50"), target=D("0"))  # negative figures
WASTE = replace(GROSS_PRODUCT, direction=Direction.LOWER, baseline=D("900"), target=D("840"))  # ごみ排出量
WASTE_NO_BASELINE = replace(WASTE, baseline_year=None, baseline=None)
KEEP = replace(GROSS_PRODUCT, baseline=D("50"), target=D("50"))  # keep the level (維持)
SATISFACTION = replace(GROSS_PRODUCT, baseline=D("3.19"), target=D("3.44"))  # 点, shown to 2 places
SHARE = replace(GROSS_PRODUCT, baseline=D("0"), target=D("10"))
PARTICIPANTS = replace(  # 延べ参加者数: a cumulative total over the plan
    GROSS_PRODUCT, aggregation=Aggregation.CUMULATIVE, baseline=D("0"), target=D("300")
)
LONG_PLAN = replace(  # 2020 → 2025, so that four figures come before the target year
    GROSS_PRODUCT, first_year=2021, baseline_year=2020, baseline=D("0"), target_year=2025, target=D("10")
)

ROWS = [
    # spec, actuals, places → status, basis, projected
    pytest.param(
        GROSS_PRODUCT, {2025: "281421"}, 0, ON, Basis.TREND, "288593", id="higher-one-figure-on-pace"
    ),
    pytest.param(
        GROSS_PRODUCT, {2025: "279000"}, 0, RISK, Basis.TREND, "281330", id="higher-one-figure-behind"
    ),
    pytest.param(
        GROSS_PRODUCT,
        {2025: "279000", 2026: "282000"},
        0,
        RISK,
        Basis.TREND,
        "283777",
        id="higher-two-just-short",
    ),
    pytest.param(
        GROSS_PRODUCT, {2025: "284394"}, 0, ON, Basis.REACHED, "297512", id="higher-actual-equals-target"
    ),
    pytest.param(SOCIAL_INCREASE, {2025: "494"}, 0, ON, Basis.TREND, "346", id="decreasing-target-on-pace"),
    pytest.param(
        SOCIAL_INCREASE, {2025: "400"}, 0, RISK, Basis.TREND, "64", id="decreasing-target-falls-past"
    ),
    pytest.param(
        SOCIAL_INCREASE,
        {2025: "-100", 2026: "200"},
        0,
        RISK,
        Basis.TREND,
        "-145",
        id="negative-figure-in-path",
    ),
    pytest.param(MIGRATION, {2025: "-30"}, 0, ON, Basis.TREND, "10", id="negative-baseline-rising"),
    pytest.param(MIGRATION, {2025: "-45"}, 0, RISK, Basis.TREND, "-35", id="negative-baseline-too-slow"),
    pytest.param(WASTE, {2025: "870"}, 0, ON, Basis.TREND, "810", id="lower-falling-fast-enough"),
    pytest.param(WASTE, {2025: "890"}, 0, RISK, Basis.TREND, "870", id="lower-falling-too-slowly"),
    pytest.param(WASTE, {2025: "830", 2026: "835"}, 0, ON, Basis.REACHED, "790", id="lower-already-met"),
    pytest.param(
        WASTE_NO_BASELINE,
        {2025: "820", 2026: "830"},
        0,
        ON,
        Basis.TREND,
        "840",
        id="lower-rising-to-the-limit",
    ),
    pytest.param(
        WASTE_NO_BASELINE,
        {2025: "820", 2026: "835"},
        0,
        RISK,
        Basis.TREND,
        "850",
        id="lower-met-but-heading-away",
    ),
    pytest.param(
        WASTE_NO_BASELINE, {2025: "820"}, 0, UNKNOWN, Basis.TOO_FEW, None, id="no-baseline-one-figure"
    ),
    pytest.param(KEEP, {2025: "52"}, 0, ON, Basis.REACHED, "56", id="keep-level-above"),
    pytest.param(KEEP, {2025: "50"}, 0, ON, Basis.REACHED, "50", id="keep-level-exactly"),
    pytest.param(KEEP, {2025: "49"}, 0, RISK, Basis.TREND, "47", id="keep-level-slipping"),
    pytest.param(SATISFACTION, {2025: "3.04"}, 2, RISK, Basis.TREND, "2.74", id="two-places"),
    pytest.param(SHARE, {2025: "3.33"}, 1, ON, Basis.TREND, "10.0", id="rounded-as-shown-meets"),
    pytest.param(SHARE, {2025: "3.33"}, 2, RISK, Basis.TREND, "9.99", id="rounded-as-shown-short"),
    pytest.param(
        LONG_PLAN,
        {2021: "0", 2022: "0", 2023: "0", 2024: "10"},
        0,
        ON,
        Basis.REACHED,
        "8",
        id="late-jump-already-met",
    ),
    pytest.param(PARTICIPANTS, {2025: "100"}, 0, ON, Basis.TREND, "300", id="cumulative-exactly-on-pace"),
    pytest.param(PARTICIPANTS, {2025: "90", 2026: "90"}, 0, RISK, Basis.TREND, "270", id="cumulative-behind"),
    pytest.param(PARTICIPANTS, {2025: "200", 2026: "150"}, 0, ON, Basis.REACHED, "533", id="cumulative-met"),
    pytest.param(PARTICIPANTS, {2026: "150"}, 0, UNKNOWN, Basis.NO_FIGURE, None, id="cumulative-gap-no-sum"),
    pytest.param(
        PARTICIPANTS,
        {2025: "100", 2026: "100", 2027: "90"},
        0,
        RISK,
        Basis.TARGET_YEAR,
        "290",
        id="cumulative-final",
    ),
    pytest.param(
        GROSS_PRODUCT,
        {2025: "279000", 2026: "280000", 2027: "283000", 2028: "290000"},
        0,
        RISK,
        Basis.TARGET_YEAR,
        "283000",
        id="target-year-passed-short",
    ),
    pytest.param(
        GROSS_PRODUCT,
        {2025: "270000", 2027: "284394"},
        0,
        ON,
        Basis.TARGET_YEAR,
        "284394",
        id="target-year-met",
    ),
    pytest.param(WASTE, {2027: "841"}, 0, RISK, Basis.TARGET_YEAR, "841", id="target-year-lower-missed"),
    pytest.param(GROSS_PRODUCT, {}, 0, UNKNOWN, Basis.NO_FIGURE, None, id="no-figures"),
    pytest.param(GROSS_PRODUCT, {2024: "280000"}, 0, UNKNOWN, Basis.NO_FIGURE, None, id="baseline-year-only"),
    pytest.param(
        replace(GROSS_PRODUCT, target=None), {2025: "1"}, 0, UNKNOWN, Basis.NO_TARGET, None, id="no-target"
    ),
    pytest.param(
        replace(GROSS_PRODUCT, target_year=2024),
        {2025: "1"},
        0,
        UNKNOWN,
        Basis.NO_TARGET,
        None,
        id="target-year-early",
    ),
]


@pytest.mark.parametrize(("spec", "actuals", "places", "status", "basis", "projected"), ROWS)
def test_forecast_table(spec, actuals, places, status, basis, projected):
    result = forecast(spec, {year: D(value) for year, value in actuals.items()}, places)

    assert (result.status, result.basis) == (status, basis)
    assert result.projected == (None if projected is None else D(projected))
    if projected is not None:
        assert result.projected.as_tuple().exponent == -places  # rounded as the indicator shows figures


def test_forecast_names_the_target_and_the_latest_figure_it_used():
    result = forecast(PARTICIPANTS, {2025: D("90"), 2026: D("90"), 2028: D("500")})

    assert (result.target_year, result.target) == (2027, D("300"))
    assert (result.latest_year, result.latest) == (2026, D("180"))  # the running sum, 2028 left out


def test_a_figure_that_is_not_a_number_is_left_out_of_the_path():
    result = forecast(GROSS_PRODUCT, {2025: D("NaN"), 2026: D("281421")})

    assert result.latest_year == 2026
    assert result.projected == D("283214")  # the line through the baseline and 2026 alone


def test_least_squares_line_of_three_points():
    at, slope = least_squares_at({2024: Fraction(568), 2025: Fraction(-100), 2026: Fraction(200)}, 2027)

    assert (at, slope) == (Fraction(-436, 3), -184)


# --- A path on a line through the target is 見込みあり; the same path moved away from it is 要注意 --------

directions = st.sampled_from(list(Direction))
aggregations = st.sampled_from(list(Aggregation))


@st.composite
def lines(draw):
    """An indicator whose target lies on a straight line from its baseline, and the years with figures."""
    baseline_year = draw(st.integers(2000, 2040))
    span = draw(st.integers(2, 12))
    baseline = draw(st.integers(-(10**9), 10**9))
    slope = draw(st.integers(-1000, 1000))
    spec = IndicatorSpec(
        direction=draw(directions),
        aggregation=draw(aggregations),
        first_year=baseline_year + 1,
        baseline_year=baseline_year,
        baseline=D(baseline),
        target_year=baseline_year + span,
        target=D(baseline + slope * span),
    )
    seen = draw(st.integers(1, span - 1))
    path = {baseline_year + k: baseline + slope * k for k in range(1, seen + 1)}
    return spec, path


def as_actuals(spec: IndicatorSpec, path: dict[int, int]) -> dict[int, Decimal]:
    """The yearly figures whose compared values are `path` (for a cumulative indicator, its differences)."""
    if spec.aggregation == Aggregation.ANNUAL:
        return {year: D(value) for year, value in path.items()}
    actuals, before = {}, 0
    for year in sorted(path):
        actuals[year] = D(path[year] - before)
        before = path[year]
    return actuals


@settings(deadline=None, max_examples=300)
@given(line=lines())
def test_a_path_on_the_line_to_the_target_is_on_track(line):
    spec, path = line

    result = forecast(spec, as_actuals(spec, path))

    assert result.status == ON
    assert result.basis in (Basis.TREND, Basis.REACHED)
    if result.basis == Basis.TREND:
        assert result.projected == spec.target


@settings(deadline=None, max_examples=300)
@given(line=lines(), shift=st.integers(2, 10**6))
def test_the_same_path_moved_away_from_the_target_is_at_risk(line, shift):
    spec, path = line
    away = -shift if spec.direction == Direction.HIGHER else shift
    moved = {year: value + away for year, value in path.items()}

    result = forecast(spec, as_actuals(spec, moved))

    assert result.status == RISK
    assert result.basis == Basis.TREND
