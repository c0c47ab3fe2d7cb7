"""Template filters that show figures the same way on every page."""

import html
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from django import template
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString

from lib.fiscal import date_label, deadline_label, fiscal_year_label, fiscal_year_lines, short_date_label
from lib.negatives import triangle_negatives
from lib.numbers import MISSING, format_decimal
from lib.reasons import shown_reason

register = template.Library()


@register.filter
def fy(year) -> str:
    """2025 → 2025年度（令和7年度）."""
    return fiscal_year_label(int(year)) if year not in (None, "") else "−"


@register.filter
def day(value) -> str:
    """A date in both calendars: 2026年7月31日（令和8年7月31日）. A moment is shown as its local day."""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    return date_label(value) if value else "−"


@register.filter
def day_short(value) -> str:
    """A date without its 和暦, inside a label already long: 2026年7月31日 (31 July 2026 in English)."""
    return short_date_label(value) if value else "−"


@register.filter
def reason(stored) -> str:
    """A history row's reason in the reader's language (the application's reasons; typed ones as typed)."""
    return shown_reason(stored)


@register.simple_tag
def deadline_note(fiscal_year) -> str:
    """「2026年7月31日（令和8年7月31日）（締切まであと5日）」 for a year with a deadline, else ""."""
    if fiscal_year is None or not getattr(fiscal_year, "deadline", None):
        return ""
    today = timezone.localdate()
    overdue = fiscal_year.deadline < today and fiscal_year.state == "open"
    return format_html(
        '<span class="deadline{}">{}</span>',
        " deadline-overdue" if overdue else "",
        deadline_label(fiscal_year.deadline, today),
    )


@register.filter
def fy_short(year) -> str:
    """The same label as `fy` on two lines, for a narrow column: 2025年度<br>令和7年度 (as the chart axes)."""
    if year in (None, ""):
        return MISSING
    return format_html("{}<br>{}", *fiscal_year_lines(int(year)))


@register.filter
def num(value, places=None) -> str:
    """A Decimal with thousands separators; 「−」 when missing, never 0; 「△3」 for -3 where the strategy
    prints negatives so (lib.negatives). Not for form inputs: those keep "-3" (parse_decimal reads both)."""
    if value in (None, ""):
        return "−"
    places = None if places in (None, "") else int(places)
    return format_decimal(Decimal(value), places, triangle=triangle_negatives())


@register.filter
def rate(value) -> str:
    return "−" if value is None else f"{format_decimal(value, 1, triangle=triangle_negatives())}%"


KNOWN_GRADE_CLASSES = {"A": "a", "B+": "bplus", "B": "b", "C": "c", "−": "none"}


def grade_class(label: str) -> str:
    """A CSS class for any band label (◎, ○… too): readable for the default scale, hex otherwise."""
    return KNOWN_GRADE_CLASSES.get(label) or "x" + str(label).encode("utf-8").hex()


@register.simple_tag
def grade_badge(label, name=""):
    """A grade shows its letter (and label) as text, never colour alone."""
    css = grade_class(label)
    return format_html(
        '<span class="grade grade-{}">{}<span class="grade-name">{}</span></span>',
        css,
        label,
        f" {name}" if name else "",
    )


@register.filter
def lookup(mapping, key):
    """mapping[key] in a template, None when absent."""
    return mapping.get(key) if mapping else None


@register.simple_tag
def figure(value, places=None, unit="", prefix=""):
    """A value with its unit (and a prefix such as 平均); only 「−」 when it is missing, never 「−人」."""
    return figure_drawer(places, unit, prefix)(value)


def figure_drawer(places=None, unit="", prefix="") -> Callable[[object], str]:
    """`figure` for the values of one indicator, drawn one by one: a table's tag draws hundreds, so the
    unit and prefix are escaped and the △ setting is looked up once, not once a value."""
    places = None if places in (None, "") else int(places)
    triangle = triangle_negatives()
    head, tail = conditional_escape(prefix), format_html('<span class="unit">{}</span>', unit)

    def draw(value) -> str:
        if value in (None, ""):
            return MISSING
        return SafeString(
            f"{head}{html.escape(format_decimal(Decimal(value), places, triangle=triangle))}{tail}"
        )

    return draw
