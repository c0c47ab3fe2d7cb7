"""The meeting pack (会議資料): one PDF per meeting, made on the server without any network.

The PDF is made once for the module (WeasyPrint takes seconds) from the real plan with figures in every
state, opinions and an overall evaluation, then read back with poppler's pdftotext, pdffonts, pdfinfo
and pdfimages as a reader's PDF viewer would.
"""

import datetime
import io
import re
import shutil
import socket
import subprocess

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from goals.models import Goal, Strategy
from kpis.models import ActualValue, Indicator, Kind
from reports.pack import builds
from reports.pack.data import meeting_pack
from reports.pack.pdf import LocalOnlyFetcher, pack_html, pack_pdf
from reviews.models import GoalEvaluation, Meeting, Opinion
from tests.support.factories import make_user, set_actual

pytestmark = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("pdftotext", "pdffonts", "pdfinfo", "pdfimages")),
    reason="poppler-utils (pdftotext, pdffonts…) is not installed",
)

OPINION_BEFORE = "企業誘致の成果を町内の取引額でも確認してほしい。"
RESPONSE_BEFORE = "次年度から町内調達額を参考指標として報告します。"
OPINION_ON_KGI = "社会増数は3年移動平均も併せて示してほしい。"
EVALUATION_TEXT = "実質町内総生産は期待値を概ね達成した。"
AGENDA = "令和7年度の効果検証について"
ATTENDEES = ["阿見 太郎（茨城大学 教授）", "霞ヶ浦 花子（常陽銀行 支店長）"]


def make_meeting_data() -> Meeting:
    """The plan, FY2025 figures (approved, draft, submitted), a meeting before and the one the pack is for."""
    call_command("load_plan", verbosity=0)
    strategy = Strategy.objects.get(code="dai3ki")
    strategy.has_demo_data = True
    strategy.save(update_fields=["has_demo_data"])
    set_actual("G1-KGI1", 2025, "279000", cause_analysis="町内企業の設備投資が続いた。", next_step="continue")
    set_actual("G2-KGI1", 2025, "400", status=ActualValue.Status.DRAFT)
    set_actual("G2-KGI2", 2025, "3100", status=ActualValue.Status.SUBMITTED)
    set_actual("G1-M1-K1", 2025, "23", cause_analysis="夜間の講座が少ない", next_step="improve")
    planning = make_user("pack-planning", "planning_office")
    before = Meeting.objects.create(
        strategy=strategy, fiscal_year=2025, name="第1回創生有識者会議", date=datetime.date(2025, 11, 20)
    )
    meeting = Meeting.objects.create(
        strategy=strategy,
        fiscal_year=2025,
        name="第2回創生有識者会議",
        date=datetime.date(2026, 7, 15),
        agenda=AGENDA,
        attendees="\n".join(ATTENDEES) + "\n\n",
    )
    common = {"strategy": strategy, "fiscal_year": 2025, "meeting": before, "author": planning}
    Opinion.objects.create(
        **common, speaker="有識者A", text=OPINION_BEFORE, response=RESPONSE_BEFORE, follow_up="in_progress"
    )
    Opinion.objects.create(
        **common, speaker="有識者B", indicator=Indicator.objects.get(code="G2-KGI1"), text=OPINION_ON_KGI
    )
    GoalEvaluation.objects.create(
        goal=Goal.objects.get(strategy=strategy, code="G1"), fiscal_year=2025, text=EVALUATION_TEXT
    )
    return meeting


def expected_texts(strategy: Strategy) -> list[str]:
    goals = [g.title for g in strategy.goals.all()]
    kgis = [i.name for i in Indicator.objects.filter(strategy=strategy, kind=Kind.KGI)]
    return goals + kgis


def expected_visions(strategy: Strategy) -> list[tuple[str, list[str]]]:
    """Each vision's theme and title, and the goals serving it as the pack names them."""
    return [
        (
            f"{vision.theme}{vision.title}",
            [f"基本目標{goal.number}「{goal.title}」" for goal in vision.goals.order_by("number")],
        )
        for vision in strategy.visions.order_by("number")
    ]


class Connections:
    """socket.connect replaced for the duration: records every attempt and lets none through."""

    def __init__(self):
        self.attempts = []

    def __enter__(self):
        self.original = socket.socket.connect

        def refuse(sock, address):
            self.attempts.append(address)
            raise OSError("the meeting pack must not open a connection")

        socket.socket.connect = refuse
        return self

    def __exit__(self, *exc):
        socket.socket.connect = self.original


@pytest.fixture(scope="module")
def made(django_db_setup, django_db_blocker):
    """The A4 pack, made once with the network cut off; the data is rolled back afterwards."""
    with django_db_blocker.unblock(), translation.override("ja"), transaction.atomic():
        meeting = make_meeting_data()
        fetcher = LocalOnlyFetcher()
        with Connections() as connections:
            pdf = pack_pdf(meeting_pack(meeting.strategy, meeting), "a4", fetcher)
        result = {
            "pdf": pdf,
            "texts": expected_texts(meeting.strategy),
            "visions": expected_visions(meeting.strategy),
            "refused": fetcher.refused,
            "connections": connections.attempts,
        }
        transaction.set_rollback(True)
    return result


