"""Model fields every app declares the same way."""

from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

# A fiscal year is 平成元年度 (1989) or later; 2200 stops a typo such as 20255.
YEAR_VALIDATORS = [MinValueValidator(1989), MaxValueValidator(2200)]


def fiscal_year_field(verbose_name=None, **options) -> models.PositiveSmallIntegerField:
    """A fiscal year (年度, April–March) by its western first year: 2025 is 2025年度（令和7年度）."""
    return models.PositiveSmallIntegerField(verbose_name or _("年度"), validators=YEAR_VALIDATORS, **options)


def fiscal_year_form_field(**options) -> forms.IntegerField:
    """The form field for a fiscal year, with the model field's limits."""
    return forms.IntegerField(validators=YEAR_VALIDATORS, **options)


class ExactDecimalField(models.Field):
    """A Decimal kept exactly as computed, digits and exponent, on every database: stored as its text.

    For computed results (kpis.StoredResult), which must read back equal to a fresh computation, digit for
    digit: a DecimalField would round to its decimal places, and SQLite reads numbers of more than 15
    significant digits back through a float.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 64)
        super().__init__(*args, **kwargs)

    def get_internal_type(self):
        return "CharField"  # a column of text, but not text anyone typed: not a CharField to the checks

    def from_db_value(self, value, expression, connection):
        return None if value is None else Decimal(value)

    def to_python(self, value):
        if value is None or isinstance(value, Decimal):
            return value
        return Decimal(value)

    def get_prep_value(self, value):
        return None if value is None else str(value)
