"""Every value the app accepts is read back exactly, on SQLite and on PostgreSQL; the rest is refused.

SQLite keeps a non-integer NUMERIC as a float: 15 significant digits. Before the limit, 99999999999999.99
was accepted and then broke every page that read it, and 12345678901234.567891 came back rounded.
"""

import io
from decimal import Decimal

from django.core.management import call_command
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from goals.models import Department, Goal, Strategy
from kpis.models import ActualValue, ExpectedValue, Indicator, Kind
from lib.numbers import NumberFormatError, format_decimal, parse_decimal

FULL_WIDTH = str.maketrans("0123456789,.-", "０１２３４５６７８９，．△")

# Up to 22 digits with up to 8 decimals: inside and well outside what the columns and SQLite keep.
numbers = st.tuples(
    st.integers(min_value=-(10**22), max_value=10**22), st.integers(min_value=0, max_value=8)
).map(lambda pair: Decimal(pair[0]).scaleb(-pair[1]))
typed = st.one_of(
    numbers.map(lambda value: format(value, "f")),
    numbers.map(lambda value: format(value, ",f")),
    numbers.map(lambda value: format(value, ",f").translate(FULL_WIDTH)),
)


class StoredValuesReadBackExactly(TestCase):
    @classmethod
    def setUpTestData(cls):
        strategy = Strategy.objects.create(
            code="store",
            name="保存の確認",
            first_year=2025,
            last_year=2027,
            baseline_year=2024,
            is_active=True,
        )
        goal = Goal.objects.create(strategy=strategy, code="G1", number=1, title="目標")
        cls.indicator = Indicator.objects.create(
            strategy=strategy,
            code="G1-KGI1",
            kind=Kind.KGI,
            goal=goal,
            name="指標",
            department=Department.objects.create(code="d", name="課"),
        )

    @settings(deadline=None, max_examples=150)
    @given(text=typed)
    @example(text="99999999999999.99")
    @example(text="12345678901234.567891")
    @example(text="12345678901234.5")
    @example(text="△0.000001")
    @example(text="99,999,999,999,999.9")
    def test_an_accepted_value_is_read_back_exactly_in_every_value_column(self, text):
        try:
            value = parse_decimal(text)
        except NumberFormatError:
            return
        ActualValue.objects.update_or_create(
            indicator=self.indicator, fiscal_year=2025, defaults={"value": value}
        )
        ExpectedValue.objects.update_or_create(
            indicator=self.indicator, fiscal_year=2025, defaults={"value": value}
        )
        Indicator.objects.filter(pk=self.indicator.pk).update(baseline_value=value, target_value=value)

        stored = [
            ActualValue.objects.get(indicator=self.indicator, fiscal_year=2025).value,
            ExpectedValue.objects.get(indicator=self.indicator, fiscal_year=2025).value,
            *Indicator.objects.filter(pk=self.indicator.pk)
            .values_list("baseline_value", "target_value")
            .get(),
        ]
        assert stored == [value] * 4, (text, stored)
        assert all(parse_decimal(format_decimal(v)) == value for v in stored)

    def test_a_value_at_the_limit_is_exported_as_it_was_typed(self):
        value = parse_decimal("99,999,999,999,999.9")
        ActualValue.objects.create(indicator=self.indicator, fiscal_year=2025, value=value)
        output = io.StringIO()
        call_command("export_indicators", "--format", "csv", stdout=output)
        assert "99999999999999.9" in output.getvalue()
