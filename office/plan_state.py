"""A plan's state, set by the planning office: which plan is current, and which has ended (read-only).

The current plan is the one at today's URLs (accounts.strategy): the active plan with the latest first year.
Making a plan current activates it and deactivates any active plan that starts later (a draft made current
by mistake is undone the same way, by making the earlier plan current again). An ended plan (終了) stays
browsable at /plans/<code>/ but every change to its data is refused (accounts.strategy.PlanPrefix).
Each change is one history row per plan touched, with who and why.
"""

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts import access
from goals.history import save_with_history
from goals.models import Strategy
from office.forms import reason_field

MAKE_CURRENT, CLOSE, REOPEN = "make_current", "close", "reopen"


class PlanStateForm(forms.Form):
    action = forms.ChoiceField(
        label=gettext_lazy("操作"),
        widget=forms.RadioSelect,
        choices=[
            (MAKE_CURRENT, gettext_lazy("現行の計画にする（今のURLでこの計画を表示する）")),
            (CLOSE, gettext_lazy("終了にする（閲覧のみ。実績・意見・設定の変更を受け付けない）")),
            (REOPEN, gettext_lazy("終了を取り消す（再び変更を受け付ける）")),
        ],
    )
    reason = reason_field()


def _later_active(plan: Strategy):
    return Strategy.objects.select_for_update().filter(is_active=True, first_year__gt=plan.first_year)


def change_state(plan: Strategy, action: str, *, user, reason: str) -> list[Strategy]:
    """Apply `action` to `plan`; the plans changed (none when it already was so)."""
    with transaction.atomic():
        plan = Strategy.objects.select_for_update().get(pk=plan.pk)
        changed = []
        if action == MAKE_CURRENT:
            for later in _later_active(plan):
                later.is_active = False
                changed.append(later)
            if not plan.is_active:
                plan.is_active = True
                changed.append(plan)
        elif plan.is_closed != (action == CLOSE):
            plan.is_closed = action == CLOSE
            changed.append(plan)
        for each in changed:
            save_with_history(each, user=user, reason=reason, update_fields=["is_active", "is_closed"])
        return changed


DONE = {
    MAKE_CURRENT: gettext_lazy("「%(plan)s」を現行の計画にしました。"),
    CLOSE: gettext_lazy("「%(plan)s」を終了にしました。閲覧のみできます。"),
    REOPEN: gettext_lazy("「%(plan)s」の終了を取り消しました。"),
}


@access.require(access.is_planning, "plan state")
@require_http_methods(["GET", "HEAD", "POST"])
def plan_state(request: HttpRequest, code: str) -> HttpResponse:
    plan = get_object_or_404(Strategy, code=code)
    if request.method == "POST":
        form = PlanStateForm(request.POST)
        if form.is_valid():
            action = form.cleaned_data["action"]
            if change_state(plan, action, user=request.user, reason=form.cleaned_data["reason"]):
                messages.success(request, DONE[action] % {"plan": plan.name})
            else:
                messages.info(request, _("変更はありませんでした。"))
            return redirect("office:plan_state", code=plan.code)
        status = 400
    else:
        form, status = PlanStateForm(), 200
    current = Strategy.objects.current()
    context = {"plan": plan, "form": form, "is_current": plan == current, "current": current}
    return render(request, "office/plan_state.html", context, status=status)
