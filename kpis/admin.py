from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from kpis.models import ActualValue, ExpectedValue, FiscalYear, GradeBand, Indicator, Placement, Submission


class PlacementInline(admin.TabularInline):
    model = Placement
    extra = 0
    raw_id_fields = ["policy"]


class ExpectedValueInline(admin.TabularInline):
    model = ExpectedValue
    extra = 0


@admin.register(Indicator)
class IndicatorAdmin(SimpleHistoryAdmin):
    list_display = ["code", "kind", "name", "unit", "direction", "aggregation", "department"]
    search_fields = ["code", "name"]
    list_filter = ["kind", "direction", "aggregation", "goal", "department"]
    list_select_related = ["department"]
    inlines = [PlacementInline, ExpectedValueInline]


@admin.register(ActualValue)
class ActualValueAdmin(SimpleHistoryAdmin):
    list_display = ["indicator", "fiscal_year", "value", "status", "entered_by", "entered_at"]
    search_fields = ["indicator__code", "indicator__name"]
    list_filter = ["fiscal_year", "status"]
    list_select_related = ["indicator", "entered_by"]
    raw_id_fields = ["indicator"]


@admin.register(ExpectedValue)
class ExpectedValueAdmin(SimpleHistoryAdmin):
    list_display = ["indicator", "fiscal_year", "value"]
    search_fields = ["indicator__code", "indicator__name"]
    list_select_related = ["indicator"]


@admin.register(GradeBand)
class GradeBandAdmin(SimpleHistoryAdmin):
    list_display = ["label", "name", "lower_bound", "description", "colour", "strategy"]
    search_fields = ["label", "name"]


@admin.register(FiscalYear)
class FiscalYearAdmin(SimpleHistoryAdmin):
    list_display = ["year", "state", "strategy"]
    search_fields = ["year"]


@admin.register(Submission)
class SubmissionAdmin(SimpleHistoryAdmin):
    list_display = ["department", "fiscal_year", "state", "submitted_at", "reviewed_at"]
    search_fields = ["department__code", "department__name"]
    list_filter = ["fiscal_year", "state"]


@admin.register(Placement)
class PlacementAdmin(admin.ModelAdmin):
    list_display = ["policy", "indicator", "is_repost"]
    search_fields = ["policy__code", "indicator__code", "indicator__name"]
    list_select_related = ["policy", "indicator"]
