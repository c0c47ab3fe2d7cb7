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


def test_the_message_names_what_was_typed_and_says_what_to_do_in_plain_japanese():
    with pytest.raises(NumberFormatError) as caught:
        parse_decimal("abc")
    assert str(caught.value) == "「abc」は数値として読めません。数字だけで入力してください。"


@pytest.mark.parametrize(
    "text",
    ["abc", "12円", "80%", "1ー2", "12,5", "123456789012345", "1.1234567", "99999999999999.99", "1\x1b2"],
)
@pytest.mark.parametrize("unit", [None, "人"])
def test_no_message_shows_a_python_repr(text, unit):
    with pytest.raises(NumberFormatError) as caught:
        parse_decimal(text, unit=unit)
    message = str(caught.value)
    assert message.startswith("「") and "」" in message and message.endswith("。")
    assert "'" not in message and "\\x" not in message


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        (D("1E+14"), "「100000000000000」"),
        (10**14, "「100000000000000」"),
        (True, "「True」"),
        (D("NaN"), "「NaN」"),
    ],
)
def test_a_spreadsheet_number_is_quoted_as_written_out_not_as_its_repr(value, quoted):
    with pytest.raises(NumberFormatError) as caught:
        parse_decimal(value)
    assert str(caught.value).startswith(quoted) and "Decimal(" not in str(caught.value)


@pytest.mark.parametrize("text", ["80%", "80％", "８０％ ", "12.5 %"])
def test_a_percent_sign_is_refused_without_a_unit_and_named_in_the_message(text):
    with pytest.raises(NumberFormatError, match="を付けずに、数字だけで入力してください"):
        parse_decimal(text)


# The indicator's own unit after the number.


@pytest.mark.parametrize(
    ("text", "unit", "value"),
    [
        ("120人", "人", D("120")),
        ("120 人", "人", D("120")),
        ("１２０人", "人", D("120")),
        ("１２０\u3000人", "人", D("120")),
        ("  １，２００ 人 ", "人", D("1200")),
        ("△3人", "人", D("-3")),
        ("△ 3 人", "人", D("-3")),
        ("−3人", "人", D("-3")),
        ("45.5％", "％", D("45.5")),
        ("45.5%", "％", D("45.5")),
        ("４５．５ ％", "％", D("45.5")),
        ("3,200千人", "千人", D("3200")),
        ("568人／年", "人／年", D("568")),
        ("568人/年", "人／年", D("568")),
        ("277,835百万円", "百万円", D("277835")),
        ("560g", "g", D("560")),
        ("560ｇ", "g", D("560")),
        ("560G", "g", D("560")),
        ("120", "人", D("120")),
        ("12.5", "％", D("12.5")),
    ],
)
def test_a_value_may_end_with_the_indicators_own_unit(text, unit, value):
    assert parse_decimal(text, unit=unit) == value


@pytest.mark.parametrize("unit", [None, "", "  "])
def test_without_a_unit_nothing_after_the_number_is_accepted(unit):
    assert parse_decimal("120", unit=unit) == D("120")
    with pytest.raises(NumberFormatError, match="「120人」は数値として読めません。「人」を付けずに"):
        parse_decimal("120人", unit=unit)


@pytest.mark.parametrize(
    ("text", "unit"),
    [("120件", "人"), ("120 件", "人"), ("120千人", "人"), ("80%", "人"), ("3人", "千人"), ("5kg", "g")],
)
def test_another_unit_is_refused_with_a_message_naming_the_indicators_unit(text, unit):
    with pytest.raises(NumberFormatError) as caught:
        parse_decimal(text, unit=unit)
    assert str(caught.value) == (
        f"「{text}」は単位が違います（この指標の単位は「{unit}」です）。"
        f"数字だけで入力するか、「{unit}」を付けて入力してください。"
    )


@pytest.mark.parametrize("text", ["人", " 人 ", "\u3000人", "△人", "人人", "約120人", "120人です"])
def test_the_unit_without_a_number_is_refused_not_read_as_an_empty_cell(text):
    with pytest.raises(NumberFormatError, match="人"):
        parse_decimal(text, unit="人")


def test_the_unit_alone_is_told_there_is_no_number():
    with pytest.raises(NumberFormatError) as caught:
        parse_decimal("人", unit="人")
    assert str(caught.value) == (
        "「人」だけでは数値がありません。数字を入力してください（単位「人」は付けても付けなくてもかまいません）。"
    )


def test_text_that_is_no_number_is_told_the_unit_may_be_typed_or_not():
    with pytest.raises(NumberFormatError) as caught:
        parse_decimal("たくさん", unit="人")
    assert str(caught.value) == (
        "「たくさん」は数値として読めません。数字だけ（単位「人」は付けても付けなくてもかまいません）で入力してください。"
    )


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("12,5人", "3桁ごとの区切り"),
        ("ー12人", "「ー」は長音"),
        ("123456789012345人", f"整数部は{MAX_INTEGER_DIGITS}桁まで"),
        ("1.1234567人", f"小数点以下は{MAX_DECIMAL_PLACES}桁まで"),
        ("99999999999999.99人", f"{MAX_SIGNIFICANT_DIGITS}桁まで"),
    ],
)
def test_the_number_before_the_unit_follows_the_same_rules(text, match):
    with pytest.raises(NumberFormatError, match=match) as caught:
        parse_decimal(text, unit="人")
    assert str(caught.value).startswith(f"「{text}」")


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("1\x002人", "「1[U+0000]2人」"),
        ("1\x1b人", "「1[U+001B]人」"),
        ("1\u20282人", "「1[U+2028]2人」"),
        ("<script>alert(1)</script>人", "「<script>alert(1)</script>人」"),
        ("1\n2人", "「1 2人」"),
        ("x" * 100, "「" + "x" * 39 + "…」"),
    ],
)
def test_a_message_quotes_control_characters_visibly_on_one_line_and_cuts_long_text(text, quoted):
    with pytest.raises(NumberFormatError) as caught:
        parse_decimal(text, unit="人")
    assert str(caught.value).startswith(quoted)


def test_parse_decimal_keeps_its_positional_signature():
    assert parse_decimal("１２") == D("12")
    with pytest.raises(TypeError):
        parse_decimal("12", "人")  # the unit is keyword-only


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


@settings(deadline=None)
@given(text=st.text(), unit=st.sampled_from(["人", "％", "百万円", "人／年", "g", "千人", ""]))
def test_parse_decimal_with_a_unit_raises_nothing_but_number_format_error_on_any_text(text, unit):
    try:
        parse_decimal(text, unit=unit)
    except NumberFormatError:
        pass


@settings(deadline=None)
@given(value=storable, unit=st.sampled_from(["人", "％", "百万円", "人／年", "g", "千人"]))
def test_a_formatted_value_followed_by_its_unit_parses_back_to_the_same_value(value, unit):
    assert parse_decimal(format_decimal(value) + unit, unit=unit) == value
    assert parse_decimal(format_decimal(value) + " " + unit, unit=unit) == value
