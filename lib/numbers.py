"""Numbers as staff type them (１，２３４．５, △12, −3, 120人) and as the review shows them (277,835, −)."""

import math
import re
import unicodedata
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, ROUND_HALF_UP, Context, Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from lib.text import CONTROL_CHARACTERS

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
    """Text that is not a number staff may enter; str() is the message to show them, in plain Japanese."""


MAX_QUOTED = 40  # characters of what was typed that a message repeats
MAX_UNIT_LENGTH = 8  # a longer text after a number is not taken for a unit (人／年, 百万円, ％)


def parse_decimal(text: str | int | Decimal | None, *, unit: str | None = None) -> Decimal | None:
    """The number staff typed, without trailing fractional zeros; None for an empty cell.

    unit: the indicator's own unit (人, ％, 百万円…). A text may end with it, as figures are copied from
    documents ("120人", "１２０ 人", "△3人", "45.5％" for a ％ indicator); any other text after the
    number ("120件" for a 人 indicator) is refused with a message naming the unit expected. Without a
    unit, only the number itself is read.

    Raises NumberFormatError (only) for anything else, its message saying what was typed and what to do.
    A float, as spreadsheet cells arrive, is read as its shortest repr (0.1, not 0.1000000000000000055…).
    """
    if text is None:
        return None
    if isinstance(text, str):
        return _parse_text(text, (unit or "").strip())
    return _parse_cell_value(text)


def _parse_cell_value(value: object) -> Decimal:
    """A number a spreadsheet cell holds as a number (int, float, Decimal), within the limits."""
    if isinstance(value, int) and not isinstance(value, bool):
        return _within_limits(Decimal(value))
    if isinstance(value, float) and math.isfinite(value):
        return _within_limits(Decimal(repr(value)))
    if isinstance(value, Decimal) and value.is_finite():
        return _within_limits(value)
    raise NumberFormatError(_unreadable(str(value), ""))


def _parse_text(text: str, unit: str) -> Decimal | None:
    """A number as staff type it (full-width digits, △ or − for minus, thousands commas, the indicator's
    unit after it); None if empty."""
    typed = text.strip()
    if not typed:
        return None
    number = _without_unit(typed, unit)
    if not number:
        raise NumberFormatError(
            _(
                "「%(typed)s」だけでは数値がありません。"
                "数字を入力してください（単位「%(unit)s」は付けても付けなくてもかまいません）。"
            )
            % {"typed": _quoted(typed), "unit": unit}
        )
    if "ー" in number:
        raise NumberFormatError(
            _("「%(typed)s」の「ー」は長音の記号です。マイナスは「-」「−」「△」で入力してください。")
            % {"typed": _quoted(typed)}
        )
    match = _NUMBER.fullmatch(number.translate(_TO_ASCII))
    if match is None:
        raise NumberFormatError(_unreadable(typed, unit, number))
    if match["integer"] and not _GROUPED.fullmatch(match["integer"]):
        raise NumberFormatError(
            _(
                "「%(typed)s」の「,」の位置が違います。「,」は3桁ごとの区切りにだけ使えます"
                "（小数点は「.」で入力してください）。"
            )
            % {"typed": _quoted(typed)}
        )
    integer = (match["integer"] or "0").replace(",", "")
    fraction = match["fraction"] or "0"
    return _within_limits(Decimal(f"{match['sign']}{integer}.{fraction}"), typed)


def _without_unit(typed: str, unit: str) -> str:
    """The typed text without the unit at its end, compared as NFKC (％ and %, 人／年 and 人/年 are one)."""
    if not unit:
        return typed
    wanted = _folded(unit)
    for length in range(1, min(len(typed), 2 * len(unit) + 2) + 1):
        if _folded(typed[-length:]) == wanted:
            return typed[:-length].rstrip()
    return typed


