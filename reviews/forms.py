from django import forms
from django.utils.translation import gettext_lazy as _

from goals.models import Goal
from kpis.models import Indicator, NextStep
from reviews.models import GoalEvaluation, Meeting, Opinion, PolicyDirection


class MeetingForm(forms.ModelForm):
    class Meta:
        model = Meeting
        fields = ["name", "body", "date", "fiscal_year"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, strategy, **kwargs):
        super().__init__(*args, **kwargs)
        self.strategy = strategy
        self.fields["fiscal_year"] = forms.TypedChoiceField(
            label=_("審議する年度"),
            coerce=int,
            choices=[(y, str(y)) for y in strategy.plan_years],
        )


class OpinionForm(forms.ModelForm):
    """An opinion on the whole plan (neither goal nor indicator), one goal, or one indicator."""

    class Meta:
        model = Opinion
        fields = ["speaker", "goal", "indicator", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, strategy, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["goal"].queryset = Goal.objects.filter(strategy=strategy).order_by("number")
        self.fields["goal"].empty_label = _("（計画全体または指標）")
        self.fields["indicator"].queryset = Indicator.objects.filter(strategy=strategy).in_plan_order()
        self.fields["indicator"].empty_label = _("（計画全体または基本目標）")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("goal") and cleaned.get("indicator"):
            raise forms.ValidationError(_("基本目標と指標はどちらか一方だけを選んでください。"))
        return cleaned


class ResponseForm(forms.ModelForm):
    class Meta:
        model = Opinion
        fields = ["response", "follow_up", "follow_up_reason"]
        widgets = {
            "response": forms.Textarea(attrs={"rows": 4}),
            "follow_up_reason": forms.Textarea(attrs={"rows": 2}),
        }

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
    class Meta:
        model = GoalEvaluation
        fields = ["text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 4})}


class PolicyDirectionForm(forms.ModelForm):
    # Blank = not decided yet; the view skips those rows.
    direction = forms.ChoiceField(
        label=_("今後の方向性"), choices=[("", "−"), *NextStep.choices], required=False
    )

    class Meta:
        model = PolicyDirection
        fields = ["direction", "note"]
        widgets = {"note": forms.TextInput()}
