"""Meeting packs made once per data version, in the background, and kept in the database (reports.pack.builds).

The renderer is replaced by a stub that records what it was asked for: what is proven here is when a pack
is made, kept, served, made again, taken over or retried — not its layout (test_meeting_pack.py).
"""

import datetime
import logging
import threading
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from kpis import versioning
from reports.models import PackBuild
from reports.pack import builds
from reviews.models import Meeting
from tests.support.factories import make_user


class Renderer:
    """Stands in for reports.pack.pdf.pack_pdf: records each call (paper, language), returns numbered PDFs."""

    def __init__(self, fail: bool = False):
        self.calls: list[tuple[str, str]] = []
        self.fail = fail
        self.release = threading.Event()
        self.release.set()

    def __call__(self, pack, paper):
        self.calls.append((paper, translation.get_language()))
        self.release.wait(10)
        if self.fail:
            raise RuntimeError("layout failed\x00\n<b>")
        return f"%PDF-{len(self.calls)}".encode()


@pytest.fixture
def renderer(monkeypatch):
    stub = Renderer()
    monkeypatch.setattr(builds, "pack_pdf", stub)
    return stub


@pytest.fixture
def meeting(plan):
    return Meeting.objects.create(
        strategy=plan, fiscal_year=2025, name="第1回<b>創生</b>有識者会議", date=datetime.date(2026, 7, 15)
    )


def url(meeting, query=""):
    return reverse("pack:meeting_pack", args=[meeting.pk]) + query


def test_a_pack_is_made_once_and_served_again_while_nothing_changes(client_as, meeting, renderer):
    client = client_as("council")
    first, second = client.get(url(meeting)), client_as("planning").get(url(meeting))
    assert first.status_code == second.status_code == 200
    assert first["Content-Type"] == "application/pdf"
    assert first.content == second.content == b"%PDF-1"
    assert renderer.calls == [("a4", "ja")]
    assert list(PackBuild.objects.values_list("status", flat=True)) == [PackBuild.Status.DONE]


def test_each_paper_and_language_is_a_pack_of_its_own(client_as, meeting, renderer, settings):
    client = client_as("council")
    assert client.get(url(meeting, "?paper=a3")).content == b"%PDF-1"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert client.get(url(meeting)).content == b"%PDF-2"
    assert client.get(url(meeting, "?paper=a3")).content == b"%PDF-3"
    assert renderer.calls == [("a3", "ja"), ("a4", "en"), ("a3", "en")]
    assert PackBuild.objects.count() == 3


def test_a_change_or_a_new_day_makes_a_new_pack_and_drops_the_old(client_as, meeting, renderer, monkeypatch):
    client = client_as("council")
    assert client.get(url(meeting)).content == b"%PDF-1"
    versioning.advance()  # a committed change (a test's own writes are rolled back, never committed)
    assert client.get(url(meeting)).content == b"%PDF-2"
    tomorrow = timezone.localdate() + timedelta(days=1)
    monkeypatch.setattr(builds.timezone, "localdate", lambda: tomorrow)
    assert client.get(url(meeting)).content == b"%PDF-3"
    assert list(PackBuild.objects.values_list("day", flat=True)) == [tomorrow]


def test_a_failed_pack_says_so_is_logged_and_is_made_again_only_when_asked(
    client_as, meeting, renderer, caplog
):
    renderer.fail = True
    client = client_as("staff_own")
    with caplog.at_level(logging.ERROR, logger="ami_strategy.pack"):
        failed = client.get(url(meeting, "?paper=a3"))
    assert failed.status_code == 503
    page = failed.content.decode()
    assert "会議資料を作成できませんでした" in page
    assert "pack_status" not in page  # never retried in a loop
    assert url(meeting, "?paper=a3&amp;retry=1") in page
    assert "layout failed" in caplog.text
    assert PackBuild.objects.get().error == "RuntimeError: layout failed  <b>"  # stored without a NUL
    assert client.get(url(meeting, "?paper=a3")).status_code == 503
    assert len(renderer.calls) == 1
    renderer.fail = False
    retried = client.get(url(meeting, "?paper=a3&retry=1"))
    assert retried.status_code == 200 and retried.content == b"%PDF-2"
    assert client.get(url(meeting, "?paper=a3&retry=1")).content == b"%PDF-2"  # a made pack is not remade
    assert len(renderer.calls) == 2


