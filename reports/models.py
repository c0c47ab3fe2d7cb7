"""The reports' one table: meeting packs made once and kept in the database (reports.pack.builds)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from lib.choices import ChoiceLabels
from reviews.models import Meeting


class PackBuild(ChoiceLabels, models.Model):
    """A meeting pack (会議資料) as made for one meeting, paper, language, data version and day.

    The PDF is kept here, in the database every app server shares, not on one server's disk: a pack asked
    for through one server and finished by it is served by any other. A new data version (any committed
    change) or a new day asks for a new build; the older builds of the same meeting, paper and language are
    deleted when it is done.
    """

    class Status(models.TextChoices):
        BUILDING = "building", _("作成中")
        DONE = "done", _("作成済み")
        FAILED = "failed", _("作成できませんでした")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="pack_builds")
    paper = models.CharField(max_length=2)  # reports.pack.pdf.PAPERS
    language = models.CharField(max_length=10)
    data_version = models.CharField(max_length=64)  # kpis.versioning.current()
    day = models.DateField()  # the pack is dated, and a late figure's 公表待ち depends on the day
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BUILDING)
    started_at = models.DateTimeField()
    # Set while it is made, every HEARTBEAT_SECONDS (reports.pack.builds): a build not heard of for
    # PACK_BUILD_STALE_MINUTES belonged to a server that stopped.
    alive_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    pdf = models.BinaryField(null=True, editable=False)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "paper", "language", "data_version", "day"], name="pack_build_once"
            )
        ]

    def __str__(self):
        return f"{self.meeting_id} {self.paper} {self.language} {self.data_version} {self.day} {self.status}"
