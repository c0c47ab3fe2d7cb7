from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.numbers import (
    MAX_DECIMAL_PLACES,
    MAX_INTEGER_DIGITS,
    MAX_SIGNIFICANT_DIGITS,
    NumberFormatError,
    format_decimal,
    parse_decimal,
    validate_storable,
)

D = Decimal


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1234", D("1234")),
        ("277,835", D("277835")),
        ("１，２３４．５", D("1234.5")),
        ("１２３４", D("1234")),
        ("1，234", D("1234")),
        ("0.5", D("0.5")),
        (".5", D("0.5")),
        ("12.", D("12")),
        ("1,234.50", D("1234.5")),
        ("+5", D("5")),
        ("＋５", D("5")),
        ("-12", D("-12")),
        ("－12", D("-12")),
        ("\u221212", D("-12")),
        ("△12", D("-12")),
        ("▲12", D("-12")),
        ("△１，２００", D("-1200")),
        ("△ 12", D("-12")),
        ("  12  ", D("12")),
        ("\u3000１２\u3000", D("12")),
        ("\t12\n", D("12")),
        ("007", D("7")),
        ("-0", D("0")),
        ("1.5000000", D("1.5")),
        ("99,999,999,999,999.9", D("99999999999999.9")),
        ("12,345,678.901234", D("12345678.901234")),
        (1234, D("1234")),
        (-12, D("-12")),
        (D("12.30"), D("12.3")),
        (D("1E+3"), D("1000")),
        (0.1, D("0.1")),
    ],
)
def test_parse_decimal_reads_what_staff_type(text, value):
    parsed = parse_decimal(text)
    assert parsed == value
    assert str(parsed) == str(value)


@pytest.mark.parametrize("text", [None, "", "   ", "\u3000", "\u3000 \t"])
def test_parse_decimal_reads_an_empty_cell_as_missing(text):
    assert parse_decimal(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "abc",
        "1e5",
        "1E5",
        "NaN",
        "nan",
        "Infinity",
        "-inf",
        "--5",
        "△-5",
        "+-5",
        "△▲5",
        "−－5",
        "12-",
        "△",
        "-",
        ".",
        ",123",
        "123,",
        "1,,234",
        "1.2.3",
        "1.234,5",
        "1 234",
        "12円",
        "①",
        "١٢",
        "１２³",
        "0x10",
        "1_000",
        True,
        D("NaN"),
        D("-Infinity"),
        float("nan"),
        float("inf"),
        [1],
    ],
)
def test_parse_decimal_refuses_what_is_not_a_number(text):
    with pytest.raises(NumberFormatError):
        parse_decimal(text)


@pytest.mark.parametrize("text", ["12,5", "１２，５", "1,2,3", "1234,567", "1,23", "△12,5"])
def test_a_comma_that_does_not_separate_thousands_is_refused_not_dropped(text):
    with pytest.raises(NumberFormatError, match="3桁ごとの区切り"):
        parse_decimal(text)


@pytest.mark.parametrize(
    "text", ["99999999999999.99", "12345678901234.567891", "1234567890.123456", D("1000000000.000001")]
)
def test_more_significant_digits_than_the_database_keeps_exactly_are_refused(text):
    with pytest.raises(NumberFormatError, match=f"{MAX_SIGNIFICANT_DIGITS}桁"):
        parse_decimal(text)


def test_the_storage_validator_refuses_what_parse_decimal_refuses_and_passes_the_rest():
    validate_storable(None)
    validate_storable(D("99999999999999.9"))
    validate_storable(D("0.000001"))
    for value in (D("99999999999999.99"), D("1E+14"), D("0.0000001"), D("NaN")):
        with pytest.raises(ValidationError):
            validate_storable(value)


def test_the_message_quotes_the_text():
    with pytest.raises(NumberFormatError) as caught:
        parse_decimal("abc")
    assert str(caught.value) == "数値として読めません: 'abc'"


@pytest.mark.parametrize("text", ["80%", "80％", "８０％ ", "12.5 %"])
def test_a_percent_sign_is_refused_because_the_unit_belongs_to_the_indicator(text):
    with pytest.raises(NumberFormatError, match="単位（％）"):
        parse_decimal(text)


def test_a_katakana_long_vowel_is_not_a_minus():
    with pytest.raises(NumberFormatError, match="「ー」"):
        parse_decimal("ー12")


