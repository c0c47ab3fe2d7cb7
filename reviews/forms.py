"""The review forms. Every free text is cleaned of control characters (lib.forms.TextField); the forms
that change a stored row carry its marker (`seen`), so a save can tell whether the row moved on since the
page was shown (reviews.services)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from goals.history import REASON_MAX_LENGTH
from goals.models import Goal
from kpis.models import Indicator, NextStep
from lib.fiscal import fiscal_year_label
from lib.forms import TextField
from reviews import services
from reviews.models import GoalEvaluation, Meeting, Opinion, PolicyDirection


def _seen_field() -> forms.CharField:
    return forms.CharField(widget=forms.HiddenInput, required=False)


class MeetingForm(forms.ModelForm):
    class Meta:
        model = Meeting
        fields = ["name", "body", "date", "fiscal_year"]
        field_classes = {"name": TextField}
        widgets = {"date": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, strategy, **kwargs):
        super().__init__(*args, **kwargs)
        self.strategy = strategy
        self.fields["fiscal_year"] = forms.TypedChoiceField(
            label=_("審議する年度"),
            coerce=int,
            choices=[(y, fiscal_year_label(y)) for y in strategy.plan_years],
        )


class OpinionForm(forms.ModelForm):
    """An opinion on the whole plan (neither goal nor indicator), one goal, or one indicator.

    Editing a stored opinion adds an optional reason, kept in its history.
    """

    seen = _seen_field()
    reason = TextField(
        label=_("変更の理由（任意）"),
        max_length=REASON_MAX_LENGTH,
        required=False,
        help_text=_("変更履歴に残ります（100文字まで）。"),
    )

    class Meta:
        model = Opinion
        fields = ["speaker", "goal", "indicator", "text"]
        field_classes = {"speaker": TextField, "text": TextField}
        widgets = {"text": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, strategy, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["goal"].queryset = Goal.objects.filter(strategy=strategy).order_by("number")
        self.fields["goal"].empty_label = _("（計画全体または指標）")
        self.fields["indicator"].queryset = Indicator.objects.filter(strategy=strategy).in_plan_order()
        self.fields["indicator"].empty_label = _("（計画全体または基本目標）")
        if self.instance.pk:
            self.fields["seen"].initial = services.opinion_marker(self.instance)
        else:
            del self.fields["seen"], self.fields["reason"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("goal") and cleaned.get("indicator"):
            raise forms.ValidationError(_("基本目標と指標はどちらか一方だけを選んでください。"))
        return cleaned

    def changes(self) -> dict:
        """The opinion's fields as typed, for reviews.services.opinion_update."""
        data = self.cleaned_data
        goal, indicator = data.get("goal"), data.get("indicator")
        return {
            "speaker": data["speaker"],
            "text": data["text"],
            "goal_id": goal.pk if goal else None,
            "indicator_id": indicator.pk if indicator else None,
        }


class ResponseForm(forms.ModelForm):
    seen = _seen_field()

    class Meta:
        model = Opinion
        fields = ["response", "follow_up", "follow_up_reason"]
        field_classes = {"response": TextField, "follow_up_reason": TextField}
        widgets = {
            "response": forms.Textarea(attrs={"rows": 4}),
            "follow_up_reason": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seen"].initial = services.opinion_marker(self.instance)

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("follow_up") == Opinion.FollowUp.DECLINED
            and not cleaned.get("follow_up_reason", "").strip()
        ):
            self.add_error("follow_up_reason", _("「対応しない」とする場合は理由を入力してください。"))
        if (
            cleaned.get("follow_up") in (Opinion.FollowUp.IN_PROGRESS, Opinion.FollowUp.DONE)
            and not cleaned.get("response", "").strip()
        ):
            self.add_error("response", _("対応方針を入力してください。"))
        return cleaned


class GoalEvaluationForm(forms.ModelForm):
    """A goal's 総合評価. Blank passes the form: a goal left blank saves nothing, and the view refuses a
    stored evaluation cleared."""

    seen = _seen_field()

    class Meta:
        model = GoalEvaluation
        fields = ["text"]
        field_classes = {"text": TextField}
        widgets = {"text": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].required = False
        self.fields["seen"].initial = services.marker(
            self.instance if self.instance.pk else None, services.EVALUATION_FIELDS
        )


class PolicyDirectionForm(forms.ModelForm):
    # Blank = not decided yet; the view skips those rows.
    direction = forms.ChoiceField(
        label=_("今後の方向性"), choices=[("", "−"), *NextStep.choices], required=False
    )
    seen = _seen_field()

    class Meta:
        model = PolicyDirection
        fields = ["direction", "note"]
        field_classes = {"note": TextField}
        widgets = {"note": forms.TextInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seen"].initial = services.marker(
            self.instance if self.instance.pk else None, services.DIRECTION_FIELDS
        )
