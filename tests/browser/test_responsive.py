"""Every page works on a laptop, a tablet and a phone, and a goal page prints whole on A4 (issue 14).

No page scrolls sideways (a wide table scrolls inside its own labelled box), axe stays clean at each width,
and a goal page printed to A4 keeps every chart and every column on the paper.
"""

import datetime
import re
import shutil
import subprocess

import pytest

from goals.models import Goal, Strategy
from reviews.models import Meeting, Opinion
from tests.support.browser import axe_violations, login, screenshot

COUNCIL_PAGES = [
    "/",
    "/goals/G1/",
    "/goals/G2/",
    "/goals/G3/",
    "/goals/G4/",
    "/indicators/",
    "/indicators/G3-KGI1/",
    "/indicators/G3-M1-K1/",
    "/departments/kodomo/",
    "/meetings/",
    "/meetings/{meeting}/",
    "/evaluations/2025/",
    "/opinions/mine/",
    "/opinions/new/?goal=G1",
]
STAFF_PAGES = ["/entry/", "/entry/2025/"]
PLANNING_PAGES = [
    "/review/",
    "/review/2025/",
    "/review/2025/kodomo/",
    "/fiscal-years/",
    "/opinions/",
    "/meetings/{meeting}/edit/",
]
PAGES_BY_USER = {"demo-council": COUNCIL_PAGES, "demo-staff": STAFF_PAGES, "demo-planning": PLANNING_PAGES}

A4_WIDTH_PT = 595.28
A4_PRINTABLE_PX = 703  # 210 mm less print.css's 12 mm margins, at 96 px to the inch


def a_meeting_with_opinions() -> Meeting:
    strategy = Strategy.objects.get()
    meeting = Meeting.objects.create(
        strategy=strategy,
        fiscal_year=2025,
        name="令和7年度第1回創生有識者会議",
        date=datetime.date(2026, 7, 15),
    )
    Opinion.objects.create(
        strategy=strategy,
        fiscal_year=2025,
        meeting=meeting,
        goal=Goal.objects.get(code="G3"),
        speaker="委員",
        text="子育て支援の周知について、SNSと窓口での案内を組み合わせてはどうか。",
    )
    return meeting


def page_width(page) -> int:
    return page.evaluate("document.scrollingElement.scrollWidth")


def visit_every_page(page, site, width: int, meeting: Meeting) -> list[str]:
    problems = []
    for username, paths in PAGES_BY_USER.items():
        page.context.clear_cookies()
        login(page, site, username)
        for path in paths:
            path = path.format(meeting=meeting.pk)
            response = page.goto(site + path)
            page.wait_for_load_state("networkidle")
            assert response.status == 200, f"{path} as {username}: {response.status}"
            if page_width(page) > width:
                problems.append(f"{path} as {username} at {width}px: the page is {page_width(page)}px wide")
            problems += [f"{path} at {width}px: {violation}" for violation in axe_violations(page)]
            name = path.strip("/").replace("/", "-") or "home"
            screenshot(page, f"responsive-{width}-{username.removeprefix('demo-')}-{name}")
    return problems


@pytest.mark.parametrize("width", [390, 768, 1366])
def test_no_page_scrolls_sideways_and_axe_stays_clean(page, site, width):
    meeting = a_meeting_with_opinions()
    page.set_viewport_size({"width": width, "height": 900})
    assert visit_every_page(page, site, width, meeting) == []


def test_a_wide_table_scrolls_in_a_labelled_box_keyboard_users_can_reach(page, site):
    page.set_viewport_size({"width": 390, "height": 900})
    login(page, site, "demo-council")
    page.goto(f"{site}/goals/G3/")
    box = page.locator(".table-scroll", has=page.locator("table.plan-table"))
    assert box.get_attribute("role") == "region"
    assert box.get_attribute("tabindex") == "0"
    assert box.get_attribute("aria-label") == "施策ごとのKPIと評価"
    assert box.evaluate("el => el.scrollWidth > el.clientWidth")  # the table is wider than a phone...
    note = page.locator(".scroll-box", has=box).locator(".scroll-note")
    assert note.is_visible() and note.inner_text().startswith("横にスクロールできます")  # ...and says so
    box.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('.plan-table').parentElement.scrollLeft > 0")
    # At tablet width the goal's KPI table fits whole: 達成率, 評価 and 状態 are on screen, and no note.
    page.set_viewport_size({"width": 768, "height": 900})
    page.wait_for_function(
        "() => !document.querySelector('.plan-table').closest('.scroll-box').matches('.is-scrollable')"
    )
    assert not note.is_visible()