@pytest.mark.parametrize(
    "text", ["123,456,789,012,345", "１２３４５６７８９０１２３４５", 10**14, D("1E+14")]
)
def test_more_integer_digits_than_the_column_holds_are_refused(text):
    with pytest.raises(NumberFormatError, match=f"{MAX_INTEGER_DIGITS}桁"):
        parse_decimal(text)


@pytest.mark.parametrize("text", ["1.1234567", "0.0000001", D("1E-7")])
def test_more_decimal_places_than_the_column_holds_are_refused(text):
    with pytest.raises(NumberFormatError, match=f"{MAX_DECIMAL_PLACES}桁"):
        parse_decimal(text)


def test_a_number_format_error_is_a_value_error():
    assert issubclass(NumberFormatError, ValueError)


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [
        (None, None, "\u2212"),
        (None, 2, "\u2212"),
        (D("277835"), None, "277,835"),
        (D("1234567.891"), None, "1,234,567.891"),
        (D("1E+3"), None, "1,000"),
        (D("1234.5000"), None, "1,234.5"),
        (D("12.30"), None, "12.3"),
        (D("0"), None, "0"),
        (D("0.000"), None, "0"),
        (D("-0"), None, "0"),
        (D("0.000001"), None, "0.000001"),
        (D("-1234"), None, "-1,234"),
        (D("5"), None, "5"),
        (D("491.6666"), 2, "491.67"),
        (D("280021.333333"), 2, "280,021.33"),
        (D("339"), 2, "339.00"),
        (D("0.125"), 2, "0.13"),
        (D("0.135"), 2, "0.14"),
        (D("-0.125"), 2, "-0.13"),
        (D("-0.004"), 2, "0.00"),
        (D("2.5"), 0, "3"),
        (D("1E+3"), 1, "1,000.0"),
        (1234, None, "1,234"),
    ],
)
def test_format_decimal(value, places, text):
    assert format_decimal(value, places) == text


@pytest.mark.parametrize("value", [D("NaN"), D("Infinity")])
def test_format_decimal_refuses_non_finite_values(value):
    with pytest.raises(ValueError):
        format_decimal(value)


# Property-based.

LIMIT = 10**MAX_INTEGER_DIGITS - 1


def _storable_with(places: int):
    """Values with `places` decimals that fit the column and SQLite's 15 significant digits."""
    bound = 10 ** min(MAX_SIGNIFICANT_DIGITS, MAX_INTEGER_DIGITS + places) - 1
    return st.integers(min_value=-bound, max_value=bound).map(lambda n: D(n).scaleb(-places))


storable = st.integers(min_value=0, max_value=MAX_DECIMAL_PLACES).flatmap(_storable_with)
FULL_WIDTH = str.maketrans("0123456789,.", "０１２３４５６７８９，．")


@settings(deadline=None)
@given(value=storable)
def test_what_format_decimal_shows_parses_back_to_the_same_value(value):
    assert parse_decimal(format_decimal(value)) == value


@settings(deadline=None)
@given(value=st.integers(min_value=-LIMIT, max_value=LIMIT))
def test_whole_numbers_parse_back_from_their_formatted_text(value):
    assert parse_decimal(format_decimal(D(value))) == value


@settings(deadline=None)
@given(value=storable)
def test_full_width_and_triangle_forms_parse_to_the_same_value(value):
    shown = format_decimal(abs(value)).translate(FULL_WIDTH)
    assert parse_decimal(shown) == abs(value)
    assert parse_decimal("△" + shown) == -abs(value)


@settings(deadline=None)
@given(text=st.text())
def test_parse_decimal_raises_nothing_but_number_format_error_on_any_text(text):
    try:
        parse_decimal(text)
    except NumberFormatError:
        pass


@settings(deadline=None)
@given(text=st.text(alphabet="0123456789１２,.，．+-−－△▲＋ \u3000%％eEー"))
def test_parse_decimal_on_number_like_text_gives_a_storable_value_or_a_number_format_error(text):
    try:
        value = parse_decimal(text)
    except NumberFormatError:
        return
    if value is not None:
        _, digits, exponent = value.as_tuple()
        assert exponent >= -MAX_DECIMAL_PLACES
        assert len(digits) + exponent <= MAX_INTEGER_DIGITS
        assert len(digits) <= MAX_SIGNIFICANT_DIGITS
