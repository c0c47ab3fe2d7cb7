"""A meeting pack that takes longer than the first request's wait, in a real browser: the page saying it is
being made asks again by itself (static/js/pack_status.js, no reload of the page) until it opens the PDF."""

import datetime
import threading

from goals.models import Strategy
from reports.models import PackBuild
from reports.pack import builds
from reviews.models import Meeting
from tests.support.browser import axe_violations, login, screenshot


def test_a_pack_being_made_opens_in_the_browser_once_it_is_ready(page, site, settings, monkeypatch):
    settings.PACK_BUILD_IN_BACKGROUND = True
    settings.PACK_BUILD_WAIT_SECONDS = 0  # the first answer is always the page saying it is being made
    release = threading.Event()

    def slow_pack(pack, paper):
        release.wait(20)
        return b"%PDF-1.7\n%made in the background\n"

    monkeypatch.setattr(builds, "pack_pdf", slow_pack)
    meeting = Meeting.objects.create(
        strategy=Strategy.objects.get(code="dai3ki"),
        fiscal_year=2025,
        name="第1回",
        date=datetime.date(2026, 7, 15),
    )
    login(page, site, "demo-council")
    page.goto(f"{site}/meetings/{meeting.pk}/")
    with page.expect_response(lambda r: r.url.endswith("pack.pdf?paper=a3")) as first:
        page.get_by_role("link", name="A3横で作成").click()
    assert first.value.status == 202
    assert (
        page.get_by_role("status").inner_text() == "会議資料を作成しています。計画が大きいと数分かかります。"
    )
    assert axe_violations(page) == []
    screenshot(page, "56-meeting-pack-being-made")

    release.set()
    # The page asks again after 5 seconds; the browser then gets the PDF at the same address.
    with page.expect_response(
        lambda r: "pack.pdf?paper=a3" in r.url and r.headers.get("content-type") == "application/pdf",
        timeout=20_000,
    ) as ready:
        pass
    assert ready.value.status == 200
    # Chromium hands the PDF to its viewer (which wraps it in a page of its own): the address is the pack's.
    assert page.url == f"{site}/meetings/{meeting.pk}/pack.pdf?paper=a3"
    made = PackBuild.objects.get()
    assert made.status == PackBuild.Status.DONE and bytes(made.pdf) == b"%PDF-1.7\n%made in the background\n"
