"""The planning office's forms: the audit log's filters, a strategy's grade bands, a person's roles."""

from django import forms
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

from goals.history import REASON_MAX_LENGTH
from goals.models import Department
from kpis.models import CycleSettings, GradeBand
from lib.forms import TextField
from office import audit
from office.services import ROLE_LABELS

# simple-history keeps the reason in a CharField(max_length=100).

ROLE_CHOICES = list(ROLE_LABELS.items())


def reason_field() -> TextField:
    return TextField(
        label=_("変更の理由（必須）"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": REASON_MAX_LENGTH}),
        help_text=_("変更履歴に残ります（100文字まで）。"),
    )


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        name = obj.get_full_name()
        if not name:
            return obj.get_username()
        return _("%(name)s（%(username)s）") % {"name": name, "username": obj.get_username()}


class DateInput(forms.DateInput):
    input_type = "date"


class AuditFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("記録の種類"), required=False)
    user = UserChoiceField(
        label=_("変更者"), required=False, queryset=User.objects.order_by("username"), empty_label=_("すべて")
    )
    date_from = forms.DateField(label=_("期間（から）"), required=False, widget=DateInput)
    date_to = forms.DateField(label=_("期間（まで）"), required=False, widget=DateInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("すべて")), *audit.kind_choices()]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("期間の始まりが終わりより後になっています。"), code="date_order")
        return cleaned

    def filters(self) -> audit.Filters:
        cleaned = self.cleaned_data
        user = cleaned.get("user")
        return audit.Filters(
            kind=cleaned.get("kind") or "",
            user_id=user.pk if user else None,
            date_from=cleaned.get("date_from"),
            date_to=cleaned.get("date_to"),
        )


# --- Grade bands --------------------------------------------------------------------------------------


class ColourInput(forms.TextInput):
    input_type = "color"


class GradeBandForm(forms.ModelForm):
    class Meta:
        model = GradeBand
        fields = ["label", "name", "name_en", "lower_bound", "colour", "description", "description_en"]
        widgets = {"colour": ColourInput}
        help_texts = {"lower_bound": _("空欄は最下位の区分（下限なし）")}


class BaseGradeBandFormSet(forms.BaseModelFormSet):
    """The whole scale must still grade: distinct labels and lower bounds, exactly one band without one."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("label")
        ]
        if not kept:
            raise forms.ValidationError(_("評価区分を1つ以上残してください。"), code="empty")
        labels = [band["label"] for band in kept]
        if len(set(labels)) != len(labels):
            raise forms.ValidationError(_("同じ評価（記号）の区分が2つあります。"), code="duplicate_label")
        bottoms = [band for band in kept if band.get("lower_bound") is None]
        if len(bottoms) != 1:
            raise forms.ValidationError(
                _("下限が空欄の区分（最下位）がちょうど1つ必要です（いま%(count)s個）。")
                % {"count": len(bottoms)},
                code="bottom",
            )
        bounds = [band["lower_bound"] for band in kept if band.get("lower_bound") is not None]
        if len(set(bounds)) != len(bounds):
            raise forms.ValidationError(_("同じ下限の区分が2つあります。"), code="duplicate_bound")


GradeBandFormSet = forms.modelformset_factory(
    GradeBand, form=GradeBandForm, formset=BaseGradeBandFormSet, extra=1, can_delete=True
)


class ReasonForm(forms.Form):
    reason = reason_field()


# --- Roles ---------------------------------------------------------------------------------------------


class RolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("役割"), choices=ROLE_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    departments = forms.ModelMultipleChoiceField(
        label=_("所属する担当課"),
        queryset=Department.objects.order_by("order", "code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("担当課職員は、所属する担当課の指標だけを入力できます。"),
    )
    reason = reason_field()


class CycleSettingsForm(forms.ModelForm):
    """Reminders and plausibility thresholds of a strategy's yearly cycle."""

    reason = reason_field()

    class Meta:
        model = CycleSettings
        fields = [
            "reminder_days",
            "ratio",
            "warn_sign_change",
            "count_units",
            "percent_units",
            "warn_grades",
            "show_triangle",
        ]


class PlanUploadForm(forms.Form):
    """A filled plan workbook (docs/plan-template.md); checked whole before anything is shown."""

    file = forms.FileField(label=_("計画のファイル（.xlsx）"))


class PlanConfirmForm(forms.Form):
    # The preview's fingerprint: 確定 writes only what was shown (office.plans).
    digest = forms.CharField(widget=forms.HiddenInput, max_length=64)
