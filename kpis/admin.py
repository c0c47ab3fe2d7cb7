"""The admin of indicators and figures: every change with a reason, and nothing of a locked year.

A fiscal year that is 確定（ロック） cannot be changed by anyone, the admin included, until the planning
office reopens it with a reason on /fiscal-years/: its actual values, expected values and submissions show
read-only here, a form that would write into it is refused with a message, and a deletion that would remove
any of them (a whole indicator or strategy) is refused, as the admin refuses what one may not delete. Fiscal years themselves change state
on /fiscal-years/ only, where the transitions and the reason for reopening are checked.

A figure saved here starts its department's submission (未入力 → 入力中) by the same step as the entry
screen and the imports (kpis.cycle.services.submission_start), so the review's states and counts agree.
"""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from goals.admin_base import ReasonRequiredAdmin
from kpis.cycle import services
from kpis.models import (
    ActualValue,
    CycleSettings,
    ExpectedValue,
    FiscalYear,
    GradeBand,
    Indicator,
    Placement,
    SentMail,
    Submission,
)
from lib.fiscal import fiscal_year_label

LOCKED_MESSAGE = _(
    "%(year)sは確定（ロック）されているため変更できません。"
    "変更が必要なときは「年度の受付・締切・確定」で理由を入力して年度を再開してください。"
)


def _strategy_id(obj) -> int | None:
    """The strategy a year-bound value belongs to (through its indicator for the figures)."""
    if getattr(obj, "strategy_id", None) is not None:
        return obj.strategy_id
    if getattr(obj, "indicator_id", None) is not None:
        return Indicator.objects.filter(pk=obj.indicator_id).values_list("strategy_id", flat=True).first()
    return None


def is_in_locked_year(obj) -> bool:
    strategy_id = _strategy_id(obj)
    return strategy_id is not None and FiscalYear.objects.is_locked(strategy_id, obj.fiscal_year)


def locked_message(year: int) -> str:
    return LOCKED_MESSAGE % {"year": fiscal_year_label(year)}


class LockedYearForm(forms.ModelForm):
    """Refuses to write a value into a locked year, or to change or remove one of a locked year."""

    def clean(self):
        cleaned = super().clean()
        if not (self.has_changed() or cleaned.get("DELETE")):
            return cleaned
        # clean() runs before the form's values reach the instance: it still holds the stored ones.
        if self.instance.pk and is_in_locked_year(self.instance):
            raise forms.ValidationError(locked_message(self.instance.fiscal_year), code="locked")
        strategy_id, year = self._target(cleaned)
        if strategy_id is not None and year is not None and FiscalYear.objects.is_locked(strategy_id, year):
            raise forms.ValidationError(locked_message(year), code="locked")
        return cleaned

    def _target(self, cleaned) -> tuple[int | None, int | None]:
        """The strategy and year the form would write into."""
        year = cleaned.get("fiscal_year", self.instance.fiscal_year)
        if "strategy" in cleaned:
            return getattr(cleaned["strategy"], "pk", None), year
        indicator = cleaned.get("indicator")
        return (indicator.strategy_id if indicator else _strategy_id(self.instance)), year


class LockedYearAdmin(ReasonRequiredAdmin):
    """A value of a locked year shows read-only, with the reason why; it cannot be deleted."""

    form = LockedYearForm

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj and is_in_locked_year(obj))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and is_in_locked_year(obj))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if request.method == "GET" and obj is not None and is_in_locked_year(obj):
            messages.warning(request, locked_message(obj.fiscal_year))
        return super().change_view(request, object_id, form_url, extra_context)


class PlacementInline(admin.TabularInline):
    model = Placement
    extra = 0
    raw_id_fields = ["policy"]


class ExpectedValueInline(admin.TabularInline):
    model = ExpectedValue
    form = LockedYearForm
    extra = 0


@admin.register(Indicator)
class IndicatorAdmin(ReasonRequiredAdmin):
    list_display = ["code", "kind", "name", "unit", "direction", "aggregation", "department"]
    search_fields = ["code", "name"]
    list_filter = ["kind", "direction", "aggregation", "goal", "department"]
    list_select_related = ["department"]
    inlines = [PlacementInline, ExpectedValueInline]


@admin.register(ActualValue)
class ActualValueAdmin(LockedYearAdmin):
    list_display = ["indicator", "fiscal_year", "value", "status", "entered_by", "entered_at"]
    search_fields = ["indicator__code", "indicator__name"]
    list_filter = ["fiscal_year", "status"]
    list_select_related = ["indicator", "entered_by"]
    raw_id_fields = ["indicator"]

    def save_model(self, request, obj, form, change):
        """Saved as the entry screen saves: under the cycle's locks, and the department's submission
        starts (未入力 → 入力中) as after any other route that writes figures (services.submission_start)."""
        if change:
            # Someone with the entry screen open started from the old version: their save becomes a
            # conflict instead of silently undoing this one.
            obj.version += 1
        department = obj.indicator.department
        submission = None
        if department is not None:
            # The admin's save is one transaction: the year and the submission are locked before the value.
            _year, submission = services.lock_cycle(
                strategy=obj.indicator.strategy, department=department, fiscal_year=obj.fiscal_year
            )
        super().save_model(request, obj, form, change)
        if submission is not None:
            services.submission_start(user=request.user, submission=submission)


@admin.register(ExpectedValue)
class ExpectedValueAdmin(LockedYearAdmin):
    list_display = ["indicator", "fiscal_year", "value"]
    search_fields = ["indicator__code", "indicator__name"]
    list_select_related = ["indicator"]
    raw_id_fields = ["indicator"]


@admin.register(Submission)
class SubmissionAdmin(LockedYearAdmin):
    list_display = ["department", "fiscal_year", "state", "submitted_at", "reviewed_at"]
    search_fields = ["department__code", "department__name"]
    list_filter = ["fiscal_year", "state"]


@admin.register(GradeBand)
class GradeBandAdmin(ReasonRequiredAdmin):
    list_display = ["label", "name", "name_en", "lower_bound", "description", "colour", "strategy"]
    search_fields = ["label", "name", "name_en"]


@admin.register(FiscalYear)
class FiscalYearAdmin(ReasonRequiredAdmin):
    """Read-only: a year opens, closes, locks and reopens on /fiscal-years/, where the rules are."""

    list_display = ["year", "state", "deadline", "strategy"]
    search_fields = ["year"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Placement)
class PlacementAdmin(ReasonRequiredAdmin):
    list_display = ["policy", "indicator", "is_repost"]
    search_fields = ["policy__code", "indicator__code", "indicator__name"]
    list_select_related = ["policy", "indicator"]


@admin.register(CycleSettings)
class CycleSettingsAdmin(ReasonRequiredAdmin):
    list_display = ["strategy", "reminder_days", "ratio", "warn_grades", "show_triangle"]


@admin.register(SentMail)
class SentMailAdmin(admin.ModelAdmin):
    """The log of mails sent: read-only, as the daily run and the notices wrote it."""

    list_display = ["sent_at", "kind", "address", "subject"]
    list_filter = ["kind"]
    search_fields = ["address", "subject", "event"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