OFF_SCREEN_CELLS = """width => Array.from(document.querySelectorAll('table.indicator-table tbody tr'))
    .flatMap(row => ['td[data-label="達成率"]', 'td[data-label="評価"]', 'td[data-label="評価"] .grade'].map(selector => {
        const box = row.querySelector(selector).getBoundingClientRect();
        const shown = box.width > 0 && box.height > 0 && box.left >= 0 && box.right <= width;
        return shown ? null : `${row.querySelector('td').textContent.trim()} ${selector}`;
    }))
    .filter(Boolean)"""


def accessibility_roles(page) -> dict[str, int]:
    """How many nodes of each table role Chromium's own accessibility tree (what screen readers read) has."""
    nodes = page.context.new_cdp_session(page).send("Accessibility.getFullAXTree")["nodes"]
    roles = [node["role"]["value"] for node in nodes if not node.get("ignored")]
    return {role: roles.count(role) for role in ("table", "row", "columnheader", "cell")}


def test_the_indicator_table_becomes_cards_on_a_phone_and_stays_a_table_to_screen_readers(page, site):
    page.set_viewport_size({"width": 390, "height": 900})
    login(page, site, "demo-council")
    page.goto(f"{site}/indicators/")
    rows = page.locator("table.indicator-table tbody tr")
    assert rows.count() >= 40
    assert page_width(page) <= 390
    # Every row's 達成率 and 評価 (its badge too) lie inside the screen: nothing to scroll to.
    assert page.evaluate(OFF_SCREEN_CELLS, 390) == []
    rate = rows.first.locator('td[data-label="達成率"]')
    assert rate.evaluate("td => getComputedStyle(td).display") == "block"
    assert "達成率" in rate.evaluate("td => getComputedStyle(td, '::before').content")  # labelled on the card
    assert not page.locator(".scroll-note").is_visible()
    roles = accessibility_roles(page)
    assert roles["table"] == 1 and roles["columnheader"] == 12 and roles["row"] == rows.count() + 1
    assert roles["cell"] == rows.count() * 12
    assert axe_violations(page) == []

    # The column headers are still the sort links.
    page.get_by_role("link", name="達成率", exact=True).click()
    page.wait_for_url("**sort=rate**")
    assert page.locator("th[aria-sort]").inner_text().startswith("達成率")

    # A tablet and a laptop keep the table.
    for width in (768, 1366):
        page.set_viewport_size({"width": width, "height": 900})
        assert rate.evaluate("td => getComputedStyle(td).display") == "table-cell"


def test_header_buttons_and_badges_never_break_mid_word(page, site):
    page.set_viewport_size({"width": 390, "height": 900})
    login(page, site, "demo-planning")
    for path in ["/", "/review/2025/"]:
        page.goto(site + path)
        wrapping = page.evaluate(
            """() => Array.from(document.querySelectorAll(
                   '.site-nav a, .site-tools button, .site-tools .user, main button, main .button, .status, .grade, .state'))
                 .filter(el => getComputedStyle(el).whiteSpace !== 'nowrap')
                 .map(el => el.textContent.trim())"""
        )
        assert wrapping == [], f"may break mid-word on {path}: {wrapping}"


def test_a_goal_page_printed_on_a4_keeps_every_chart_and_column(page, site, tmp_path):
    login(page, site, "demo-council")
    page.goto(f"{site}/goals/G3/")
    page.wait_for_selector(".js-plotly-plot .main-svg", state="attached")
    kgi_charts = page.locator(".kgi-card .js-plotly-plot").count()
    assert kgi_charts >= 2

    # The same page as the browser prints it, charts drawn for the laptop's screen first.
    pdf = tmp_path / "G3.pdf"
    page.pdf(path=str(pdf), format="A4")
    words = pdf_words(pdf)
    assert words, "the PDF has no text"
    beyond = [text for text, right in words if right > A4_WIDTH_PT]
    assert beyond == [], f"cut off at the paper's right edge: {beyond[:10]}"
    # Each KGI chart's last year (FY2027, the target's star) is on the paper, and so is the last column.
    assert sum(1 for text, _ in words if text == "令和9年度") >= kgi_charts
    assert any(text == "状態" for text, _ in words)

    # Print media at the paper's width: every chart and table lies inside it.
    page.emulate_media(media="print")
    page.set_viewport_size({"width": A4_PRINTABLE_PX, "height": 1000})
    too_wide = page.evaluate(
        """limit => Array.from(document.querySelectorAll('.js-plotly-plot, .js-plotly-plot svg.main-svg, table'))
             .filter(el => el.getBoundingClientRect().right > limit + 0.5)
             .map(el => el.tagName + ' ' + Math.round(el.getBoundingClientRect().right))""",
        A4_PRINTABLE_PX,
    )
    assert too_wide == []


def pdf_words(path) -> list[tuple[str, float]]:
    """Each word of the PDF with the right edge of its box in points (pdftotext -bbox, from poppler-utils)."""
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    html = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return [
        (text, float(right))
        for right, text in re.findall(
            r'<word xMin="[\d.]+" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', html
        )
    ]