def _folded(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def _unit_after_number(number: str) -> str | None:
    """The text after a number when it looks like a unit ("件" of "120件", "km" of "3km"); else None.

    A unit is a short word: no digit, sign, separator, space or bracket ("120 (見込み)" is no unit).
    """
    ascii_text = number.translate(_TO_ASCII)
    match = _NUMBER.match(ascii_text)
    if match is None:
        return None
    rest = ascii_text[match.end() :].strip()
    if not rest or len(rest) > MAX_UNIT_LENGTH or any(_not_in_a_unit(character) for character in rest):
        return None
    return number[match.end() :].strip()


def _not_in_a_unit(character: str) -> bool:
    category = unicodedata.category(character)
    return character.isdigit() or character in "+-.," or category in ("Zs", "Ps", "Pe") or category[0] == "C"


def _unreadable(typed: str, unit: str, number: str | None = None) -> str:
    """The message for a text that is not a number; another unit after a number is named as such."""
    other_unit = _unit_after_number(number) if number is not None else None
    shown = {"typed": _quoted(typed), "unit": unit, "other": _quoted(other_unit or "")}
    if other_unit and unit:
        return (
            _(
                "「%(typed)s」は単位が違います（この指標の単位は「%(unit)s」です）。"
                "数字だけで入力するか、「%(unit)s」を付けて入力してください。"
            )
            % shown
        )
    if other_unit:
        return (
            _("「%(typed)s」は数値として読めません。「%(other)s」を付けずに、数字だけで入力してください。")
            % shown
        )
    if unit:
        return (
            _(
                "「%(typed)s」は数値として読めません。"
                "数字だけ（単位「%(unit)s」は付けても付けなくてもかまいません）で入力してください。"
            )
            % shown
        )
    return _("「%(typed)s」は数値として読めません。数字だけで入力してください。") % shown


def _quoted(text: str) -> str:
    """What was typed as a message repeats it: on one line, control characters as [U+XXXX], not too long."""
    text = CONTROL_CHARACTERS.sub(lambda match: f"[U+{ord(match.group()):04X}]", text)
    text = " ".join(text.split())
    return text if len(text) <= MAX_QUOTED else text[: MAX_QUOTED - 1] + "…"


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


def _within_limits(value: Decimal, typed: str | None = None) -> Decimal:
    """The value, canonical, if the columns keep it exactly; typed: the text a message repeats."""
    shown = {"typed": _quoted(typed if typed is not None else _plain(value))}
    value = _canonical(value)
    _sign, digits, exponent = value.as_tuple()
    if len(digits) + exponent > MAX_INTEGER_DIGITS:
        raise NumberFormatError(
            _("「%(typed)s」は大きすぎます。整数部は%(limit)s桁までです。")
            % {**shown, "limit": MAX_INTEGER_DIGITS}
        )
    if -exponent > MAX_DECIMAL_PLACES:
        raise NumberFormatError(
            _("「%(typed)s」は小数点以下が長すぎます。小数点以下は%(limit)s桁までです。")
            % {**shown, "limit": MAX_DECIMAL_PLACES}
        )
    if len(digits) > MAX_SIGNIFICANT_DIGITS and not value.is_zero():
        raise NumberFormatError(
            _(
                "「%(typed)s」は桁が多すぎて正確に保存できません。"
                "数字は整数部と小数部を合わせて%(limit)s桁までです。"
            )
            % {**shown, "limit": MAX_SIGNIFICANT_DIGITS}
        )
    return value


def _plain(value: Decimal) -> str:
    """A cell's number as a message repeats it: written out (1E+14 as 100000000000000) unless huge."""
    return format(value, "f") if abs(value.adjusted()) <= MAX_QUOTED else str(value)


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


def format_decimal(value: Decimal | None, places: int | None = None, *, triangle: bool = False) -> str:
    """The value with thousands separators, "−" when missing.

    places=None shows the value's own decimals without trailing zeros; places=n rounds half up to n.
    A negative value starts with the ASCII "-", which keeps it distinct from the "−" of a missing one and
    reads back through parse_decimal; triangle=True writes it 「△3」 instead, as towns print negatives
    (parse_decimal reads that back too).
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
    if triangle and shown.is_signed():
        return "△" + format(shown.copy_abs(), ",f")
    return format(shown, ",f")
