"""Indicators (KGI / KPI), where they stand in the plan, their targets and yearly figures."""

from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from goals.models import TEXT, Department, Goal, Measure, Policy, Strategy
from kpis.rules.achievement import Aggregation, Direction
from kpis.rules.scale import in_page_language
from lib.choices import ChoiceLabels
from lib.fields import ExactDecimalField, fiscal_year_field
from lib.numbers import validate_storable

# Wide enough for 百万円 totals and survey scores alike; never float. Only what round-trips exactly on
# SQLite and PostgreSQL is accepted (lib.numbers.validate_storable), by the admin as by every form.
NUMBER = {"max_digits": 20, "decimal_places": 6, "validators": [validate_storable]}
# A grade colour is written into /grades.css: nothing but #rrggbb may reach it.
colour_validator = RegexValidator(
    r"^#[0-9A-Fa-f]{6}\Z", _("色は「#1a7f37」のように # と16進数6桁で入力してください。"), code="colour"
)
# Plan order: a goal's KGIs before its KPIs, KPIs by measure and their place in it.
INDICATOR_ORDER = ("goal__number", "kind", "measure__number", "order")


class Kind(models.TextChoices):
    KGI = "KGI", "KGI"
    KPI = "KPI", "KPI"


# The values are kpis.rules.achievement's Direction and Aggregation; these are their labels.
DIRECTION_CHOICES = [(Direction.HIGHER.value, _("高いほど良い")), (Direction.LOWER.value, _("低いほど良い"))]
AGGREGATION_CHOICES = [(Aggregation.ANNUAL.value, _("単年度")), (Aggregation.CUMULATIVE.value, _("累計"))]


class NextStep(models.TextChoices):
    """今後の方向性, as departments and the planning office write it."""

    EXPAND = "expand", _("拡充")
    CONTINUE = "continue", _("継続")
    IMPROVE = "improve", _("改善して継続")
    REDUCE = "reduce", _("縮小")
    END = "end", _("廃止・終了")


class IndicatorQuerySet(models.QuerySet):
    def in_plan_order(self):
        return self.order_by(*INDICATOR_ORDER)

    def of_strategy(self, strategy):
        """Indicators of one strategy, in plan order (KGIs of a goal before its KPIs)."""
        return self.filter(strategy=strategy).in_plan_order()

    def with_figures(self):
        """Everything an achievement needs, in a fixed number of queries."""
        return self.select_related("strategy", "goal", "measure", "department").prefetch_related(
            "actuals", "expected_values", "results"
        )


