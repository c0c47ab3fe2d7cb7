"""The dashboards' year selector (?fy=2025)."""

from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext_lazy

from goals.models import Strategy
from lib.fiscal import fiscal_year_label
from reports.dashboards.presenters import default_year


class FiscalYearForm(forms.Form):
    fy = forms.TypedChoiceField(label=gettext_lazy("年度"), coerce=int, required=False)

    def __init__(self, *args, years, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fy"].choices = [(year, fiscal_year_label(year)) for year in years]
        self.fields["fy"].error_messages["invalid_choice"] = gettext_lazy(
            "年度「%(value)s」は計画期間にありません。"
        )


def choose_year(
    request: HttpRequest, strategy: Strategy, indicators, internal: bool
) -> tuple[int, FiscalYearForm, int]:
    """The year asked for (?fy=2025); an unknown one is refused (400) and the default year shown."""
    form = FiscalYearForm(request.GET or None, years=strategy.plan_years)
    fallback = default_year(strategy, indicators, internal)
    if not form.is_bound:
        form = FiscalYearForm(initial={"fy": fallback}, years=strategy.plan_years)
        return fallback, form, 200
    if form.is_valid():
        return form.cleaned_data["fy"] or fallback, form, 200
    return fallback, form, 400
