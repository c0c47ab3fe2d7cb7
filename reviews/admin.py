from django.contrib import admin

from goals.admin_base import ReasonRequiredAdmin
from reviews.models import GoalEvaluation, Meeting, MeetingDocument, Opinion, PolicyDirection


class MeetingDocumentInline(admin.TabularInline):
    """The attached minutes, read-only here: a file is attached or replaced on the meeting's edit page,
    where it is checked (reviews.documents); the admin may only remove it, with the change's reason."""

    model = MeetingDocument
    fields = ["filename", "content_type", "size", "sha256", "uploaded_by", "uploaded_at"]
    readonly_fields = fields
    extra = 0
    max_num = 1
    can_delete = True

    def get_queryset(self, request):
        return super().get_queryset(request).defer("data").select_related("uploaded_by")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Meeting)
class MeetingAdmin(ReasonRequiredAdmin):
    list_display = ["name", "body", "date", "fiscal_year"]
    search_fields = ["name", "agenda", "attendees", "minutes"]
    list_filter = ["body", "fiscal_year"]
    inlines = [MeetingDocumentInline]


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