class Indicator(ChoiceLabels, models.Model):
    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="indicators")
    code = models.CharField(_("コード"), max_length=30, **TEXT)
    kind = models.CharField(_("種別"), max_length=3, choices=Kind.choices)
    goal = models.ForeignKey(
        Goal, on_delete=models.PROTECT, related_name="indicators", verbose_name=_("基本目標")
    )
    # A KPI's home measure (the place of its first appearance); a KGI has none.
    measure = models.ForeignKey(
        Measure,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="indicators",
        verbose_name=_("施策の方向"),
    )
    order = models.PositiveSmallIntegerField(_("順序"), default=0)
    name = models.CharField(_("名称"), max_length=300, **TEXT)
    unit = models.CharField(_("単位"), max_length=30, blank=True, **TEXT)
    direction = models.CharField(
        _("方向"), max_length=10, choices=DIRECTION_CHOICES, default=Direction.HIGHER.value
    )
    aggregation = models.CharField(
        _("集計方法"), max_length=10, choices=AGGREGATION_CHOICES, default=Aggregation.ANNUAL.value
    )
    baseline_year = fiscal_year_field(_("基準年度"), null=True, blank=True)
    baseline_value = models.DecimalField(_("基準値"), null=True, blank=True, **NUMBER)
    target_year = fiscal_year_field(_("目標年度"), null=True, blank=True)
    target_value = models.DecimalField(_("目標値"), null=True, blank=True, **NUMBER)
    source_mark = models.CharField(_("出典記号"), max_length=10, blank=True, **TEXT)
    source_note = models.CharField(_("出典"), max_length=300, blank=True, **TEXT)
    note = models.CharField(_("注記"), max_length=300, blank=True, **TEXT)
    department = models.ForeignKey(
        Department,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="indicators",
        verbose_name=_("担当課"),
    )
    # Rounding places to show values with; None keeps the value's own decimals.
    decimal_places = models.PositiveSmallIntegerField(
        _("表示する小数桁数"), null=True, blank=True, validators=[MaxValueValidator(6)]
    )
    # The indicator of an earlier plan this one continues (the same measurement, perhaps renamed): its page
    # and chart show the whole series across the plans (reports/dashboards/lineage.py).
    continues = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="continued_by",
        verbose_name=_("継続元の指標（前の計画）"),
    )
    # The first fiscal year of the values now in force, when a mid-term revision (中間見直し) set them:
    # every page showing the target says since when (the revisions themselves: IndicatorRevision).
    revised_from_year = fiscal_year_field(_("見直し後の値の適用年度"), null=True, blank=True, editable=False)
    # The source's publication calendar (Ibaraki's KPI進捗状況調書): a month, stored as its first day.
    latest_publication = models.DateField(_("最新データ公表時点"), null=True, blank=True)
    next_publication = models.DateField(_("次回データ公表時点"), null=True, blank=True)
    # How many years the source trails the year a figure is reported for: 3 when the FY2024 現況値 is
    # 令和3年度 data (県市町村民経済計算). None: the figure measures its own year.
    data_lag = models.PositiveSmallIntegerField(
        _("データ時点の遅れ（年）"), null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    history = HistoricalRecords()

    objects = IndicatorQuerySet.as_manager()

    class Meta:
        verbose_name = _("指標")
        verbose_name_plural = _("指標")
        ordering = list(INDICATOR_ORDER)
        constraints = [
            models.UniqueConstraint(fields=["strategy", "code"], name="indicator_code_unique"),
            models.CheckConstraint(
                condition=models.Q(kind="KGI", measure__isnull=True)
                | models.Q(kind="KPI", measure__isnull=False),
                name="indicator_kpi_has_measure",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    def get_absolute_url(self):
        return reverse("dashboards:indicator", args=[self.code])

    def clean(self):
        super().clean()
        earlier = self.continues
        if earlier is not None and (
            earlier.strategy_id == self.strategy_id or earlier.strategy.first_year >= self.strategy.first_year
        ):
            raise ValidationError(
                {"continues": _("継続元には、この計画より前に始まった計画の指標を選んでください。")}
            )

    @property
    def shown_places(self) -> int:
        """Decimals to show a computed figure with (an expected value 63.333…): the indicator's setting,
        else as many as its baseline and target are written with (13.33人 would be a figure nobody typed)."""
        return self.places_to_show(self.decimal_places, self.baseline_value, self.target_value)

    @staticmethod
    def places_to_show(decimal_places: int | None, baseline: Decimal | None, target: Decimal | None) -> int:
        """`shown_places` of an indicator read as plain values."""
        if decimal_places is not None:
            return decimal_places
        written = [v for v in (baseline, target) if v is not None]
        return max((max(0, -v.normalize().as_tuple().exponent) for v in written), default=0)

    def data_period_of(self, fiscal_year: int) -> int:
        """The fiscal year a figure reported for `fiscal_year` measures, by the source's lag."""
        return fiscal_year - (self.data_lag or 0)


class IndicatorRevision(models.Model):
    """A mid-term revision (中間見直し) of one indicator from a fiscal year on: what was in force before
    and what is after. The indicator itself holds the values in force now; a year before `from_year` is
    evaluated with `before` (kpis.rules.evaluation.spec_in_force)."""

    REVISED = ("name", "unit", "baseline_year", "baseline_value", "target_year", "target_value")

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="revisions")
    from_year = fiscal_year_field(_("適用する年度"))
    reason = models.CharField(_("見直しの理由"), max_length=200, **TEXT)
    revised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("見直した人")
    )
    revised_at = models.DateTimeField(_("見直した日時"), auto_now_add=True)
    before_name = models.CharField(_("見直し前の名称"), max_length=300, **TEXT)
    before_unit = models.CharField(_("見直し前の単位"), max_length=30, blank=True, **TEXT)
    before_baseline_year = fiscal_year_field(_("見直し前の基準年度"), null=True, blank=True)
    before_baseline_value = models.DecimalField(_("見直し前の基準値"), null=True, blank=True, **NUMBER)
    before_target_year = fiscal_year_field(_("見直し前の目標年度"), null=True, blank=True)
    before_target_value = models.DecimalField(_("見直し前の目標値"), null=True, blank=True, **NUMBER)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("中間見直し")
        verbose_name_plural = _("中間見直し")
        ordering = ["indicator", "from_year", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "from_year"], name="revision_year_unique")
        ]

    def __str__(self):
        return f"{self.indicator_id} {self.from_year}"

    def before(self) -> dict:
        return {name: getattr(self, f"before_{name}") for name in self.REVISED}


