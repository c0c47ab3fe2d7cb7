"""A council member acts for themselves: an opinion from the goal page being read, their own list; the
planning office records a meeting's agenda, attendees and minutes file. At 390, 768 and 1366 px."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from goals.models import Goal, Strategy
from reviews.models import Meeting, MeetingDocument, Opinion
from tests.support.browser import axe_violations, login, screenshot
from tests.support.documents import pdf_bytes


def meetings() -> tuple[Meeting, Meeting]:
    strategy = Strategy.objects.get()
    today = timezone.localdate()
    held = Meeting.objects.create(
        strategy=strategy,
        fiscal_year=2025,
        name="令和7年度第1回創生有識者会議",
        date=today - datetime.timedelta(days=30),
        agenda="1. 効果検証結果について\n2. その他",
        attendees="阿見 一郎（茨城大学 教授）\n筑波 花子（常陽銀行）",
    )
    upcoming = Meeting.objects.create(
        strategy=strategy,
        fiscal_year=2025,
        name="令和7年度第2回創生有識者会議",
        date=today + datetime.timedelta(days=14),
    )
    return held, upcoming


def test_a_council_member_writes_an_opinion_from_the_goal_page_and_finds_it_in_their_list(page, site):
    held, upcoming = meetings()
    login(page, site, "demo-council")
    page.goto(f"{site}/goals/G2/?fy=2025")
    page.get_by_role("link", name="この目標について意見・提言を書く").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#id_meeting").input_value() == str(upcoming.pk)  # the next meeting
    assert "G2 魅力を発信し" in page.locator(".opinion-subject").inner_text()
    page.fill("#id_text", "観光の発信をSNSでさらに強化すべきである。")
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/goals/G2/?fy=2025")
    assert "意見・提言を登録しました" in page.locator(".messages").inner_text()
    opinion = Opinion.objects.get()
    assert (opinion.goal, opinion.meeting, opinion.author.username) == (
        Goal.objects.get(code="G2"),
        upcoming,
        "demo-council",
    )

    page.get_by_role("link", name="自分の意見・提言").first.click()
    page.wait_for_load_state("networkidle")
    assert "観光の発信をSNSでさらに強化すべきである。" in page.locator("main").inner_text()
    assert axe_violations(page) == []


def test_the_planning_office_attaches_the_minutes_and_the_council_reads_them(page, site, tmp_path):
    held, _ = meetings()
    minutes = tmp_path / "議事要旨.pdf"
    minutes.write_bytes(pdf_bytes())
    login(page, site, "demo-planning")
    page.goto(f"{site}/meetings/{held.pk}/")
    page.get_by_role("link", name="会議の内容を編集（議題・出席者・議事要旨）").click()
    page.wait_for_load_state("networkidle")
    page.fill("#id_minutes", "社会増数は目標を上回っているとの報告があった。")
    page.set_input_files("#id_document", str(minutes))
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/meetings/{held.pk}/")
    assert MeetingDocument.objects.get().filename == "議事要旨.pdf"

    page.context.clear_cookies()
    login(page, site, "demo-council")
    page.goto(f"{site}/meetings/{held.pk}/")
    text = page.locator("main").inner_text()
    assert "社会増数は目標を上回っているとの報告があった。" in text and "筑波 花子（常陽銀行）" in text
    with page.expect_download() as download:
        page.get_by_role("link", name="議事要旨のファイル：議事要旨.pdf").click()
    assert download.value.suggested_filename == "議事要旨.pdf"
    assert open(download.value.path(), "rb").read() == pdf_bytes()


PAGES = {
    "demo-council": [
        "/meetings/",
        "/meetings/{held}/",
        "/opinions/mine/",
        "/opinions/new/?goal=G2",
        "/goals/G2/",
    ],
    "demo-planning": ["/meetings/{held}/edit/", "/opinions/", "/opinions/new/?indicator=G2-KGI1"],
}


@pytest.mark.parametrize("width", [390, 768, 1366])
def test_the_new_pages_fit_every_width_and_stay_accessible(page, site, width):
    held, _ = meetings()
    Opinion.objects.create(
        strategy=held.strategy,
        fiscal_year=2025,
        meeting=held,
        goal=Goal.objects.get(code="G2"),
        speaker="有識者 一郎（デモ）",
        text="観光の発信をSNSでさらに強化すべきである。",
        response="観光協会と連携し、発信回数を増やす。",
        follow_up="done",
        author=get_user_model().objects.get(username="demo-council"),
    )
    page.set_viewport_size({"width": width, "height": 900})
    problems = []
    for username, paths in PAGES.items():
        page.context.clear_cookies()
        login(page, site, username)
        for path in paths:
            path = path.format(held=held.pk)
            response = page.goto(site + path)
            page.wait_for_load_state("networkidle")
            assert response.status == 200, (path, response.status)
            scroll_width = page.evaluate("document.scrollingElement.scrollWidth")
            if scroll_width > width:
                problems.append(f"{path} at {width}px is {scroll_width}px wide")
            problems += [f"{path} at {width}px: {v}" for v in axe_violations(page)]
            name = path.strip("/").replace("/", "-").replace("?", "-").replace("=", "-")
            screenshot(page, f"council-{width}-{username.removeprefix('demo-')}-{name}")
    assert problems == []
