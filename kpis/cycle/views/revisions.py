"""The planning office's mid-term revision of one indicator (services: kpis/cycle/revisions.py)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts import access
from accounts.strategy import current_strategy_or_404
from kpis.cycle.forms import NumberField
from kpis.cycle.revisions import indicator_revise
from kpis.models import Indicator
from lib.forms import TextField
from lib.numbers import NumberFormatError, parse_decimal

YEARS = ("from_year", "baseline_year", "target_year")


class RevisionForm(forms.Form):
    from_year = forms.TypedChoiceField(
        label=gettext_lazy("適用する年度（この年度から新しい値で評価）"), coerce=int
    )
    name = TextField(label=gettext_lazy("名称（指標の定義）"), max_length=300)
    unit = TextField(label=gettext_lazy("単位"), max_length=30, required=False)
    baseline_year = forms.IntegerField(
        label=gettext_lazy("基準年度"), required=False, min_value=1900, max_value=2200
    )
    baseline_value = NumberField(label=gettext_lazy("基準値"))
    target_year = forms.IntegerField(
        label=gettext_lazy("目標年度"), required=False, min_value=1900, max_value=2200
    )
    target_value = NumberField(label=gettext_lazy("目標値"))
    reason = TextField(
        label=gettext_lazy("見直しの理由（必須）"),
        max_length=200,
        error_messages={"required": gettext_lazy("見直しの理由を入力してください。")},
    )

    def __init__(self, *args, indicator: Indicator, **kwargs):
        super().__init__(*args, **kwargs)
        strategy = indicator.strategy
        self.fields["from_year"].choices = [
            (year, _("%(year)s年度から") % {"year": year}) for year in strategy.plan_years[1:]
        ]
        for name in ("baseline_year", "target_year"):
            self.fields[name].widget.input_type = "text"
            self.fields[name].widget.attrs.update({"inputmode": "numeric", "class": "year-input"})
            self.fields[name].error_messages["invalid"] = _("半角の整数で入力してください。")

    def full_clean(self):
        # Years typed in full width (２０２６) are read as staff type them.
        if self.is_bound:
            data = self.data.copy()
            for name in ("baseline_year", "target_year"):
                try:
                    number = parse_decimal(data.get(name, ""))
                except NumberFormatError:
                    continue
                if number is not None and number == number.to_integral_value():
                    data[name] = str(int(number))
            self.data = data
        super().full_clean()

    def changes(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in ("name", "unit", "baseline_year", "baseline_value", "target_year", "target_value")
        }


def _initial(indicator: Indicator) -> dict:
    return {
        name: getattr(indicator, name)
        for name in ("name", "unit", "baseline_year", "baseline_value", "target_year", "target_value")
    }


@access.require(access.can_review, "indicator_revise")
@require_http_methods(["GET", "HEAD", "POST"])
def indicator_revise_view(request: HttpRequest, code: str) -> HttpResponse:
    strategy = current_strategy_or_404(request)
    indicator = get_object_or_404(Indicator.objects.select_related("strategy"), strategy=strategy, code=code)
    if request.method == "POST":
        form = RevisionForm(request.POST, indicator=indicator)
        if form.is_valid():
            try:
                indicator_revise(
                    user=request.user,
                    indicator=indicator,
                    from_year=form.cleaned_data["from_year"],
                    changes=form.changes(),
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(
                    request,
                    _("%(code)sを%(year)s年度から見直しました。")
                    % {"code": code, "year": form.cleaned_data["from_year"]},
                )
                return redirect("dashboards:indicator", code)
        status = 400
    else:
        form, status = RevisionForm(initial=_initial(indicator), indicator=indicator), 200
    revisions = indicator.revisions.select_related("revised_by").order_by("from_year")
    context = {"indicator": indicator, "form": form, "revisions": revisions}
    return render(request, "kpis/indicator_revise.html", context, status=status)


def _add_errors(form: RevisionForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)
