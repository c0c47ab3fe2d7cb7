from django.contrib import admin

from goals.admin_base import ReasonRequiredAdmin
from goals.models import Department, Goal, Measure, Policy, Strategy, Vision


@admin.register(Strategy)
class StrategyAdmin(ReasonRequiredAdmin):
    list_display = ["code", "name", "first_year", "last_year", "baseline_year", "is_active"]
    search_fields = ["code", "name"]


@admin.register(Vision)
class VisionAdmin(ReasonRequiredAdmin):
    list_display = ["number", "theme", "title", "strategy"]
    search_fields = ["theme", "title"]


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