class Placement(models.Model):
    """Where an indicator stands under a policy; a 【再掲】 policy shows the same indicator again."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="placements")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="placements")
    order = models.PositiveSmallIntegerField(_("順序"), default=0)
    is_repost = models.BooleanField(_("再掲"), default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("掲載位置")
        verbose_name_plural = _("掲載位置")
        ordering = ["policy__measure__goal__number", "policy__measure__number", "policy__number", "order"]
        constraints = [models.UniqueConstraint(fields=["policy", "indicator"], name="placement_unique")]

    def __str__(self):
        return f"{self.policy.code} → {self.indicator.code}"


class ExpectedValue(models.Model):
    """An explicit 期待値 for one year; wins over the straight line from baseline to target."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="expected_values")
    fiscal_year = fiscal_year_field(_("年度"))
    value = models.DecimalField(_("期待値"), **NUMBER)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("期待値")
        verbose_name_plural = _("期待値")
        ordering = ["indicator", "fiscal_year"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "fiscal_year"], name="expected_value_unique")
        ]

    def __str__(self):
        return f"{self.indicator.code} {self.fiscal_year}: {self.value}"


class GradeBand(models.Model):
    """One grade of a strategy's scale (A 順調 ≥ 100.0 …); the band without lower bound is the bottom."""

    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="grade_bands")
    label = models.CharField(_("評価"), max_length=10, **TEXT)
    name = models.CharField(_("名称"), max_length=30, **TEXT)
    # The name and description an English page shows; blank: the Japanese ones (scale.Grade).
    name_en = models.CharField(_("名称（英語）"), max_length=30, blank=True, **TEXT)
    lower_bound = models.DecimalField(_("下限（％）"), max_digits=7, decimal_places=1, null=True, blank=True)
    description = models.CharField(_("説明"), max_length=200, blank=True, **TEXT)
    description_en = models.CharField(_("説明（英語）"), max_length=200, blank=True, **TEXT)
    colour = models.CharField(
        _("色"), max_length=7, default="#888888", help_text="#RRGGBB", validators=[colour_validator]
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("評価区分")
        verbose_name_plural = _("評価区分")
        ordering = ["strategy", models.F("lower_bound").desc(nulls_last=True)]
        constraints = [models.UniqueConstraint(fields=["strategy", "label"], name="grade_band_label_unique")]

    def __str__(self):
        return f"{self.label} {in_page_language(self.name, self.name_en)}"


class FiscalYearQuerySet(models.QuerySet):
    def is_locked(self, strategy_id: int, year: int) -> bool:
        """Whether that year of that strategy is 確定（ロック）: nothing of it may change until reopened."""
        return self.filter(strategy_id=strategy_id, year=year, state=FiscalYear.State.LOCKED).exists()


class FiscalYear(ChoiceLabels, models.Model):
    """The entry window of one fiscal year: opened, closed and locked by the planning office."""

    class State(models.TextChoices):
        NOT_OPEN = "not_open", _("未開始")
        OPEN = "open", _("入力受付中")
        CLOSED = "closed", _("締切")
        LOCKED = "locked", _("確定（ロック）")

    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="fiscal_years")
    year = fiscal_year_field(_("年度"))
    state = models.CharField(_("状態"), max_length=10, choices=State.choices, default=State.NOT_OPEN)
    # 締切日: set when the year is opened; the last day departments are asked to submit by.
    deadline = models.DateField(_("締切日"), null=True, blank=True)
    history = HistoricalRecords()

    objects = FiscalYearQuerySet.as_manager()

    class Meta:
        verbose_name = _("年度")
        verbose_name_plural = _("年度")
        ordering = ["strategy", "year"]
        constraints = [models.UniqueConstraint(fields=["strategy", "year"], name="fiscal_year_unique")]

    def __str__(self):
        return f"{self.year} ({self.get_state_display()})"

    @property
    def is_locked(self) -> bool:
        return self.state == self.State.LOCKED


