"""The review forms. Every free text is cleaned of control characters (lib.forms.TextField); the forms
that change a stored row carry its marker (`seen`), so a save can tell whether the row moved on since the
page was shown (reviews.services)."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from goals.history import REASON_MAX_LENGTH
from goals.models import Goal
from kpis.models import Indicator, NextStep
from lib.fiscal import date_label, fiscal_year_label
from lib.forms import TextField
from reviews import services
from reviews.models import GoalEvaluation, Meeting, Opinion, PolicyDirection


def _seen_field() -> forms.CharField:
    return forms.CharField(widget=forms.HiddenInput, required=False)


def name_the_fields(form: forms.BaseForm) -> None:
    """Every "required", "too long" and "not a choice" message says which field it is about, so that two
    errors on one page never read the same (「発言者を入力してください。」, not 「このフィールドは必須です。」 twice)."""
    for field in form.fields.values():
        label = field.label
        if isinstance(field, forms.ChoiceField | forms.ModelChoiceField | forms.FileField):
            field.error_messages["required"] = _("%(field)sを選んでください。") % {"field": label}
        else:
            field.error_messages["required"] = _("%(field)sを入力してください。") % {"field": label}
        field.error_messages["invalid_choice"] = _("選んだ%(field)sは候補にありません。") % {"field": label}
        if getattr(field, "max_length", None):
            field.error_messages["max_length"] = _(
                "%(field)sは%(limit)s文字以内で入力してください（現在%%(show_value)d文字）。"
            ) % {"field": label, "limit": f"{field.max_length:,}"}


class MeetingForm(forms.ModelForm):
    """A meeting as the planning office registers it: its agenda and attendees may come with it, and its
    minutes later (MeetingEditForm)."""

    class Meta:
        model = Meeting
        fields = ["name", "body", "date", "fiscal_year", "agenda", "attendees", "minutes"]
        field_classes = {"name": TextField, "agenda": TextField, "attendees": TextField, "minutes": TextField}
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}),
            "agenda": forms.Textarea(attrs={"rows": 4}),
            "attendees": forms.Textarea(attrs={"rows": 6}),
            "minutes": forms.Textarea(attrs={"rows": 10}),
        }

    def __init__(self, *args, strategy, **kwargs):
        super().__init__(*args, **kwargs)
        self.strategy = strategy
        self.fields["fiscal_year"] = forms.TypedChoiceField(
            label=_("審議する年度"),
            coerce=int,
            choices=[(y, fiscal_year_label(y)) for y in strategy.plan_years],
        )
        self.fields["date"].error_messages["invalid"] = _("開催日は 2026-07-15 の形で入力してください。")
        name_the_fields(self)


class MeetingEditForm(MeetingForm):
    """The meeting page's editor: the meeting's texts, its attached minutes (replace or remove), the reason
    kept in its history, and the marker of what the page showed (reviews.services.meeting_marker)."""

    document = forms.FileField(
        label=_("議事要旨のファイル（PDF・Word・Excel）"),
        required=False,
        help_text=_(
            "PDF（.pdf）、Word（.docx）、Excel（.xlsx）、10 MBまで。添付済みのファイルは置き換わります。"
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.docx,.xlsx"}),
    )
    remove_document = forms.BooleanField(label=_("添付ファイルを削除する"), required=False)
    reason = TextField(
        label=_("変更の理由（任意）"),
        max_length=REASON_MAX_LENGTH,
        required=False,
        help_text=_("変更履歴に残ります（100文字まで）。空欄の場合は変更した項目が記録されます。"),
    )
    seen = _seen_field()

    def __init__(self, *args, seen: str, has_document: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seen"].initial = seen
        if not has_document:
            del self.fields["remove_document"]
        name_the_fields(self)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("document") and cleaned.get("remove_document"):
            self.add_error(
                "remove_document",
                _("新しいファイルを選んだときは「添付ファイルを削除する」のチェックを外してください。"),
            )
        return cleaned

    def changes(self) -> dict:
        """The meeting's fields as typed, for reviews.services.meeting_update."""
        return {name: self.cleaned_data[name] for name in services.MEETING_FIELDS}


# Up to this many indicators, the opinion form offers them in a list; beyond it (a plan many times the real
# one) the list would weigh hundreds of kilobytes on every page with the form, so the indicator is typed
# by its code instead (the indicator pages start an opinion with it filled in).
INDICATOR_CHOICES_LIMIT = 200


def _indicator_by_code(indicators) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=indicators,
        to_field_name="code",
        required=False,
        label=Opinion._meta.get_field("indicator").verbose_name,
        widget=forms.TextInput(attrs={"size": 14, "autocomplete": "off", "spellcheck": "false"}),
        help_text=_("指標のコード（例：G3-M1-K1）。空欄なら計画全体または基本目標についての意見です。"),
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
        indicators = Indicator.objects.filter(strategy=strategy)
        if indicators.count() > INDICATOR_CHOICES_LIMIT:
            self.fields["indicator"] = _indicator_by_code(indicators)
            if self.instance.indicator_id:
                self.initial["indicator"] = self.instance.indicator  # shown by its code, not its key
        else:
            self.fields["indicator"].queryset = indicators.in_plan_order()
            self.fields["indicator"].empty_label = _("（計画全体または基本目標）")
        if self.instance.pk:
            self.fields["seen"].initial = services.opinion_marker(self.instance)
        else:
            del self.fields["seen"], self.fields["reason"]
        name_the_fields(self)
        if isinstance(self.fields["indicator"].widget, forms.TextInput):
            self.fields["indicator"].error_messages["invalid_choice"] = _(
                "入力した指標のコードはこの計画にありません。指標一覧でコードを確かめてください。"
            )

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


class OpinionStartForm(forms.ModelForm):
    """An opinion started from the goal or indicator page being read: its subject is fixed by that page
    (shown, not chosen), its meeting chosen, the next meeting first."""

    class Meta:
        model = Opinion
        fields = ["meeting", "speaker", "text"]
        field_classes = {"speaker": TextField, "text": TextField}
        widgets = {"text": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args, meetings, **kwargs):
        super().__init__(*args, **kwargs)
        meeting = self.fields["meeting"]
        meeting.queryset = meetings
        meeting.empty_label = None
        meeting.label_from_instance = lambda m: (
            gettext("%(meeting)s（%(day)s）")
            % {
                "meeting": m.name,
                "day": date_label(m.date),
            }
        )
        meeting.help_text = _("はじめは次回の会議（今後の会議がなければ直近の会議）が選ばれています。")
        name_the_fields(self)


class OpinionFilterForm(forms.Form):
    """The planning office's opinion list: by follow-up state (対応状況) and fiscal year."""

    follow_up = forms.ChoiceField(label=_("対応状況"), required=False)
    fiscal_year = forms.TypedChoiceField(label=_("年度"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, strategy, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["follow_up"].choices = [
            ("", _("すべて")),
            ("unsettled", _("未対応・対応中")),
            *Opinion.FollowUp.choices,
        ]
        self.fields["fiscal_year"].choices = [
            ("", _("すべて")),
            *[(y, fiscal_year_label(y)) for y in strategy.plan_years],
        ]
        name_the_fields(self)

    def filter(self, opinions):
        data = self.cleaned_data
        if data.get("follow_up") == "unsettled":
            opinions = opinions.filter(follow_up__in=Opinion.FollowUp.unsettled())
        elif data.get("follow_up"):
            opinions = opinions.filter(follow_up=data["follow_up"])
        if data.get("fiscal_year"):
            opinions = opinions.filter(fiscal_year=data["fiscal_year"])
        return opinions


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
