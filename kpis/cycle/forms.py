"""Forms of the entry, review, fiscal-year and indicator screens; numbers are read as staff type them."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from goals.history import REASON_MAX_LENGTH
from goals.models import Department
from kpis.cycle import services
from kpis.models import (
    AGGREGATION_CHOICES,
    DIRECTION_CHOICES,
    ActualValue,
    FiscalYear,
    Indicator,
    NextStep,
)
from lib.fields import fiscal_year_form_field
from lib.fiscal import month_label, parse_fiscal_year, parse_month, wareki
from lib.forms import TextField
from lib.numbers import NumberFormatError, format_decimal, parse_decimal


class NumberField(forms.CharField):
    """A number typed as staff type it (１，２３４．５, △12, −3): a Decimal, or None when empty.

    `unit`: the indicator's unit, which the text may end with ("120人"); see lib.numbers.parse_decimal.
    """

    def __init__(self, *, unit: str | None = None, **kwargs):
        self.unit = unit
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update({"inputmode": "decimal", "autocomplete": "off", "class": "number-input"})
        attrs.pop("maxlength", None)
        return attrs

    def to_python(self, value) -> Decimal | None:
        text = super().to_python(value)
        try:
            return parse_decimal(text, unit=self.unit)
        except NumberFormatError as error:
            raise ValidationError(str(error), code="invalid") from error

    def run_validators(self, value):
        # The text was checked by parse_decimal; CharField's length validators do not apply to a Decimal.
        return

    def prepare_value(self, value):
        if isinstance(value, Decimal):
            return format_decimal(value)
        return value


class FiscalYearTextField(forms.CharField):
    """A fiscal year typed as people write it (2021, 令和3年度, ２０２１年度): an int, or None when empty."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 30)
        super().__init__(**kwargs)

    def to_python(self, value) -> int | None:
        text = super().to_python(value)
        if not text:
            return None
        if len(text) > self.max_length:
            raise ValidationError(_("年度が長すぎます。"), code="max_length")
        try:
            year = parse_fiscal_year(text)
        except ValueError as error:
            raise ValidationError(str(error), code="invalid") from error
        if not 1989 <= year <= 2200:
            raise ValidationError(
                _("1989年度（平成元年度）から2200年度までの年度を入力してください。"), code="range"
            )
        return year

    def run_validators(self, value):
        return

    def prepare_value(self, value):
        return wareki(value) if isinstance(value, int) else value


