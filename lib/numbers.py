"""Numbers as staff type them (１，２３４．５, △12, −3) and as the review shows them (277,835, −)."""

import math
import re
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, ROUND_HALF_UP, Context, Decimal

from django.core.exceptions import ValidationError

MISSING = "\u2212"  # 「−」: not yet collected, never shown as 0

# The value columns are DecimalField(max_digits=20, decimal_places=6): 14 digits before the point.
MAX_INTEGER_DIGITS = 14
MAX_DECIMAL_PLACES = 6
# SQLite keeps a non-integer NUMERIC as a 64-bit float, exact to 15 significant digits: a value with more
# would be stored rounded (and 99999999999999.99 would come back as 1E+14, too wide for the column).
# PostgreSQL stores numeric exactly; one limit for both keeps every accepted value exact on either.
MAX_SIGNIFICANT_DIGITS = 15

_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)

# An explicit table rather than NFKC, which would also turn ① or ² into digits.
_TO_ASCII = str.maketrans(
    {
        **{chr(ord("０") + digit): str(digit) for digit in range(10)},
        "，": ",",
        "．": ".",
        "＋": "+",
        "\uff0d": "-",  # －
        "\u2212": "-",  # −
        "△": "-",
        "▲": "-",
        "\u3000": " ",
    }
)
_NUMBER = re.compile(r"(?P<sign>[+-]?)\s*(?=\.?\d)(?P<integer>[\d,]+)?(?:\.(?P<fraction>\d*))?", re.ASCII)
# Thousands separators only between groups of three: "1,234" and "12,345,678", never "12,5" or "1,2,3".
_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+|\d+", re.ASCII)


class NumberFormatError(ValueError):
    """Text that is not a number staff may enter; str() is the message to show them."""


def parse_decimal(text: str | int | Decimal | None) -> Decimal | None:
    """The number staff typed, without trailing fractional zeros; None for an empty cell.

    Raises NumberFormatError (only) for anything else. A float, as spreadsheet cells arrive, is read as
    its shortest repr (0.1, not 0.1000000000000000055…).
    """
    if text is None:
        return None
    if isinstance(text, str):
        return _parse_text(text)
    return _parse_cell_value(text)


def _parse_cell_value(value: object) -> Decimal:
    """A number a spreadsheet cell holds as a number (int, float, Decimal), within the limits."""
    if isinstance(value, bool):
        raise NumberFormatError(f"数値として読めません: {value!r}")
    if isinstance(value, int):
        return _within_limits(Decimal(value), value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise NumberFormatError(f"数値として読めません: {value!r}")
        return _within_limits(Decimal(repr(value)), value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise NumberFormatError(f"数値として読めません: {value!r}")
        return _within_limits(value, value)
    raise NumberFormatError(f"数値として読めません: {type(value).__name__}")


def _parse_text(text: str) -> Decimal | None:
    """A number as staff type it (full-width digits, △ or − for minus, thousands commas); None if empty."""
    stripped = text.strip()
    if not stripped:
        return None
    if stripped[-1] in "%％":
        raise NumberFormatError(f"単位（％）を付けずに数値だけを入力してください: {text!r}")
    if "ー" in stripped:
        raise NumberFormatError(f"マイナスは「-」「−」「△」で入力してください（「ー」は長音です）: {text!r}")
    match = _NUMBER.fullmatch(stripped.translate(_TO_ASCII))
    if match is None:
        raise NumberFormatError(f"数値として読めません: {text!r}")
    if match["integer"] and not _GROUPED.fullmatch(match["integer"]):
        raise NumberFormatError(
            f"「,」は3桁ごとの区切りにだけ使えます（小数点は「.」で入力してください）: {text!r}"
        )
    integer = (match["integer"] or "0").replace(",", "")
    fraction = match["fraction"] or "0"
    return _within_limits(Decimal(f"{match['sign']}{integer}.{fraction}"), text)


def _canonical(value: Decimal) -> Decimal:
    """The same value without trailing fractional zeros or a positive exponent (1.50 → 1.5, 1E+3 → 1000)."""
    if value.is_zero():
        return Decimal(0)
    sign, digits, exponent = value.as_tuple()
    while exponent < 0 and digits[-1] == 0:
        digits, exponent = digits[:-1], exponent + 1
    if exponent > 0:
        digits, exponent = digits + (0,) * exponent, 0
    return Decimal((sign, digits, exponent))


def _within_limits(value: Decimal, shown: object) -> Decimal:
    value = _canonical(value)
    _, digits, exponent = value.as_tuple()
    if len(digits) + exponent > MAX_INTEGER_DIGITS:
        raise NumberFormatError(f"整数部は{MAX_INTEGER_DIGITS}桁までです: {shown!r}")
    if -exponent > MAX_DECIMAL_PLACES:
        raise NumberFormatError(f"小数点以下は{MAX_DECIMAL_PLACES}桁までです: {shown!r}")
    if len(digits) > MAX_SIGNIFICANT_DIGITS and not value.is_zero():
        raise NumberFormatError(
            f"数字は整数部と小数部を合わせて{MAX_SIGNIFICANT_DIGITS}桁までです"
            f"（それより長い値は正確に保存できません）: {shown!r}"
        )
    return value


def validate_storable(value: Decimal | None) -> None:
    """Django validator of a value column: refuses what the database could not keep exactly.

    The forms and imports read numbers with parse_decimal, which applies the same limits; this guards the
    admin and any other ModelForm.
    """
    if value is None:
        return
    try:
        _parse_cell_value(value)
    except NumberFormatError as error:
        raise ValidationError(str(error), code="not_storable") from error


def format_decimal(value: Decimal | None, places: int | None = None) -> str:
    """The value with thousands separators, "−" when missing.

    places=None shows the value's own decimals without trailing zeros; places=n rounds half up to n.
    A negative value starts with the ASCII "-", which keeps it distinct from the "−" of a missing one and
    reads back through parse_decimal.
    """
    if value is None:
        return MISSING
    value = Decimal(value)
    if not value.is_finite():
        raise ValueError(f"Cannot format {value!r}.")
    if places is None:
        shown = _canonical(value)
    elif places < 0:
        raise ValueError("places must not be negative.")
    else:
        shown = value.quantize(Decimal((0, (1,), -places)), rounding=ROUND_HALF_UP, context=_EXACT)
    if shown.is_zero():
        shown = shown.copy_abs()  # no "-0.00"
    return format(shown, ",f")
