"""Last year's opinions and responses follow into the next year: pages, the next meeting and the workbook."""

import datetime
import io

import openpyxl
import pytest
from django.urls import reverse

from goals.models import Goal
from kpis.models import Indicator
from reports.excel.workbook import build_review_workbook
from reviews.models import Meeting, Opinion

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered(plan, users):
    """Two FY2025 opinions from a council member, answered by the planning office."""
    meeting = Meeting.objects.create(
        strategy=plan, fiscal_year=2025, name="令和7年度第1回創生有識者会議", date=datetime.date(2026, 7, 15)
    )
    common = {"strategy": plan, "fiscal_year": 2025, "meeting": meeting, "speaker": "有識者A"}
    on_goal = Opinion.objects.create(
        **common,
        goal=Goal.objects.get(code="G2"),
        text="観光の発信を強化すべき",
        response="SNS発信を拡充する",
        follow_up="in_progress",
        author=users["council"],
    )
    on_kgi = Opinion.objects.create(
        **common,
        indicator=Indicator.objects.get(code="G2-KGI1"),
        text="転入の要因を分析すること",
        response="転入者調査を実施した",
        follow_up="done",
        author=users["council"],
    )
    return on_goal, on_kgi


def test_fy2026_goal_and_indicator_pages_show_last_years_opinions_with_their_state(client, users, answered):
    client.force_login(users["council"])
    goal_page = client.get(reverse("dashboards:goal", args=["G2"]) + "?fy=2026").content.decode()
    for text in (
        "観光の発信を強化すべき",
        "SNS発信を拡充する",
        "対応中",
        "転入の要因を分析すること",
        "対応済",
    ):
        assert text in goal_page
    kgi_page = client.get(reverse("dashboards:indicator", args=["G2-KGI1"])).content.decode()
    assert "転入の要因を分析すること" in kgi_page and "転入者調査を実施した" in kgi_page
    assert "観光の発信を強化すべき" not in kgi_page  # that one is about the goal, not this KGI
    other_goal = client.get(reverse("dashboards:goal", args=["G1"]) + "?fy=2026").content.decode()
    assert "観光の発信を強化すべき" not in other_goal


def test_the_public_never_sees_opinions(client, settings, answered):
    settings.PUBLIC_DASHBOARDS = True
    page = client.get(reverse("dashboards:goal", args=["G2"]) + "?fy=2026").content.decode()
    assert "観光の発信を強化すべき" not in page


def test_the_fy2026_workbook_fills_the_opinion_and_response_columns(plan, answered):
    workbook = openpyxl.load_workbook(io.BytesIO(build_review_workbook(plan, 2026)))
    sheet = workbook["基本目標2"]
    cells = [[cell.value for cell in row] for row in sheet.iter_rows()]
    headers = next(row for row in cells if "有識者会議の意見" in row)
    opinion_col, response_col = headers.index("有識者会議の意見"), headers.index("対応方針")
    kgi_row = next(row for row in cells if "G2-KGI1" in row)
    assert "転入の要因を分析すること" in kgi_row[opinion_col] and "令和7年度" in kgi_row[opinion_col]
    assert kgi_row[response_col] == "［対応済］転入者調査を実施した"
    flat = "\n".join(str(v) for row in cells for v in row if v)
    assert "基本目標への有識者会議の意見・提言" in flat and "観光の発信を強化すべき" in flat
    assert "［対応中］SNS発信を拡充する" in flat


def test_an_opinion_that_starts_like_a_formula_is_written_as_text(plan, answered):
    _on_goal, on_kgi = answered
    on_kgi.response = '=HYPERLINK("http://example.com")'
    on_kgi.save()
    workbook = openpyxl.load_workbook(io.BytesIO(build_review_workbook(plan, 2025)))
    values = [c for row in workbook["基本目標2"].iter_rows() for c in row if isinstance(c.value, str)]
    cell = next(c for c in values if "HYPERLINK" in c.value)
    assert cell.data_type == "s" and not cell.value.startswith("=")


def test_in_fy2027_only_the_unsettled_one_is_still_carried(plan, answered):
    on_goal, _on_kgi = answered
    assert list(Opinion.objects.carried_into(plan, 2027)) == [on_goal]


def test_opinion_labels_name_the_meeting_once_and_goal_opinions_print_across_the_sheet(plan, answered):
    on_goal, _on_kgi = answered
    on_goal.text = "観光の発信を強化すべき。" * 20  # a long opinion, as councils write them
    on_goal.save()
    sheet = openpyxl.load_workbook(io.BytesIO(build_review_workbook(plan, 2026)))["基本目標2"]
    kgi_row = next(row for row in sheet.iter_rows() if any(c.value == "G2-KGI1" for c in row))
    label = next(c.value for c in kgi_row if isinstance(c.value, str) and "転入の要因" in c.value)
    assert label.startswith("［令和7年度第1回創生有識者会議（2026年7月15日）・有識者A］")
    assert label.count("令和7年度") == 1  # not 「［2025年度（令和7年度） 令和7年度第1回…」
    said = next(
        c for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and "強化すべき。" in c.value
    )
    merged = next(r for r in sheet.merged_cells.ranges if said.coordinate in r)
    assert merged.min_col == 2 and merged.max_col == sheet.max_column
    width = sum(
        sheet.column_dimensions[openpyxl.utils.get_column_letter(c)].width
        for c in range(2, merged.max_col + 1)
    )
    assert width > 100  # the whole sheet's width, not one 12-wide column
    assert sheet.column_dimensions["B"].width < 40  # and the long text did not widen column B itself
    assert sheet.row_dimensions[said.row].height > 15  # two or more lines: the height shows them all