def _build_started(
    meeting, minutes_ago: float, language: str = "ja", alive_ago: float | None = None
) -> PackBuild:
    """A build of the A4 pack for the data now, started `minutes_ago` and last alive `alive_ago` (as started)."""
    with translation.override(language):
        key = builds._key(meeting, "a4")
    now = timezone.now()
    return PackBuild.objects.create(
        **key,
        started_at=now - timedelta(minutes=minutes_ago),
        alive_at=now - timedelta(minutes=minutes_ago if alive_ago is None else alive_ago),
    )


def test_a_pack_being_made_answers_202_with_a_page_that_asks_again(client_as, meeting, renderer, settings):
    # Started an hour ago but alive a moment ago: a long build, still being made, is not started twice.
    _build_started(meeting, minutes_ago=60, alive_ago=settings.PACK_BUILD_STALE_MINUTES - 0.5)
    response = client_as("council").get(url(meeting))
    assert response.status_code == 202
    assert response["Cache-Control"] == "private, no-store"
    page = response.content.decode()
    assert f'data-check-url="{url(meeting)}?check=1" data-pack-url="{url(meeting)}"' in page
    assert "js/pack_status" in page and 'http-equiv="refresh"' not in page  # asks again without a reload
    assert "会議資料を作成しています" in page
    assert "第1回&lt;b&gt;創生&lt;/b&gt;有識者会議" in page
    assert renderer.calls == []


def test_a_build_not_heard_of_past_its_limit_is_taken_over_once(
    client_as, meeting, renderer, settings, caplog
):
    stale = _build_started(meeting, minutes_ago=settings.PACK_BUILD_STALE_MINUTES + 0.5)
    seen_by_both = PackBuild.objects.get(pk=stale.pk)
    assert builds._take_over(seen_by_both) is True
    assert builds._take_over(seen_by_both) is False  # the second reader of the same row starts nothing
    PackBuild.objects.filter(pk=stale.pk).update(alive_at=seen_by_both.alive_at)
    with caplog.at_level(logging.WARNING, logger="ami_strategy.pack"):
        response = client_as("council").get(url(meeting))
    assert response.content == b"%PDF-1"
    assert "started again" in caplog.text


def test_two_requests_at_once_start_one_build(meeting, renderer, monkeypatch, settings):
    """The second request looked before the first inserted its row: its insert meets the unique constraint,
    and it answers with the first's build, starting nothing."""
    other = _build_started(meeting, minutes_ago=0)
    real = builds._found
    looks: list[dict] = []
    monkeypatch.setattr(
        builds, "_found", lambda key: real(key) if looks.append(key) or len(looks) > 1 else None
    )
    with translation.override("ja"):
        found = builds.pack_for(meeting, "a4")
    assert found.pk == other.pk and found.status == PackBuild.Status.BUILDING
    assert len(looks) == 2 and renderer.calls == []
    assert PackBuild.objects.count() == 1


def test_only_a_role_that_reads_the_meeting_gets_its_pack_or_starts_one(client, meeting, renderer):
    client.force_login(make_user("no-role", None))
    assert client.get(url(meeting)).status_code == 403
    failed = _build_started(meeting, minutes_ago=0)
    PackBuild.objects.filter(pk=failed.pk).update(status=PackBuild.Status.FAILED)
    assert client.get(url(meeting, "?retry=1")).status_code == 403
    assert Client().get(url(meeting, "?retry=1")).status_code == 302
    assert PackBuild.objects.get().status == PackBuild.Status.FAILED
    assert renderer.calls == []


