"""Meeting packs made once, in the background, and kept in the database until the data changes.

A pack at the real size takes seconds to lay out; a plan a hundred times larger takes minutes, far longer
than a request may last. So a pack is made once per meeting, paper, language, data version and day (a
`PackBuild` row, unique on those), by a background thread of the app server that was asked first, and
stored in the database: every app server serves it from there until something changes.

- The request that finds no build creates the row and starts the thread; a second request at the same
  moment finds the row (the unique constraint decides) and starts nothing.
- The request that started a build waits up to PACK_BUILD_WAIT_SECONDS for it, so a small plan's pack still
  opens at once; a longer one answers with a page that asks again until the pack is ready, then opens it.
- While a pack is made, a second thread marks its row alive every HEARTBEAT_SECONDS. A build still marked
  作成中 but not heard of for PACK_BUILD_STALE_MINUTES belonged to a server that stopped (a restart during a
  deployment): the next request takes it over (one request only: the row's last sign of life is compared
  and set in one UPDATE). A long build that is alive is never started twice, however long it takes.
- A build that fails is recorded as failed, with its error logged; it is tried again only when someone asks
  (`retry`), never in a loop.

Nothing is kept in one process: a server that stops mid-build leaves a row that another takes over.
"""

import logging
import threading
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, close_old_connections, connections, transaction
from django.utils import timezone, translation

from kpis import versioning
from reports.models import PackBuild
from reports.pack.data import meeting_pack
from reports.pack.pdf import pack_pdf
from reviews.models import Meeting

logger = logging.getLogger("ami_strategy.pack")

# The row without its PDF: what the status checks read.
STATUS_FIELDS = (
    "meeting_id",
    "paper",
    "language",
    "data_version",
    "day",
    "status",
    "started_at",
    "alive_at",
    "error",
)
# How often a build being made says it is alive.
HEARTBEAT_SECONDS = 20


def _key(meeting: Meeting, paper: str) -> dict:
    return {
        "meeting": meeting,
        "paper": paper,
        "language": translation.get_language() or settings.LANGUAGE_CODE,
        "data_version": versioning.current(),
        "day": timezone.localdate(),
    }


def _stale_before():
    """Builds still 作成中 whose last sign of life is older than this belonged to a server that stopped."""
    return timezone.now() - timedelta(minutes=settings.PACK_BUILD_STALE_MINUTES)


def _stale(build: PackBuild) -> bool:
    return build.status == PackBuild.Status.BUILDING and build.alive_at < _stale_before()


def _found(key: dict) -> PackBuild | None:
    return PackBuild.objects.only(*STATUS_FIELDS).filter(**key).first()


def pack_for(meeting: Meeting, paper: str, wait: float | None = None) -> PackBuild:
    """The build of `meeting`'s pack for the data as it is now, started if there is none (its PDF not read).

    Waits up to `wait` seconds (PACK_BUILD_WAIT_SECONDS by default) for a build this call started."""
    key = _key(meeting, paper)
    build = _found(key)
    if build is None:
        try:
            with transaction.atomic():
                now = timezone.now()
                build = PackBuild.objects.create(**key, started_at=now, alive_at=now)
        except IntegrityError:  # another request created it a moment ago: that one builds it
            return _found(key) or pack_for(meeting, paper, wait)
    elif not (_stale(build) and _take_over(build)):
        return build
    worker = start(build.pk)
    if worker is not None:
        worker.join(settings.PACK_BUILD_WAIT_SECONDS if wait is None else wait)
    return PackBuild.objects.only(*STATUS_FIELDS).get(pk=build.pk)


def _take_over(build: PackBuild) -> bool:
    """Claim a stale build: true for the one request whose UPDATE found the last sign of life it read."""
    now = timezone.now()
    claimed = PackBuild.objects.filter(pk=build.pk, status=build.status, alive_at=build.alive_at).update(
        started_at=now, alive_at=now
    )
    if claimed:
        logger.warning(
            "meeting pack: build %s was still running after its time limit; started again", build.pk
        )
    return bool(claimed)


def retry(build: PackBuild) -> PackBuild:
    """Start a failed build again (only a failed one, once however many ask at the same moment)."""
    restarted = PackBuild.objects.filter(pk=build.pk, status=PackBuild.Status.FAILED).update(
        status=PackBuild.Status.BUILDING, started_at=timezone.now(), alive_at=timezone.now(), error=""
    )
    if restarted:
        worker = start(build.pk)
        if worker is not None:
            worker.join(settings.PACK_BUILD_WAIT_SECONDS)
    return PackBuild.objects.only(*STATUS_FIELDS).get(pk=build.pk)


def pdf_of(build: PackBuild) -> bytes:
    return bytes(PackBuild.objects.filter(pk=build.pk).values_list("pdf", flat=True).get())


def start(pk: int) -> threading.Thread | None:
    """Make build `pk` in a background thread (PACK_BUILD_IN_BACKGROUND), or here and now."""
    if not settings.PACK_BUILD_IN_BACKGROUND:
        build(pk)
        return None
    worker = threading.Thread(target=_in_background, args=(pk,), name=f"meeting-pack-{pk}", daemon=True)
    worker.start()
    return worker


def _in_background(pk: int) -> None:
    close_old_connections()
    try:
        build(pk)
    finally:
        connections.close_all()  # the thread's own connections, which nothing else would close


def _printable(error: Exception) -> str:
    """The error's text as a column holds it (PostgreSQL refuses a NUL; the full one is in the log)."""
    return "".join(c if c.isprintable() else " " for c in f"{type(error).__name__}: {error}")[:200]


def build(pk: int) -> None:
    """Lay out build `pk`'s pack and store it, or record that it failed; alive all the while."""
    with _alive(pk):
        _make(pk)


@contextmanager
def _alive(pk: int):
    """Mark build `pk` alive every HEARTBEAT_SECONDS (from a thread of its own, with its own connection)
    until the block ends."""
    done = threading.Event()

    def beat():
        try:
            while not done.wait(HEARTBEAT_SECONDS):
                PackBuild.objects.filter(pk=pk, status=PackBuild.Status.BUILDING).update(
                    alive_at=timezone.now()
                )
        finally:
            connections.close_all()

    beater = threading.Thread(target=beat, name=f"meeting-pack-{pk}-alive", daemon=True)
    beater.start()
    try:
        yield
    finally:
        done.set()
        beater.join()


def _make(pk: int) -> None:
    row = PackBuild.objects.defer("pdf").select_related("meeting__strategy").filter(pk=pk).first()
    if row is None:  # its meeting was deleted, and the build with it, before the build began
        return
    try:
        with translation.override(row.language):
            pdf = pack_pdf(meeting_pack(row.meeting.strategy, row.meeting), row.paper)
    except Exception as error:
        logger.exception("meeting pack: build %s of meeting %s failed", pk, row.meeting_id)
        PackBuild.objects.filter(pk=pk).update(
            status=PackBuild.Status.FAILED, finished_at=timezone.now(), error=_printable(error)
        )
        return
    with transaction.atomic():
        PackBuild.objects.filter(pk=pk).update(
            status=PackBuild.Status.DONE, pdf=pdf, finished_at=timezone.now()
        )
        # The older builds of the same pack are for data or a day that is gone (one still being made is left
        # to finish, unless its server stopped); a newer one is left alone.
        PackBuild.objects.filter(
            meeting_id=row.meeting_id, paper=row.paper, language=row.language, pk__lt=pk
        ).exclude(status=PackBuild.Status.BUILDING, alive_at__gte=_stale_before()).delete()