class ActualValue(ChoiceLabels, models.Model):
    """One indicator's actual figure for one fiscal year, with the department's notes."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("入力中")
        SUBMITTED = "submitted", _("提出済")
        APPROVED = "approved", _("承認済")

    class Quality(models.TextChoices):
        """How final a figure is, as statistical tables mark it: 速報 p, 確定 (no mark), 改定 r."""

        FINAL = "final", _("確定")
        PROVISIONAL = "provisional", _("速報")
        REVISED = "revised", _("改定")

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="actuals")
    fiscal_year = fiscal_year_field(_("年度"))
    value = models.DecimalField(_("実績値"), null=True, blank=True, **NUMBER)
    note = models.TextField(_("備考"), blank=True, **TEXT)
    cause_analysis = models.TextField(_("要因分析"), blank=True, **TEXT)
    next_step = models.CharField(_("今後の方向性"), max_length=10, choices=NextStep.choices, blank=True)
    # The period the figure measures (データ時点); None: the indicator's usual one (Indicator.data_lag).
    data_period = fiscal_year_field(_("データ時点"), null=True, blank=True)
    quality = models.CharField(_("速報・確定"), max_length=12, choices=Quality.choices, default=Quality.FINAL)
    status = models.CharField(_("状態"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    entered_at = models.DateTimeField(_("入力日時"), null=True, blank=True)
    # Optimistic locking: a save must name the version it started from.
    version = models.PositiveIntegerField(default=1, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("実績値")
        verbose_name_plural = _("実績値")
        ordering = ["indicator", "fiscal_year"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "fiscal_year"], name="actual_value_unique"),
            # A figure measures its own year or an earlier one (a statistic published late), never a later one.
            models.CheckConstraint(
                condition=models.Q(data_period__isnull=True)
                | models.Q(data_period__lte=models.F("fiscal_year")),
                name="actual_value_data_period_not_later",
            ),
        ]

    def __str__(self):
        return f"{self.indicator.code} {self.fiscal_year}: {self.value}"

    @property
    def is_approved(self) -> bool:
        return self.status == self.Status.APPROVED

    @property
    def measured_year(self) -> int:
        """The fiscal year the figure measures: as entered, else by the indicator's lag."""
        if self.data_period is not None:
            return self.data_period
        return self.indicator.data_period_of(self.fiscal_year)

    @property
    def quality_symbol(self) -> str:
        """「p」 for a provisional figure, 「r」 for a revised one, "" for a final one."""
        return QUALITY_SYMBOLS.get(self.quality, "")


QUALITY_SYMBOLS = {ActualValue.Quality.PROVISIONAL: "p", ActualValue.Quality.REVISED: "r"}


class ShownFigure(NamedTuple):
    """What a table's cell shows of an entered figure: its value, status and quality, read as plain values
    (values_list in this order, after the indicator's id) rather than as an ActualValue, where hundreds or
    thousands are shown (a department page, the review workbook's other years). It answers the questions
    the marks and fonts ask (status, quality symbol, their labels) as the model does."""

    fiscal_year: int
    value: Decimal | None
    status: str
    quality: str

    def get_status_display(self) -> str:
        return ActualValue.Status(self.status).label

    def get_quality_display(self) -> str:
        return ActualValue.Quality(self.quality).label

    @property
    def quality_symbol(self) -> str:
        return QUALITY_SYMBOLS.get(self.quality, "")


