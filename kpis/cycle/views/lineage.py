"""The planning office links an indicator to the one it continues in an earlier plan, and adopts the
earlier indicator's last approved actual as its baseline (the page: reports/dashboards/lineage.py).

Both write through services.indicator_update: the indicator's row lock, its validation (an earlier plan's
indicator only), one history row with who and why, the stored results refreshed.
"""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts import access
from accounts.strategy import current_strategy_or_404
from goals.history import REASON_MAX_LENGTH
from kpis.cycle import services
from kpis.models import ActualValue, Indicator
from lib.forms import TextField
from lib.numbers import format_decimal


class LinkForm(forms.Form):
    indicator = forms.CharField(label=gettext_lazy("この計画の指標（コード）"), max_length=30)
    continues = forms.IntegerField(label=gettext_lazy("継続元の指標"), required=False)
    reason = TextField(label=gettext_lazy("変更の理由（必須）"), max_length=REASON_MAX_LENGTH)


class BaselineForm(forms.Form):
    indicator = forms.CharField(max_length=30)
    # The baseline the page showed: a baseline changed since then is not overwritten unseen.
    was_year = forms.IntegerField(required=False)
    was_value = forms.DecimalField(required=False, max_digits=20, decimal_places=6)
    reason = TextField(label=gettext_lazy("変更の理由（必須）"), max_length=REASON_MAX_LENGTH)


def _back(request: HttpRequest) -> HttpResponse:
    earlier = request.POST.get("from", "")
    return redirect(reverse("dashboards:lineage") + (f"?from={earlier}" if earlier.isidentifier() else ""))


def _refused(request: HttpRequest, form: forms.Form) -> HttpResponse:
    errors = [
        f"{form.fields[name].label if name in form.fields else ''}: {' '.join(e)}"
        for name, e in form.errors.items()
    ]
    return render(request, "kpis/lineage_refused.html", {"errors": errors}, status=400)


@access.require(access.can_review, "lineage")
@require_POST
def lineage_link(request: HttpRequest) -> HttpResponse:
    strategy = current_strategy_or_404(request)
    form = LinkForm(request.POST)
    if not form.is_valid():
        return _refused(request, form)
    indicator = Indicator.objects.filter(strategy=strategy, code=form.cleaned_data["indicator"]).first()
    if indicator is None:
        form.add_error("indicator", _("この計画にその指標はありません。"))
        return _refused(request, form)
    earlier = None
    if form.cleaned_data["continues"] is not None:
        earlier = (
            Indicator.objects.select_related("strategy").filter(pk=form.cleaned_data["continues"]).first()
        )
        if earlier is None:
            form.add_error("continues", _("継続元の指標が見つかりません。"))
            return _refused(request, form)
    try:
        services.indicator_update(
            user=request.user,
            indicator=indicator,
            changes={"continues": earlier},
            expected={},
            marker=services.indicator_marker(indicator),
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as error:
        for message in error.messages:
            form.add_error(None, message)
        return _refused(request, form)
    messages.success(request, _("%(code)sの継続元を保存しました。") % {"code": indicator.code})
    return _back(request)


def last_approved(indicator: Indicator) -> ActualValue | None:
    return (
        ActualValue.objects.filter(
            indicator=indicator, value__isnull=False, status=ActualValue.Status.APPROVED
        )
        .order_by("-fiscal_year")
        .first()
    )


@access.require(access.can_review, "lineage")
@require_POST
def lineage_baseline(request: HttpRequest) -> HttpResponse:
    strategy = current_strategy_or_404(request)
    form = BaselineForm(request.POST)
    if not form.is_valid():
        return _refused(request, form)
    indicator = Indicator.objects.filter(strategy=strategy, code=form.cleaned_data["indicator"]).first()
    last = last_approved(indicator.continues) if indicator and indicator.continues else None
    if last is None:
        form.add_error("indicator", _("継続元の指標に承認済みの実績がないため、基準値を提案できません。"))
        return _refused(request, form)
    shown = (form.cleaned_data["was_year"], form.cleaned_data["was_value"])
    if shown != (indicator.baseline_year, indicator.baseline_value):
        messages.error(request, _("この画面を開いた後に基準値が変更されました。保存していません。"))
        return _back(request)
    services.indicator_update(
        user=request.user,
        indicator=indicator,
        changes={"baseline_year": last.fiscal_year, "baseline_value": Decimal(last.value)},
        expected={},
        marker=services.indicator_marker(indicator),
        reason=form.cleaned_data["reason"],
    )
    messages.success(
        request,
        _("%(code)sの基準値を%(year)s年度の%(value)sにしました。")
        % {"code": indicator.code, "year": last.fiscal_year, "value": format_decimal(last.value)},
    )
    return _back(request)