class MonthField(forms.CharField):
    """A month typed as 2027年3月, 2027-03 or 令和9年3月: its first day, or None when empty."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 30)
        super().__init__(**kwargs)

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        if len(text) > self.max_length:
            raise ValidationError(_("年月が長すぎます。"), code="max_length")
        try:
            return parse_month(text)
        except ValueError as error:
            raise ValidationError(str(error), code="invalid") from error

    def run_validators(self, value):
        return

    def prepare_value(self, value):
        return month_label(value) if hasattr(value, "month") else value


STALE_PAGE = _("画面が古くなっています。再読み込みしてから入力してください。")


class EntryRowForm(forms.Form):
    """One indicator's row on the entry screen, with what the page showed of it (version, shown).

    `choice` and `contested` are drawn only on a row in conflict: the person's answer, and the stored row
    it answers (services.stored_mark).
    """

    value = NumberField(label=_("実績値"))
    note = TextField(
        label=_("備考"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    cause_analysis = TextField(
        label=_("要因分析"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    next_step = forms.ChoiceField(
        label=_("今後の方向性"), required=False, choices=[("", "―")] + list(NextStep.choices)
    )
    data_period = FiscalYearTextField(
        label=_("データ時点"), help_text=_("値が測る年度（例: 令和3年度）。空欄は指標の既定の年度です。")
    )
    quality = forms.ChoiceField(
        label=_("速報・確定"),
        choices=ActualValue.Quality.choices,
        initial=ActualValue.Quality.FINAL,
        required=False,
    )
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    shown = forms.CharField(max_length=64, widget=forms.HiddenInput)
    choice = forms.ChoiceField(
        label=_("この行をどうしますか"),
        required=False,
        choices=[
            (services.KEEP, _("保存されている値を残す")),
            (services.OVERWRITE, _("自分の入力で上書きする")),
        ],
        widget=forms.RadioSelect,
    )
    contested = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, indicator: Indicator, fiscal_year: int | None = None, **kwargs):
        self.indicator = indicator
        self.fiscal_year = fiscal_year
        super().__init__(*args, prefix=f"i{indicator.pk}", **kwargs)
        label = f"{indicator.code} {indicator.name}"
        if fiscal_year is not None:
            period = indicator.data_period_of(fiscal_year)
            # 令和3年度 in Japanese, 2021 in English: the field reads both.
            shown = wareki(period) if get_language().startswith("ja") else str(period)
            self.fields["data_period"].widget.attrs["placeholder"] = shown
        self.fields["data_period"].widget.attrs["class"] = "year-input"
        for name in ("value", "note", "cause_analysis", "next_step", "data_period", "quality"):
            field = self.fields[name]
            field.widget.attrs["aria-label"] = f"{label}：{field.label}"
        self.fields["value"].widget.attrs["class"] = "number-input entry-value"
        self.fields["value"].unit = indicator.unit  # "120人" is read as 120 for a 人 indicator
        if indicator.unit:
            self.fields["value"].widget.attrs["aria-describedby"] = f"unit-{indicator.pk}"
        for name in ("version", "shown"):
            self.fields[name].error_messages = dict.fromkeys(
                ("required", "invalid", "min_value", "max_length"), STALE_PAGE
            )

    @staticmethod
    def initial_for(actual) -> dict:
        if actual is None:
            return {"version": 0, "shown": services.shown_mark(None)}
        return {
            "value": actual.value,
            "note": actual.note,
            "cause_analysis": actual.cause_analysis,
            "next_step": actual.next_step,
            "data_period": actual.data_period,
            "quality": actual.quality,
            "version": actual.version,
            "shown": services.shown_mark(actual),
        }

    def posted(self, name: str) -> bool:
        """Whether the page posted this input at all (a page drawn before it existed did not)."""
        return self.add_prefix(name) in self.data

    def clean_data_period(self) -> int | None:
        period = self.cleaned_data.get("data_period")
        if self.fiscal_year is not None:
            error = services.data_period_error(self.fiscal_year, period)
            if error:
                raise ValidationError(error, code="data_period")
        return period

    def row_input(self) -> services.RowInput:
        data = self.cleaned_data
        return services.RowInput(
            indicator=self.indicator,
            version=data["version"],
            value=data["value"],
            note=data["note"],
            cause_analysis=data["cause_analysis"],
            next_step=data["next_step"],
            # Not posted: left as stored, never reset (services.AS_STORED).
            data_period=data["data_period"] if self.posted("data_period") else services.AS_STORED,
            quality=data["quality"] or services.AS_STORED,
            shown=data["shown"],
            choice=data["choice"],
            contested=data["contested"],
        )


RETURN_NOTE_MAX_LENGTH = 1000


class ReturnForm(forms.Form):
    """差戻し: an overall comment and a 指摘 per indicator, either enough (services.submission_return).

    The 指摘 fields are drawn beside their rows, outside the <form> element, and belong to it by the
    form="return-form" attribute.
    """

    comment = TextField(
        label=_("差戻しの理由（全体へのコメント・担当課に表示されます）"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("指標ごとの指摘を書いた場合は省略できます。"),
    )

    def __init__(self, *args, indicators=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.indicators = list(indicators)
        for indicator in self.indicators:
            label = _("%(code)s %(name)s への指摘") % {"code": indicator.code, "name": indicator.name}
            self.fields[self.note_name(indicator)] = TextField(
                label=label,
                required=False,
                max_length=RETURN_NOTE_MAX_LENGTH,
                widget=forms.Textarea(attrs={"rows": 2, "form": "return-form", "class": "return-note-input"}),
                error_messages={
                    "max_length": _(
                        "%(code)s の指摘は%(limit)s文字以内で入力してください（現在%%(show_value)d文字）。"
                    )
                    % {"code": indicator.code, "limit": RETURN_NOTE_MAX_LENGTH}
                },
            )

    @staticmethod
    def note_name(indicator: Indicator) -> str:
        return f"row-{indicator.pk}-note"

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("comment") and not any(self.row_comments().values()):
            raise ValidationError(services.RETURN_NEEDS_A_REASON, code="required")
        return data

    def row_comments(self) -> dict[Indicator, str]:
        """The 指摘 typed, by indicator ("" where none)."""
        return {i: self.cleaned_data.get(self.note_name(i), "") for i in self.indicators}

    def error_labels(self) -> list[str]:
        """The labels of the fields in error, for the message above the page."""
        return [str(self.fields[name].label) for name in self.errors if name in self.fields]


def seen_state(data, states) -> str | None:
    """The state a page showed (its hidden "seen" input), when it is one of `states` (a TextChoices)."""
    value = data.get("seen")
    return value if value in states.values else None


class FiscalYearStateForm(forms.Form):
    year = fiscal_year_form_field(widget=forms.HiddenInput)
    state = forms.ChoiceField(choices=FiscalYear.State.choices, widget=forms.HiddenInput)
    # The state the page showed: the move is refused (409) when another planner has moved the year since.
    seen = forms.ChoiceField(choices=FiscalYear.State.choices, required=False, widget=forms.HiddenInput)
    reason = TextField(
        label=_("再開の理由"),
        required=False,
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    deadline = forms.DateField(
        label=_("締切日"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    # 確定（ロック）is done on the second step only, after the checklist was shown.
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)


class DeadlineForm(forms.Form):
    """The planning office moves the 締切日 of a year already open (an extension)."""

    year = fiscal_year_form_field(widget=forms.HiddenInput)
    deadline = forms.DateField(
        label=_("締切日"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


INTEGER_FIELDS = ("baseline_year", "target_year", "decimal_places", "data_lag")


class IndicatorForm(forms.Form):
    """The planning office's form for one indicator's metadata and explicit expected values."""

    department = forms.ModelChoiceField(
        label=_("担当課"), queryset=Department.objects.all(), required=False, empty_label="―"
    )
    unit = TextField(label=_("単位"), max_length=30, required=False)
    direction = forms.ChoiceField(label=_("方向"), choices=DIRECTION_CHOICES)
    aggregation = forms.ChoiceField(label=_("集計方法"), choices=AGGREGATION_CHOICES)
    baseline_year = fiscal_year_form_field(label=_("基準年度"), required=False)
    baseline_value = NumberField(label=_("基準値"))
    target_year = fiscal_year_form_field(label=_("目標年度"), required=False)
    target_value = NumberField(label=_("目標値"))
    source_mark = TextField(label=_("出典記号"), max_length=10, required=False)
    source_note = TextField(label=_("出典"), max_length=300, required=False)
    decimal_places = forms.IntegerField(label=_("表示する小数桁数"), required=False, min_value=0, max_value=6)
    latest_publication = MonthField(
        label=_("最新データ公表時点"), help_text=_("出典の最新の値が公表された年月（例: 2025年3月）。")
    )
    next_publication = MonthField(
        label=_("次回データ公表時点"),
        help_text=_(
            "次の値が公表される予定の年月（例: 2027年3月）。その月が終わるまで、未入力の値は「公表待ち」と表示されます。"
        ),
    )
    data_lag = forms.IntegerField(
        label=_("データ時点の遅れ（年）"),
        required=False,
        min_value=0,
        max_value=services.MAX_DATA_LAG,
        help_text=_("出典の値が報告する年度より何年前の値か（2024年度の現況値が令和3年度の値なら3）。"),
    )
    reason = TextField(
        label=_("変更理由"),
        max_length=REASON_MAX_LENGTH,
        required=False,
        help_text=_("承認済みの実績がある場合、基準値・目標値の変更には理由が必要です（履歴に残ります）。"),
    )
    marker = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, indicator: Indicator, reason_required: bool, **kwargs):
        self.indicator = indicator
        self.reason_required = reason_required
        super().__init__(*args, **kwargs)
        self.plan_years = indicator.strategy.plan_years
        for year in self.plan_years:
            self.fields[f"expected_{year}"] = NumberField(label=_("%(year)s年度の期待値") % {"year": year})
        self.fields["marker"].error_messages = {
            "required": _("画面が古くなっています。再読み込みしてから編集してください。")
        }
        for name in INTEGER_FIELDS:
            self.fields[name].widget.attrs["class"] = "year-input"
            self.fields[name].error_messages["invalid"] = _("半角の整数で入力してください。")
        # Full-width years (２０２４) are typed as often as full-width values.
        for name in INTEGER_FIELDS:
            self.fields[name].widget.input_type = "text"
            self.fields[name].widget.attrs["inputmode"] = "numeric"

    def full_clean(self):
        # Normalise full-width integers before the IntegerFields see them.
        if self.is_bound:
            data = self.data.copy()
            for name in INTEGER_FIELDS:
                key = self.add_prefix(name)
                raw = data.get(key, "")
                try:
                    number = parse_decimal(raw)
                except NumberFormatError:
                    continue
                if number is not None and number == number.to_integral_value():
                    data[key] = str(int(number))
            self.data = data
        super().full_clean()

    @staticmethod
    def initial_for(indicator: Indicator, marker: str) -> dict:
        initial = {
            "department": indicator.department_id,
            "unit": indicator.unit,
            "direction": indicator.direction,
            "aggregation": indicator.aggregation,
            "baseline_year": indicator.baseline_year,
            "baseline_value": indicator.baseline_value,
            "target_year": indicator.target_year,
            "target_value": indicator.target_value,
            "source_mark": indicator.source_mark,
            "source_note": indicator.source_note,
            "decimal_places": indicator.decimal_places,
            "latest_publication": indicator.latest_publication,
            "next_publication": indicator.next_publication,
            "data_lag": indicator.data_lag,
            "marker": marker,
        }
        for expected in indicator.expected_values.all():
            initial[f"expected_{expected.fiscal_year}"] = expected.value
        return initial

    def clean(self):
        data = super().clean()
        for prefix, label in (("baseline", _("基準値")), ("target", _("目標値"))):
            year, value = data.get(f"{prefix}_year"), data.get(f"{prefix}_value")
            if (year is None) != (value is None) and f"{prefix}_year" not in self.errors:
                if f"{prefix}_value" not in self.errors:
                    self.add_error(
                        f"{prefix}_year" if year is None else f"{prefix}_value",
                        _("%(label)sは年度と値を両方入力してください。") % {"label": label},
                    )
        baseline_year, target_year = data.get("baseline_year"), data.get("target_year")
        if baseline_year is not None and target_year is not None and baseline_year >= target_year:
            self.add_error("target_year", _("目標年度は基準年度より後にしてください。"))
        if self.reason_required and self.plan_changed() and not (data.get("reason") or "").strip():
            self.add_error(
                "reason", _("承認済みの実績がある計画の基準値・目標値を変更するには理由が必要です。")
            )
        return data

    def plan_changed(self) -> bool:
        return any(
            name in self.cleaned_data and self.cleaned_data[name] != getattr(self.indicator, name)
            for name in ("baseline_year", "baseline_value", "target_year", "target_value")
        )

    def changes(self) -> dict:
        names = (
            "department",
            "unit",
            "direction",
            "aggregation",
            "baseline_year",
            "baseline_value",
            "target_year",
            "target_value",
            "source_mark",
            "source_note",
            "decimal_places",
            "latest_publication",
            "next_publication",
            "data_lag",
        )
        return {name: self.cleaned_data[name] for name in names}

    def expected(self) -> dict[int, Decimal | None]:
        return {year: self.cleaned_data[f"expected_{year}"] for year in self.plan_years}
