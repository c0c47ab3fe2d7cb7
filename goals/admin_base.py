"""The admin's base class: every change made there says why, and the history says who, when and why.

Every app's admin derives from ReasonRequiredAdmin (it lives in goals, the lowest app, so that all of them
can). Its change and add forms carry a required 変更理由, kept as the history reason of the object, of its
inline rows and of its many-to-many changes; a deletion asks for its reason on the confirmation page.
Bulk deletion is switched off (it would ask for none), and so is simple-history's "revert", which would
write an old version back without a reason and past every rule.
"""

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

from lib.forms import TextField
from lib.text import no_control_characters

REASON_FIELD = "change_reason"
# simple-history keeps the reason in a CharField(max_length=100).
REASON_MAX_LENGTH = 100
# Where the admin keeps the reason of the request, for the rows it writes without a form (cascades).
_REQUEST_REASON = "_admin_change_reason"


def reason_field() -> TextField:
    return TextField(
        label=_("変更理由"),
        max_length=REASON_MAX_LENGTH,
        help_text=_("変更履歴に残ります（100文字まで）。"),
    )


class ReasonRequiredAdmin(SimpleHistoryAdmin):
    delete_confirmation_template = "admin/delete_with_reason.html"

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        """Texts of models that do not refuse control characters themselves (auth's names) refuse them here."""
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if isinstance(formfield, forms.CharField) and no_control_characters not in formfield.validators:
            formfield.validators.append(no_control_characters)
        return formfield

    def get_fields(self, request, obj=None):
        return [field for field in super().get_fields(request, obj) if field != REASON_FIELD]

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        editable = self.has_change_permission(request, obj) if obj else self.has_add_permission(request)
        if editable:
            fieldsets.append((_("変更の記録"), {"fields": [REASON_FIELD]}))
        return fieldsets

    def get_form(self, request, obj=None, change=False, **kwargs):
        if "fields" not in kwargs:
            # As ModelAdmin does (the history views ask so), from the fieldsets, which list the reason.
            kwargs["fields"] = flatten_fieldsets(self.get_fieldsets(request, obj))
        if kwargs["fields"] is not None:
            kwargs["fields"] = [field for field in kwargs["fields"] if field != REASON_FIELD]
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {REASON_FIELD: reason_field()})

    def save_model(self, request, obj, form, change):
        reason = form.cleaned_data[REASON_FIELD]
        setattr(request, _REQUEST_REASON, reason)
        obj._change_reason = reason
        obj._history_user = request.user
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.forms:
            inline_form.instance._change_reason = form.cleaned_data[REASON_FIELD]
            inline_form.instance._history_user = request.user
        super().save_formset(request, form, formset, change)

    def delete_view(self, request, object_id, extra_context=None):
        if request.method == "POST":
            reason = TextField(required=False).clean(request.POST.get(REASON_FIELD, ""))[:REASON_MAX_LENGTH]
            if not reason:
                messages.error(request, gettext("削除の理由を入力してください。"))
                return HttpResponseRedirect(request.get_full_path())
            setattr(request, _REQUEST_REASON, reason)
        return super().delete_view(request, object_id, extra_context)

    def delete_model(self, request, obj):
        obj._change_reason = getattr(request, _REQUEST_REASON, "")
        obj._history_user = request.user
        super().delete_model(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied(
                gettext("履歴から元に戻すことはできません。変更画面で理由を付けて変更してください。")
            )
        return super().history_form_view(request, object_id, version_id, extra_context)


_DEFAULT_REASONS = {"+": _("管理画面で追加"), "~": _("管理画面で変更"), "-": _("管理画面で削除")}


@receiver(pre_create_historical_record)
def _reason_for_admin_rows(sender, history_instance, **kwargs):
    """Rows the admin writes beyond the edited object (cascaded deletions, a password) keep its reason."""
    if history_instance.history_change_reason:
        return
    request = getattr(HistoricalRecords.context, "request", None)
    if request is None or not request.path.startswith(reverse("admin:index")):
        return
    reason = getattr(request, _REQUEST_REASON, "") or str(_DEFAULT_REASONS[history_instance.history_type])
    history_instance.history_change_reason = reason[:REASON_MAX_LENGTH]
