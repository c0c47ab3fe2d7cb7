"""Model fields every app declares the same way."""

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
