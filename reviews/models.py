"""The Check → Action half of the PDCA cycle: evaluations, meetings, the council's opinions and responses."""

import datetime

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from goals.models import TEXT, Goal, Policy, Strategy
from kpis.models import Indicator, NextStep
from lib.choices import ChoiceLabels
from lib.fields import fiscal_year_field


class GoalEvaluation(models.Model):
    """The planning office's overall evaluation (総合評価) of one basic goal for one fiscal year."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="evaluations")
    fiscal_year = fiscal_year_field(_("年度"))
    text = models.TextField(_("総合評価"), **TEXT)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("総合評価")
        verbose_name_plural = _("総合評価")
        ordering = ["fiscal_year", "goal__number"]
        constraints = [models.UniqueConstraint(fields=["goal", "fiscal_year"], name="goal_evaluation_unique")]

    def __str__(self):
        return f"{self.goal.code} {self.fiscal_year}"


class PolicyDirection(ChoiceLabels, models.Model):
    """The direction of a policy's coming action, proposed from its KPIs' 今後の方向性."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="directions")
    fiscal_year = fiscal_year_field(_("年度"))
    direction = models.CharField(_("今後の方向性"), max_length=10, choices=NextStep.choices)
    note = models.TextField(_("補足"), blank=True, **TEXT)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("施策の方向性")
        verbose_name_plural = _("施策の方向性")
        ordering = ["fiscal_year", "policy__code"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "fiscal_year"], name="policy_direction_unique")
        ]

    def __str__(self):
        return f"{self.policy.code} {self.fiscal_year}: {self.get_direction_display()}"


class MeetingQuerySet(models.QuerySet):
    def upcoming(self, today: datetime.date):
        """Meetings on or after `today`, the soonest first."""
        return self.filter(date__gte=today).order_by("date", "pk")

    def past(self, today: datetime.date):
        """Meetings before `today`, the newest first."""
        return self.filter(date__lt=today).order_by("-date", "-pk")

    def next_or_latest(self, today: datetime.date) -> "Meeting | None":
        """The next meeting (the first on or after `today`); when none is planned, the latest one held."""
        return self.upcoming(today).first() or self.past(today).first()


# Form limits of a meeting's texts: a long agenda, one attendee a line, minutes of a few pages.
AGENDA_MAX_LENGTH = 4000
ATTENDEES_MAX_LENGTH = 4000
MINUTES_MAX_LENGTH = 50_000


