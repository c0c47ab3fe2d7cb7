from django.contrib import admin

from goals.admin_base import ReasonRequiredAdmin
from reviews.models import GoalEvaluation, Meeting, Opinion, PolicyDirection


@admin.register(Meeting)
class MeetingAdmin(ReasonRequiredAdmin):
    list_display = ["name", "body", "date", "fiscal_year"]
    search_fields = ["name"]
    list_filter = ["body", "fiscal_year"]


@admin.register(Opinion)
class OpinionAdmin(ReasonRequiredAdmin):
    list_display = ["fiscal_year", "meeting", "speaker", "goal", "indicator", "follow_up"]
    search_fields = ["text", "response", "speaker", "indicator__code", "goal__code"]
    list_filter = ["fiscal_year", "follow_up", "meeting"]
    list_select_related = ["meeting", "goal", "indicator"]
    raw_id_fields = ["indicator", "goal", "meeting"]


@admin.register(GoalEvaluation)
class GoalEvaluationAdmin(ReasonRequiredAdmin):
    list_display = ["goal", "fiscal_year", "updated_at"]
    search_fields = ["goal__code", "text"]


@admin.register(PolicyDirection)
class PolicyDirectionAdmin(ReasonRequiredAdmin):
    list_display = ["policy", "fiscal_year", "direction"]
    search_fields = ["policy__code", "policy__title"]
    list_filter = ["fiscal_year", "direction"]
