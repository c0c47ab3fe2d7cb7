"""The plan's structure: strategy, visions, basic goals, measures, policies, departments."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from goals.history import ReverseAwareHistoricalRecords
from lib.text import no_control_characters

# Every text a person types is refused when it holds an invisible control character (lib.text); the
# other apps' models use the same.
TEXT = {"validators": [no_control_characters]}


class StrategyQuerySet(models.QuerySet):
    def current(self):
        """The strategy the app shows: the active one with the latest plan years.

        With its cycle settings (kpis.CycleSettings, one-to-one, maybe none) in the same query: every page
        asks them how to show negative numbers (kpis.display)."""
        return (
            self.filter(is_active=True).select_related("cycle_settings").order_by("-first_year", "pk").first()
        )


class Strategy(models.Model):
    code = models.SlugField(_("コード"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=200, **TEXT)
    subtitle = models.CharField(_("副題"), max_length=200, blank=True, **TEXT)
    purpose = models.TextField(_("目的"), blank=True, **TEXT)
    first_year = models.PositiveSmallIntegerField(_("計画初年度"))
    last_year = models.PositiveSmallIntegerField(_("計画最終年度"))
    baseline_year = models.PositiveSmallIntegerField(_("基準年度"))
    # Active plans may be the current one (the latest first year wins); a plan being drafted is loaded
    # inactive and browsed at /plans/<code>/ until the planning office makes it current.
    is_active = models.BooleanField(_("有効"), default=True)
    # An ended plan stays browsable but takes no more changes (accounts.strategy.PlanPrefix refuses them).
    # db_default: rows written by code that predates the column (an older migration's model) are open plans.
    is_closed = models.BooleanField(_("終了（閲覧のみ）"), default=False, db_default=False)
    # Set by the demo loader: every page then says the figures are invented.
    has_demo_data = models.BooleanField(_("デモデータを含む"), default=False, editable=False)
    history = HistoricalRecords()

    objects = StrategyQuerySet.as_manager()

    class Meta:
        verbose_name = _("総合戦略")
        verbose_name_plural = _("総合戦略")
        ordering = ["first_year"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(first_year__lte=models.F("last_year")), name="strategy_years_in_order"
            ),
            models.CheckConstraint(
                condition=models.Q(baseline_year__lt=models.F("first_year")),
                name="strategy_baseline_before_plan",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def plan_years(self) -> list[int]:
        return list(range(self.first_year, self.last_year + 1))


class Vision(models.Model):
    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="visions")
    number = models.PositiveSmallIntegerField(_("番号"))
    theme = models.CharField(_("テーマ"), max_length=50, **TEXT)
    title = models.CharField(_("名称"), max_length=200, **TEXT)
    # The basic goals working toward the vision (the plan's diagram 「地域ビジョンと基本目標の関係」).
    goals = models.ManyToManyField(
        "Goal", blank=True, related_name="visions", verbose_name=_("関係する基本目標")
    )
    # Links changed from either side (a vision's form, goal.visions) are recorded on the vision.
    history = ReverseAwareHistoricalRecords(m2m_fields=[goals])

    class Meta:
        verbose_name = _("地域ビジョン")
        verbose_name_plural = _("地域ビジョン")
        ordering = ["strategy", "number"]
        constraints = [models.UniqueConstraint(fields=["strategy", "number"], name="vision_number_unique")]

    def __str__(self):
        return f"{self.theme}：{self.title}"


class Goal(models.Model):
    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="goals")
    code = models.CharField(_("コード"), max_length=20, **TEXT)
    number = models.PositiveSmallIntegerField(_("番号"))
    title = models.CharField(_("名称"), max_length=200, **TEXT)
    description = models.TextField(_("説明"), blank=True, **TEXT)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("基本目標")
        verbose_name_plural = _("基本目標")
        ordering = ["strategy", "number"]
        constraints = [models.UniqueConstraint(fields=["strategy", "code"], name="goal_code_unique")]

    def __str__(self):
        return f"{self.code} {self.title}"

    def get_absolute_url(self):
        return reverse("dashboards:goal", args=[self.code])


class Measure(models.Model):
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="measures")
    code = models.CharField(_("コード"), max_length=20, **TEXT)
    number = models.PositiveSmallIntegerField(_("番号"))
    title = models.CharField(_("名称"), max_length=200, **TEXT)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("施策の方向")
        verbose_name_plural = _("施策の方向")
        ordering = ["goal__number", "number"]
        constraints = [models.UniqueConstraint(fields=["goal", "code"], name="measure_code_unique")]

    def __str__(self):
        return f"{self.code} {self.title}"

    @property
    def circled_number(self) -> str:
        return chr(0x2460 + self.number - 1) if 1 <= self.number <= 20 else str(self.number)


class Policy(models.Model):
    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="policies")
    code = models.CharField(_("コード"), max_length=30, **TEXT)
    number = models.PositiveSmallIntegerField(_("番号"))
    title = models.CharField(_("名称"), max_length=300, **TEXT)
    is_digital = models.BooleanField(_("デジタル活用"), default=False)
    reposted_from = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reposts",
        verbose_name=_("再掲元"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("施策")
        verbose_name_plural = _("施策")
        ordering = ["measure__goal__number", "measure__number", "number"]
        constraints = [models.UniqueConstraint(fields=["measure", "code"], name="policy_code_unique")]

    def __str__(self):
        return f"{self.code} {self.title}"

    @property
    def is_repost(self) -> bool:
        return self.reposted_from_id is not None


class Department(models.Model):
    code = models.SlugField(_("コード"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100, unique=True, **TEXT)
    order = models.PositiveSmallIntegerField(_("表示順"), default=0)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="departments", verbose_name=_("所属職員")
    )
    # Members join and leave from either side (the department's form, a user's roles): both are recorded.
    history = ReverseAwareHistoricalRecords(m2m_fields=[members])

    class Meta:
        verbose_name = _("担当課")
        verbose_name_plural = _("担当課")
        ordering = ["order", "code"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("dashboards:department", args=[self.code])