class Meeting(ChoiceLabels, models.Model):
    class Body(models.TextChoices):
        COUNCIL = "council", _("創生有識者会議")
        HEADQUARTERS = "headquarters", _("創生本部会議")
        ASSEMBLY = "assembly", _("議会への報告")
        OTHER = "other", _("その他")

    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="meetings")
    fiscal_year = fiscal_year_field(_("審議する年度"))
    body = models.CharField(_("会議体"), max_length=20, choices=Body.choices, default=Body.COUNCIL)
    name = models.CharField(_("会議名"), max_length=200, **TEXT)
    date = models.DateField(_("開催日"))
    agenda = models.TextField(_("議題"), max_length=AGENDA_MAX_LENGTH, blank=True, **TEXT)
    attendees = models.TextField(
        _("出席者"),
        max_length=ATTENDEES_MAX_LENGTH,
        blank=True,
        help_text=_("1行に1人ずつ入力してください（例：阿見 太郎（○○大学 教授））。"),
        **TEXT,
    )
    minutes = models.TextField(_("議事要旨"), max_length=MINUTES_MAX_LENGTH, blank=True, **TEXT)
    history = HistoricalRecords()

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("会議")
        verbose_name_plural = _("会議")
        ordering = ["-date", "name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("reviews:meeting", args=[self.pk])

    @property
    def attendee_list(self) -> list[str]:
        """The attendees, one a line, blank lines left out."""
        return [line.strip() for line in self.attendees.splitlines() if line.strip()]


class MeetingDocumentQuerySet(models.QuerySet):
    def described(self):
        """Everything but the file's bytes: what a page shows about it."""
        return self.defer("data")


class MeetingDocument(models.Model):
    """A file attached to a meeting (its minutes as PDF, Word or Excel), kept in the database itself so
    that the application servers hold no files of their own. Its history records who attached, replaced
    or removed which file (name, size and SHA-256), not the bytes."""

    meeting = models.OneToOneField(
        Meeting, on_delete=models.CASCADE, related_name="document", verbose_name=_("会議")
    )
    filename = models.CharField(_("ファイル名"), max_length=200, **TEXT)
    content_type = models.CharField(_("形式"), max_length=100)
    size = models.PositiveIntegerField(_("サイズ（バイト）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    data = models.BinaryField(_("内容"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("登録者"),
    )
    uploaded_at = models.DateTimeField(_("登録日時"))
    history = HistoricalRecords(excluded_fields=["data"])

    objects = MeetingDocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("会議の添付ファイル")
        verbose_name_plural = _("会議の添付ファイル")

    def __str__(self):
        return self.filename

    def get_absolute_url(self):
        return reverse("reviews:meeting_document", args=[self.meeting_id])


class OpinionQuerySet(models.QuerySet):
    def carried_into(self, strategy, fiscal_year: int):
        """What a fiscal year's pages show: its own opinions, last year's, and older ones still unsettled."""
        return self.filter(strategy=strategy).filter(
            models.Q(fiscal_year__in=[fiscal_year, fiscal_year - 1])
            | models.Q(fiscal_year__lt=fiscal_year - 1, follow_up__in=Opinion.FollowUp.unsettled())
        )

    def with_related(self):
        return self.select_related("meeting", "goal", "indicator", "author", "responded_by")


class Opinion(ChoiceLabels, models.Model):
    """An opinion or proposal (意見・提言) on the whole plan, a goal or an indicator, and its response."""

    class FollowUp(models.TextChoices):
        OPEN = "open", _("未対応")
        IN_PROGRESS = "in_progress", _("対応中")
        DONE = "done", _("対応済")
        DECLINED = "declined", _("対応しない")

        @classmethod
        def unsettled(cls):
            return [cls.OPEN, cls.IN_PROGRESS]

    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="opinions")
    fiscal_year = fiscal_year_field(_("年度"))
    meeting = models.ForeignKey(
        Meeting, on_delete=models.PROTECT, related_name="opinions", verbose_name=_("会議")
    )
    goal = models.ForeignKey(
        Goal,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opinions",
        verbose_name=_("基本目標"),
    )
    indicator = models.ForeignKey(
        Indicator,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opinions",
        verbose_name=_("指標"),
    )
    speaker = models.CharField(_("発言者"), max_length=100, **TEXT)
    text = models.TextField(_("意見・提言"), **TEXT)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="opinions",
        verbose_name=_("登録者"),
    )
    response = models.TextField(_("対応方針"), blank=True, **TEXT)
    follow_up = models.CharField(
        _("対応状況"), max_length=12, choices=FollowUp.choices, default=FollowUp.OPEN
    )
    follow_up_reason = models.TextField(_("対応しない理由"), blank=True, **TEXT)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    responded_at = models.DateTimeField(_("回答日時"), null=True, blank=True)
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)
    history = HistoricalRecords()

    objects = OpinionQuerySet.as_manager()

    class Meta:
        verbose_name = _("意見・提言")
        verbose_name_plural = _("意見・提言")
        ordering = ["fiscal_year", "meeting__date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(follow_up="declined") | ~models.Q(follow_up_reason=""),
                name="opinion_declined_has_reason",
            )
        ]

    def __str__(self):
        return f"{self.fiscal_year} {self.subject_label}: {self.text[:30]}"

    @property
    def subject_label(self) -> str:
        if self.indicator_id:
            return str(self.indicator)
        if self.goal_id:
            return str(self.goal)
        return str(_("計画全体"))

    @property
    def is_settled(self) -> bool:
        return self.follow_up not in self.FollowUp.unsettled()
