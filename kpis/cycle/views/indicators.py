"""The planning office edits one indicator's metadata and explicit expected values (optimistic locking)."""

from dataclasses import dataclass, replace
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import access
from accounts.strategy import current_strategy_or_404
from kpis.cycle import services
from kpis.cycle.forms import IndicatorForm
from kpis.models import Indicator
from kpis.rules.achievement import expected_value
from kpis.rules.evaluation import spec_for
from lib.numbers import format_decimal


@dataclass
class _Edit:
    """The form to show for this indicator, with its status and, after a refused save, what differs."""

    indicator: Indicator
    form: IndicatorForm
    status: int = 200
    stale: list[tuple] | None = None
    done: bool = False


@access.require(access.can_review, "indicator_edit")
@require_http_methods(["GET", "HEAD", "POST"])
def indicator_edit(request: HttpRequest, code: str) -> HttpResponse:
    strategy = current_strategy_or_404(request)
    indicator = get_object_or_404(
        Indicator.objects.select_related("strategy", "department").prefetch_related("expected_values"),
        strategy=strategy,
        code=code,
    )
    reason_required = services.has_approved_figures(strategy)
    marker = services.indicator_marker(indicator)
    initial = IndicatorForm.initial_for(indicator, marker)
    if request.method == "POST":
        edit = _save(request, indicator, reason_required)
        if edit.done:
            messages.success(request, _("%(code)sを更新しました。") % {"code": indicator.code})
            return redirect("cycle:indicator_edit", indicator.code)
    else:
        form = IndicatorForm(initial=initial, indicator=indicator, reason_required=reason_required)
        edit = _Edit(indicator, form)
    _show_straight_line(edit.form, edit.indicator)
    expected_fields = [edit.form[f"expected_{year}"] for year in edit.form.plan_years]
    return render(
        request,
        "kpis/indicator_edit.html",
        {
            "indicator": edit.indicator,
            "form": edit.form,
            "expected_fields": expected_fields,
            "reason_required": reason_required,
            "stale": edit.stale,
        },
        status=edit.status,
    )


def _save(request: HttpRequest, indicator: Indicator, reason_required: bool) -> _Edit:
    form = IndicatorForm(request.POST, indicator=indicator, reason_required=reason_required)
    if not form.is_valid():
        return _Edit(indicator, form, status=400)
    try:
        services.indicator_update(
            user=request.user,
            indicator=indicator,
            changes=form.changes(),
            expected=form.expected(),
            marker=form.cleaned_data["marker"],
            reason=form.cleaned_data["reason"],
        )
    except services.StaleEdit:
        return _stale(request, indicator, reason_required)
    except ValidationError as error:
        _add_service_errors(form, error)
        return _Edit(indicator, form, status=400)
    return _Edit(indicator, form, done=True)


def _stale(request: HttpRequest, indicator: Indicator, reason_required: bool) -> _Edit:
    """Someone saved since the form was shown: the stored indicator, the inputs kept, what differs (409)."""
    indicator = Indicator.objects.prefetch_related("expected_values").get(pk=indicator.pk)
    stored = IndicatorForm.initial_for(indicator, services.indicator_marker(indicator))
    data = request.POST.copy()
    data["marker"] = stored["marker"]
    form = IndicatorForm(data, indicator=indicator, reason_required=reason_required)
    form.is_valid()
    stored["department"] = indicator.department
    stale = [
        (form[name].label, _shown(stored.get(name)), _shown(form.cleaned_data.get(name)))
        for name in form.fields
        if name not in ("marker", "reason") and stored.get(name) != form.cleaned_data.get(name)
    ]
    messages.error(
        request,
        _(
            "この画面を開いた後に、他の人がこの指標を更新しました。保存していません。"
            "下の比較を確認し、必要ならもう一度保存してください。"
        ),
    )
    return _Edit(indicator, form, status=409, stale=stale)


def _add_service_errors(form: IndicatorForm, error: ValidationError) -> None:
    """The service's refusal on the fields it names (unknown names and plain messages: on the form)."""
    if hasattr(error, "error_dict"):
        for field, field_errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(None, error.messages)


def _show_straight_line(form: IndicatorForm, indicator: Indicator) -> None:
    """Shown greyed in the empty inputs: what the straight line gives without an explicit value."""
    line = replace(spec_for(indicator), explicit_expected={})
    for year in form.plan_years:
        computed = expected_value(line, year)
        if computed is not None:
            form.fields[f"expected_{year}"].widget.attrs["placeholder"] = _("直線：%(value)s") % {
                "value": format_decimal(computed)
            }


def _shown(value) -> str:
    if value is None or value == "":
        return "−"
    if isinstance(value, Decimal):
        return format_decimal(value)
    return str(value)