class Submission(ChoiceLabels, models.Model):
    """A department's answer for one fiscal year, as the planning office reviews it."""

    class State(models.TextChoices):
        NOT_STARTED = "not_started", _("未入力")
        IN_PROGRESS = "in_progress", _("入力中")
        SUBMITTED = "submitted", _("提出済")
        RETURNED = "returned", _("差戻し")
        APPROVED = "approved", _("承認済")

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="submissions")
    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="submissions")
    fiscal_year = fiscal_year_field(_("年度"))
    state = models.CharField(_("状態"), max_length=12, choices=State.choices, default=State.NOT_STARTED)
    comment = models.TextField(_("審査コメント"), blank=True, **TEXT)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(_("提出日時"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("審査日時"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("提出")
        verbose_name_plural = _("提出")
        ordering = ["strategy", "fiscal_year", "department__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "strategy", "fiscal_year"], name="submission_unique"
            )
        ]

    def __str__(self):
        return f"{self.department} {self.fiscal_year}: {self.get_state_display()}"


class ReturnNoteQuerySet(models.QuerySet):
    def of_last_return(self, submission: Submission):
        """The notes of the submission's latest 差戻し, while it is returned or resubmitted after it.

        A return stamps its notes with the submission's reviewed_at; an approval moves reviewed_at on, so
        the questions of a return end with the approval that follows it.
        """
        waiting = (Submission.State.RETURNED, Submission.State.SUBMITTED)
        if submission.pk is None or submission.reviewed_at is None or submission.state not in waiting:
            return self.none()
        return self.filter(submission=submission, returned_at=submission.reviewed_at).select_related(
            "indicator"
        )


class ReturnNote(ChoiceLabels, models.Model):
    """The planning office's 指摘 on one indicator of a returned submission, and the row as it was then.

    The snapshot (value, note, cause_analysis, next_step, version) lets the re-review show what the
    department changed since the return. Each return adds its own notes; the latest return's are shown.
    """

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="return_notes")
    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="return_notes", verbose_name=_("指標")
    )
    comment = models.TextField(_("指摘"), **TEXT)
    returned_at = models.DateTimeField(_("差戻し日時"))
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The row when it was returned; version 0: no figure was stored.
    value = models.DecimalField(_("差戻し時の実績値"), null=True, blank=True, **NUMBER)
    note = models.TextField(_("差戻し時の備考"), blank=True, **TEXT)
    cause_analysis = models.TextField(_("差戻し時の要因分析"), blank=True, **TEXT)
    next_step = models.CharField(
        _("差戻し時の今後の方向性"), max_length=10, choices=NextStep.choices, blank=True
    )
    version = models.PositiveIntegerField(_("差戻し時の版"), default=0)
    history = HistoricalRecords()

    objects = ReturnNoteQuerySet.as_manager()

    class Meta:
        verbose_name = _("差戻しの指摘")
        verbose_name_plural = _("差戻しの指摘")
        ordering = ["submission", "-returned_at", "indicator"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "indicator", "returned_at"], name="return_note_once_per_return"
            )
        ]

    def __str__(self):
        return f"{self.indicator.code}: {self.comment[:30]}"


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace("、", ",").replace("，", ",").split(",") if part.strip()]


