from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from goals.admin_base import ReasonRequiredAdmin
from goals.models import Department, Goal, Measure, Policy, Strategy, Vision


@admin.register(Strategy)
class StrategyAdmin(ReasonRequiredAdmin):
    list_display = ["code", "name", "first_year", "last_year", "baseline_year", "is_active"]
    search_fields = ["code", "name"]


class VisionForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        strategy, goals = cleaned.get("strategy"), cleaned.get("goals")
        if strategy and goals:
            others = [goal.code for goal in goals if goal.strategy_id != strategy.pk]
            if others:
                self.add_error(
                    "goals",
                    _("基本目標 %(codes)s は、この地域ビジョンの総合戦略の基本目標ではありません。")
                    % {"codes": "、".join(others)},
                )
        return cleaned


@admin.register(Vision)
class VisionAdmin(ReasonRequiredAdmin):
    form = VisionForm
    list_display = ["number", "theme", "title", "strategy", "goal_codes"]
    search_fields = ["theme", "title"]
    filter_horizontal = ["goals"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("goals")

    @admin.display(description=_("関係する基本目標"))
    def goal_codes(self, vision):
        return "、".join(goal.code for goal in vision.goals.all())


@admin.register(Goal)
class GoalAdmin(ReasonRequiredAdmin):
    list_display = ["code", "title", "strategy"]
    search_fields = ["code", "title"]
    list_filter = ["strategy"]


@admin.register(Measure)
class MeasureAdmin(ReasonRequiredAdmin):
    list_display = ["code", "title", "goal"]
    search_fields = ["code", "title"]
    list_filter = ["goal"]
    list_select_related = ["goal"]


@admin.register(Policy)
class PolicyAdmin(ReasonRequiredAdmin):
    list_display = ["code", "title", "measure", "is_digital", "reposted_from"]
    search_fields = ["code", "title"]
    list_filter = ["is_digital", "measure__goal"]
    list_select_related = ["measure", "reposted_from"]
    raw_id_fields = ["reposted_from"]


@admin.register(Department)
class DepartmentAdmin(ReasonRequiredAdmin):
    list_display = ["code", "name", "order"]
    search_fields = ["code", "name"]
    filter_horizontal = ["members"]