@pytest.fixture(scope="module")
def pdf_file(made, tmp_path_factory):
    path = tmp_path_factory.mktemp("pack") / "pack.pdf"
    path.write_bytes(made["pdf"])
    return path


def run(*args) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=60).stdout


def page_count(path) -> int:
    return int(re.search(r"^Pages:\s+(\d+)", run("pdfinfo", str(path)), re.MULTILINE).group(1))


def flat(text: str) -> str:
    """Text without any white space: a long name wrapped in a table cell reads as one again."""
    return re.sub(r"\s+", "", text)


def test_the_pack_has_a_sensible_number_of_a4_pages(pdf_file):
    info = run("pdfinfo", str(pdf_file))
    assert "(A4)" in info and "595.276 x 841.89" in info  # portrait
    # Cover, contents, summary, 4 goals of 2–4 pages, opinions, method.
    assert 10 <= page_count(pdf_file) <= 30


def test_the_pack_shows_every_goal_every_kgi_the_opinions_and_their_responses(made, pdf_file):
    text = flat(run("pdftotext", "-enc", "UTF-8", str(pdf_file), "-"))
    for expected in made["texts"]:
        assert flat(expected) in text, expected
    for expected in (OPINION_BEFORE, RESPONSE_BEFORE, OPINION_ON_KGI, "対応中", "未対応", EVALUATION_TEXT):
        assert flat(expected) in text, expected
    for heading in ("目次", "評価の概要", "意見・提言と対応状況", "評価の方法", "要因分析", "今後の方向性"):
        assert heading in text
    assert "夜間の講座が少ない" in text and "改善して継続" in text
    # The rate and grade computed by kpis.rules (279,000 against 280,021.33 → 99.6%, B+).
    assert "99.6%" in text and "B+" in text


def test_the_cover_names_the_agenda_and_each_attendee(pdf_file):
    cover = flat(run("pdftotext", "-f", "1", "-l", "1", "-enc", "UTF-8", str(pdf_file), "-"))
    assert "議題" + flat(AGENDA) in cover
    assert "出席者" in cover and all(flat(person) in cover for person in ATTENDEES)


def two_column_rows(layout: str) -> list[tuple[str, str]]:
    """A two-column table as `pdftotext -layout` lays it out: (left cell, right cell) per row, rows apart by
    a blank line, each cell's wrapped lines joined (white space removed)."""
    rows = []
    for block in re.split(r"\n\s*\n", layout):
        left, right = [], []
        for line in block.splitlines():
            cells = re.match(r"^(\S.*?)?\s{3,}(\S.*)$", line)
            left.append((cells.group(1) or "") if cells else line)
            right.append(cells.group(2) if cells else "")
        rows.append((flat("".join(left)), flat("".join(right))))
    return rows


def test_the_summary_shows_each_vision_with_the_goals_serving_it(made, pdf_file):
    layout = run("pdftotext", "-layout", "-enc", "UTF-8", str(pdf_file), "-")
    start = layout.index("地域ビジョンと基本目標")
    rows = two_column_rows(layout[start : layout.index("基本目標別のKPIの評価", start)])
    assert ("地域ビジョン", "実現に向けて取り組む基本目標") in rows
    visions = made["visions"]
    assert len(visions) == 3 and all(len(goals) == 4 for _vision, goals in visions)
    for number, (vision, goals) in enumerate(visions, start=1):
        assert (f"（{number}）{flat(vision)}", flat("".join(goals))) in rows, vision


def test_figures_not_yet_approved_are_marked(pdf_file):
    text = flat(run("pdftotext", "-enc", "UTF-8", str(pdf_file), "-"))
    assert "（入力中・未承認）" in text and "（提出済・未承認）" in text
    assert "まだ承認されていません" in text  # the cover says how many


def test_every_font_is_embedded(pdf_file):
    rows = run("pdffonts", str(pdf_file)).splitlines()[2:]
    assert rows, "the PDF has no fonts: its text would not be text"
    for row in rows:
        name, emb = row.split()[0], row.split()[-5]
        assert emb == "yes", row
        assert "Noto" in name, row


def test_the_charts_are_vector_drawings_not_pictures(pdf_file):
    images = run("pdfimages", "-list", str(pdf_file)).splitlines()[2:]
    assert images == []
    text = run("pdftotext", "-enc", "UTF-8", str(pdf_file), "-")
    assert "令和9年度" in text and "実績値（色は評価）" in text  # the charts' axis and legend are text


def test_demo_data_is_marked_on_every_page(pdf_file):
    for page in range(1, page_count(pdf_file) + 1):
        text = run("pdftotext", "-enc", "UTF-8", "-f", str(page), "-l", str(page), str(pdf_file), "-")
        assert "デモデータ" in text, f"page {page}"