class CycleSettings(models.Model):
    """The planning office's settings of a strategy's yearly cycle: reminders and plausibility checks.

    A strategy without a stored row uses the defaults (CycleSettings.of(strategy) returns them unsaved).
    """

    strategy = models.OneToOneField(Strategy, on_delete=models.CASCADE, related_name="cycle_settings")
    reminder_days = models.CharField(
        _("締切前に督促する日（何日前、カンマ区切り）"),
        max_length=50,
        default="7,1",
        validators=[
            RegexValidator(
                r"^\s*\d{1,2}(\s*[,、，]\s*\d{1,2})*\s*\Z",
                _("「7,1」のように数字をカンマで区切って入力してください。"),
            )
        ],
    )
    ratio = models.DecimalField(
        _("期待値・前年度実績との差の警告（倍）"),
        max_digits=5,
        decimal_places=2,
        default=3,
        help_text=_("3 なら、期待値や前年度実績の3倍を超える値、3分の1未満の値に警告します。"),
    )
    warn_sign_change = models.BooleanField(_("符号が変わった値に警告する"), default=True)
    count_units = models.CharField(
        _("負にならない単位（カンマ区切り）"),
        max_length=200,
        default="人,件,回,校,冊,千人,円,g",
        blank=True,
        **TEXT,
    )
    percent_units = models.CharField(
        _("割合の単位（100を超えると警告、カンマ区切り）"), max_length=50, default="％,%", blank=True, **TEXT
    )
    warn_grades = models.CharField(
        _("警告する評価（カンマ区切り）"), max_length=50, default="C", blank=True, **TEXT
    )
    show_triangle = models.BooleanField(
        _("負の値を「△」で表示する"),
        default=False,
        help_text=_("町の印刷物と同じく、負の値を「△3」のように表示します（日本語の画面と帳票）。"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("年次サイクルの設定")
        verbose_name_plural = _("年次サイクルの設定")

    def __str__(self):
        return f"{self.strategy}"

    @classmethod
    def of(cls, strategy: Strategy) -> "CycleSettings":
        return cls.objects.filter(strategy=strategy).first() or cls(strategy=strategy)

    def clean(self):
        if self.ratio is not None and self.ratio <= 1:
            raise ValidationError({"ratio": _("1より大きい倍率を入力してください。")})

    @property
    def reminder_day_list(self) -> list[int]:
        return sorted({int(day) for day in _split(self.reminder_days)}, reverse=True)

    def thresholds(self):
        from kpis.rules.plausibility import Thresholds

        return Thresholds(
            ratio=self.ratio,
            sign_change=self.warn_sign_change,
            count_units=frozenset(_split(self.count_units)),
            percent_units=frozenset(_split(self.percent_units)),
            warn_grades=frozenset(_split(self.warn_grades)),
        )


class SentMail(ChoiceLabels, models.Model):
    """A reminder or notice mailed by the yearly cycle: who got what, when; never sent twice per event.

    `event` names what the mail was about (e.g. deadline-7:2025:kodomo, returned:<submission>:<history>):
    one row per recipient and event, so a daily run sends each reminder once.
    """

    class Kind(models.TextChoices):
        BEFORE_DEADLINE = "before", _("締切前の督促")
        AFTER_DEADLINE = "after", _("締切後の督促")
        RETURNED = "returned", _("差戻しのお知らせ")
        SUBMITTED = "submitted", _("提出のお知らせ")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("宛先")
    )
    address = models.EmailField(_("メールアドレス"))
    kind = models.CharField(_("種類"), max_length=10, choices=Kind.choices)
    event = models.CharField(_("事象"), max_length=120)
    subject = models.CharField(_("件名"), max_length=200)
    sent_at = models.DateTimeField(_("送信日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("送信したメール")
        verbose_name_plural = _("送信したメール")
        ordering = ["-sent_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["recipient", "event"], name="sent_mail_once")]

    def __str__(self):
        return f"{self.sent_at:%Y-%m-%d} {self.address} {self.subject}"


class StagedUpload(models.Model):
    """An upload's rows between its preview and its 確定 (kpis.importing.staging).

    In the database, not on one server's disk: with several app servers, the one that confirms an upload
    need not be the one that previewed it. Rows older than an hour are swept; nothing here is plan data,
    so backups leave it out.
    """

    token = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    filename = models.CharField(max_length=255)
    rows = models.TextField()  # compact JSON (kpis.importing.staging)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("取込待ちのファイル")
        verbose_name_plural = _("取込待ちのファイル")

    def __str__(self):
        return self.filename


class DataVersion(models.Model):
    """One counter that every committed change advances (kpis.versioning): the pages' ETags are made of it.

    `epoch` is drawn when the database is created, so that a database restored or rebuilt, whose counter
    starts again, never repeats a version an earlier one gave out."""

    SINGLETON = 1

    epoch = models.CharField(max_length=32, default="")
    value = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("データの版")
        verbose_name_plural = _("データの版")

    def __str__(self):
        return str(self.value)


class StoredResult(ChoiceLabels, models.Model):
    """One indicator's result in one fiscal year, for one audience, as kpis.rules.achievement computed it
    when one of its inputs last changed (kpis.rules.stored). Pages, exports and the API read these; nothing
    recomputes a rate or a grade on read.

    The internal audience counts every entered figure; the public one only approved figures (what readers
    without a role see). Values are kept exactly as computed (ExactDecimalField)."""

    class Audience(models.TextChoices):
        INTERNAL = "internal", _("職員・有識者向け（入力中の数値を含む）")
        PUBLIC = "public", _("公開（承認済みの数値のみ）")

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="results")
    fiscal_year = fiscal_year_field(_("年度"))
    audience = models.CharField(_("対象"), max_length=8, choices=Audience.choices)
    expected = ExactDecimalField(_("期待値"), null=True)
    actual = ExactDecimalField(_("実績値"), null=True)
    compared = ExactDecimalField(_("比較する値"), null=True)
    rate = ExactDecimalField(_("達成率"), null=True)
    grade = models.CharField(_("評価"), max_length=10)
    progress = ExactDecimalField(_("進捗率"), null=True)

    class Meta:
        verbose_name = _("計算済みの評価")
        verbose_name_plural = _("計算済みの評価")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "fiscal_year", "audience"], name="stored_result_unique"
            )
        ]

    def __str__(self):
        return f"{self.indicator_id} {self.fiscal_year} {self.audience}: {self.grade}"
