"""Negative numbers as towns print them (「△3」): format_decimal's option, and the filters that follow the
strategy's setting only within a request that turned it on and only in Japanese."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from lib.negatives import drawing_with, triangle_negatives
from lib.numbers import format_decimal, parse_decimal

D = Decimal


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [
        (D(-3), None, "△3"),
        (D("-1234.5"), None, "△1,234.5"),
        (D("-0.004"), 2, "0.00"),  # rounds to zero: no sign at all
        (D("-2.345"), 2, "△2.35"),
        (D(3), None, "3"),
        (None, None, "\u2212"),  # a missing value stays 「−」
    ],
)
def test_format_decimal_writes_negatives_with_a_triangle_when_asked(value, places, text):
    assert format_decimal(value, places, triangle=True) == text


def test_format_decimal_keeps_the_ascii_minus_by_default():
    assert format_decimal(D(-3)) == "-3"


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=3))
def test_a_triangle_value_reads_back_as_the_same_number(value):
    assert parse_decimal(format_decimal(value, triangle=True)) == value


def render(text: str, **context) -> str:
    return Template("{% load figures %}" + text).render(Context(context))


def test_filters_show_a_minus_outside_a_request_that_turned_the_triangle_on():
    assert render("{{ v|num }} {{ r|rate }} {% figure v 0 '人' %}", v=D(-3), r=D("-12.5")) == (
        '-3 -12.5% -3<span class="unit">人</span>'
    )
    assert triangle_negatives() is False


def test_filters_show_a_triangle_when_the_setting_is_on_in_japanese():
    with translation.override("ja"), drawing_with(lambda: True):
        shown = render("{{ v|num }} {{ r|rate }} {% figure v 0 '人' %}", v=D(-3), r=D("-12.5"))
    assert shown == '△3 △12.5% △3<span class="unit">人</span>'


def test_english_keeps_the_minus_even_with_the_setting_on():
    with translation.override("en"), drawing_with(lambda: True):
        assert render("{{ v|num }}", v=D(-3)) == "-3"


def test_the_setting_is_looked_up_once_however_many_numbers_a_page_draws():
    calls = []

    def lookup():
        calls.append(1)
        return True

    with translation.override("ja"), drawing_with(lookup):
        assert render("{% for v in values %}{{ v|num }} {% endfor %}", values=[D(-1)] * 50).count("△") == 50
    assert len(calls) == 1
    assert triangle_negatives() is False  # the block's end restores the plain minus
