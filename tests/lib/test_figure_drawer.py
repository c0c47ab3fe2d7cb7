"""`figure_drawer` draws many values of one indicator as `{% figure %}` draws each: held equal to Django's
format_html of the same parts, for any value, places, unit and prefix (markup included), with and without
the strategy's 「△」 setting."""

from decimal import Decimal

from django.utils import translation
from django.utils.html import format_html
from hypothesis import given
from hypothesis import strategies as st

from lib.negatives import drawing_with
from lib.numbers import MISSING, format_decimal
from lib.templatetags.figures import figure, figure_drawer

values = st.one_of(
    st.none(),
    st.just(""),
    st.decimals(min_value=-(10**14), max_value=10**14, places=4, allow_nan=False, allow_infinity=False),
)
texts = st.one_of(
    st.just(""), st.sampled_from(["人", "%", "<b>件</b>", '平均 & "合計"']), st.text(max_size=6)
)


def expected(value, places, unit, prefix, triangle: bool) -> str:
    """The figure as format_html draws it from its parts (the tag's definition)."""
    if value in (None, ""):
        return MISSING
    number = format_decimal(Decimal(value), places, triangle=triangle)
    return format_html('{}{}<span class="unit">{}</span>', prefix, number, unit)


@given(
    value=values, places=st.one_of(st.none(), st.integers(0, 3)), unit=texts, prefix=texts, on=st.booleans()
)
def test_the_drawer_draws_what_format_html_draws(value, places, unit, prefix, on):
    with translation.override("ja"), drawing_with(lambda: on):
        drawn = figure_drawer(places, unit, prefix)(value)
        assert drawn == expected(value, places, unit, prefix, triangle=on)
        assert figure(value, places, unit, prefix) == drawn