@pytest.mark.django_db(transaction=True)
def test_a_long_pack_is_made_in_the_background_and_served_when_ready(
    plan, users, renderer, settings, monkeypatch
):
    """Committed rows, a real thread: the first request answers 202 after its wait, a second reader finds the
    same build, which says it is alive while it is made, and once the thread has stored the pack every request
    gets it from the database."""
    monkeypatch.setattr(builds, "HEARTBEAT_SECONDS", 0.05)
    settings.PACK_BUILD_IN_BACKGROUND = True
    settings.PACK_BUILD_WAIT_SECONDS = 0.2
    meeting = Meeting.objects.create(
        strategy=plan, fiscal_year=2025, name="第2回", date=datetime.date(2026, 11, 1)
    )
    council, planning = Client(), Client()
    council.force_login(users["council"])
    planning.force_login(users["planning"])
    renderer.release.clear()
    assert council.get(url(meeting)).status_code == 202
    assert planning.get(url(meeting)).status_code == 202
    build = PackBuild.objects.get()
    assert build.status == PackBuild.Status.BUILDING and len(renderer.calls) == 1
    deadline = time.monotonic() + 10
    while PackBuild.objects.get().alive_at == build.alive_at and time.monotonic() < deadline:
        time.sleep(0.05)
    assert PackBuild.objects.get().alive_at > build.alive_at  # a sign of life while the layout runs
    renderer.release.set()
    worker = next(t for t in threading.enumerate() if t.name == f"meeting-pack-{build.pk}")
    worker.join(10)
    assert not worker.is_alive()
    response = planning.get(url(meeting))
    assert response.status_code == 200 and response.content == b"%PDF-1"
    assert len(renderer.calls) == 1


def test_the_pages_of_a_pack_being_made_or_failed_read_in_english(client_as, meeting, renderer, settings):
    client = client_as("council")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    building = _build_started(meeting, minutes_ago=0, language="en")
    page = client.get(url(meeting)).content.decode()
    assert "The meeting pack is being made" in page and "checked every 5 seconds" in page
    PackBuild.objects.filter(pk=building.pk).update(status=PackBuild.Status.FAILED)
    page = client.get(url(meeting)).content.decode()
    assert "The meeting pack could not be made." in page and "Try again" in page
    assert "作成" not in page


def test_the_page_being_made_asks_whether_the_pack_is_ready_without_waiting(
    client_as, meeting, renderer, settings
):
    settings.PACK_BUILD_WAIT_SECONDS = 60  # ?check=1 never waits, whatever the first request would
    client = client_as("council")
    building = _build_started(meeting, minutes_ago=0)
    check = client.get(url(meeting, "?check=1"))
    assert check.status_code == 200 and check.json() == {"status": "building"}
    assert check["Cache-Control"] == "private, no-store"
    PackBuild.objects.filter(pk=building.pk).update(status=PackBuild.Status.FAILED)
    assert client.get(url(meeting, "?check=1")).json() == {"status": "failed"}
    assert client.get(url(meeting, "?check=1&retry=1")).json() == {
        "status": "failed"
    }  # asking retries nothing
    PackBuild.objects.filter(pk=building.pk).update(status=PackBuild.Status.DONE, pdf=b"%PDF-made")
    assert client.get(url(meeting, "?check=1")).json() == {"status": "done"}
    assert client.get(url(meeting, "?paper=a3&check=1")).json() == {
        "status": "done"
    }  # made in the request here
    assert renderer.calls == [("a3", "ja")]
    assert client_as("anonymous").get(url(meeting, "?check=1")).status_code == 302


def test_a_build_whose_meeting_was_deleted_meanwhile_ends_quietly(meeting, renderer):
    gone = _build_started(meeting, minutes_ago=0)
    meeting.delete()
    assert not PackBuild.objects.exists()
    builds.build(gone.pk)
    assert renderer.calls == [] and not PackBuild.objects.exists()