def test_pages_are_numbered(pdf_file):
    pages = page_count(pdf_file)
    last = run("pdftotext", "-enc", "UTF-8", "-f", str(pages), "-l", str(pages), str(pdf_file), "-")
    assert f"{pages} / {pages}" in last


def test_no_request_leaves_the_server_while_the_pack_is_made(made):
    assert made["connections"] == []
    assert made["refused"] == []


def test_the_fetcher_refuses_every_url_that_is_not_inline_data():
    from weasyprint import HTML

    fetcher = LocalOnlyFetcher()
    page = (
        '<link rel="stylesheet" href="https://example.com/x.css">'
        '<img src="http://example.com/logo.png"><img src="file:///etc/passwd">'
        '<img src="data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/svg%22/%3E"><p>本文</p>'
    )
    with Connections() as connections:
        pdf = HTML(string=page, url_fetcher=fetcher).write_pdf()
    assert pdf.startswith(b"%PDF")
    assert connections.attempts == []
    assert sorted(fetcher.refused) == [
        "file:///etc/passwd",
        "http://example.com/logo.png",
        "https://example.com/x.css",
    ]


# --- Without the module's PDF ------------------------------------------------------------------------


@pytest.fixture
def meeting(plan, departments, figures):
    return Meeting.objects.create(
        strategy=plan, fiscal_year=2025, name="第1回創生有識者会議", date=datetime.date(2026, 7, 15)
    )


def test_real_figures_carry_no_demo_mark(meeting):
    assert not meeting.strategy.has_demo_data
    html = pack_html(meeting_pack(meeting.strategy, meeting))
    assert "デモデータ" not in html
    meeting.strategy.has_demo_data = True
    assert "デモデータ" in pack_html(meeting_pack(meeting.strategy, meeting))


@pytest.mark.parametrize(
    ("role", "status"),
    [("anonymous", 302), ("staff_own", 200), ("staff_other", 200), ("planning", 200), ("council", 200)],
)
def test_whoever_may_open_the_meeting_may_download_its_pack(client_as, meeting, monkeypatch, role, status):
    monkeypatch.setattr(builds, "pack_pdf", lambda pack, paper: b"%PDF-stub")
    client = client_as(role)
    url = reverse("pack:meeting_pack", args=[meeting.pk])
    assert client.get(meeting.get_absolute_url()).status_code == status
    response = client.get(url)
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("login"))
    else:
        assert response["Content-Type"] == "application/pdf"
        assert response.content == b"%PDF-stub"


def test_a_user_without_a_role_gets_403_and_a_post_405(client, meeting, monkeypatch):
    monkeypatch.setattr(builds, "pack_pdf", lambda pack, paper: b"%PDF-stub")
    client.force_login(make_user("no-role", None))
    url = reverse("pack:meeting_pack", args=[meeting.pk])
    assert client.get(meeting.get_absolute_url()).status_code == 403
    assert client.get(url).status_code == 403
    client.force_login(make_user("pack-council", "expert_council"))
    assert client.post(url).status_code == 405
    assert client.get(reverse("pack:meeting_pack", args=[meeting.pk + 999])).status_code == 404


def test_the_paper_asked_for_reaches_the_renderer(client_as, meeting, monkeypatch):
    papers = []
    monkeypatch.setattr(builds, "pack_pdf", lambda pack, paper: papers.append(paper) or b"%PDF-stub")
    client = client_as("council")
    url = reverse("pack:meeting_pack", args=[meeting.pk])
    for query in ("", "?paper=a3", "?paper=<script>"):
        assert client.get(url + query).content == b"%PDF-stub"
    assert papers == ["a4", "a3"]  # the third is the first's A4 pack, already made for this data


def test_the_meeting_page_links_to_its_pack(client_as, meeting):
    page = client_as("council").get(meeting.get_absolute_url()).content.decode()
    assert reverse("pack:meeting_pack", args=[meeting.pk]) in page
    assert "会議資料（PDF）" in page


def test_the_command_writes_the_same_pdf_as_the_page_and_a3_is_landscape(client_as, meeting, tmp_path):
    a4, a3 = tmp_path / "pack.pdf", tmp_path / "pack-a3.pdf"
    call_command("export_meeting_pack", str(meeting.pk), "-o", str(a4), stdout=io.StringIO())
    downloaded = client_as("planning").get(reverse("pack:meeting_pack", args=[meeting.pk]))
    assert downloaded.status_code == 200
    assert a4.read_bytes() == downloaded.content
    call_command("export_meeting_pack", str(meeting.pk), "--a3", "-o", str(a3), stdout=io.StringIO())
    info = run("pdfinfo", str(a3))
    assert "(A3)" in info and "1190.55 x 841.89" in info  # landscape: wider than tall
    assert page_count(a3) < page_count(a4)


def test_the_command_names_a_missing_meeting(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="会議 4242 がありません"):
        call_command("export_meeting_pack", "4242", "-o", "/tmp/never.pdf")
