"""Issue 16's "done when", end to end through the screens: the planning office fills a 第４期 draft in the
plan workbook and loads it; both plans are browsable side by side; a continued KGI shows its whole history
across the plans; a late KGI says when its figure will come."""

import io
import re
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.access import Role
from goals.models import Strategy
from kpis.loading.plan_workbook import export_plan_workbook
from kpis.models import ActualValue, Indicator
from tests.support.factories import make_user

YEARS = {"計画": None, "KGI": ("基準年度", "目標年度"), "KPI": ("基準年度", "目標年度"), "期待値": ("年度",)}


def _columns(sheet, headers) -> list[int]:
    return [cell.column for cell in sheet[1] if cell.value in headers]


def _draft_of_the_fourth_plan(current: Strategy) -> bytes:
    """What the planning office fills: the 第３期's export, three years on, under a new code, with its
    実質町内総生産 continuing the 第３期's."""
    book = openpyxl.load_workbook(io.BytesIO(export_plan_workbook(current)))
    plan = book["計画"]
    for row in plan.iter_rows(min_row=1):
        label, value = row[0].value, row[1]
        if label == "コード":
            value.value = "dai4ki"
        elif label == "名称":
            value.value = "第４期阿見町まち・ひと・しごと創生総合戦略（素案）"
        elif label in ("計画初年度", "計画最終年度", "基準年度"):
            value.value = int(value.value) + 3
    for name, headers in YEARS.items():
        if not headers:
            continue
        sheet = book[name]
        for column in _columns(sheet, headers):
            for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
                if cell.value not in (None, ""):
                    cell.value = int(str(cell.value)[:4]) + 3
    kgis = book["KGI"]
    (code_column,) = _columns(kgis, ("コード",))
    (continues_column,) = _columns(kgis, ("継続元",))
    for row in range(2, kgis.max_row + 1):
        if kgis.cell(row, code_column).value == "G1-KGI1":
            kgis.cell(row, continues_column).value = "dai3ki:G1-KGI1"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def office(client, plan):
    client.force_login(make_user("planning", Role.PLANNING))
    return client


def test_a_fourth_plan_drafted_in_a_workbook_sits_beside_the_third(office, plan):
    old = Indicator.objects.get(strategy=plan, code="G1-KGI1")
    for year, value in ((2025, "279000"), (2026, "280500"), (2027, "282000")):
        ActualValue.objects.create(
            indicator=old, fiscal_year=year, value=Decimal(value), status=ActualValue.Status.APPROVED
        )

    # The planning office uploads the draft it filled, reads the preview and confirms.
    uploaded = office.post(
        "/settings/plans/upload/",
        {"file": SimpleUploadedFile("第４期素案.xlsx", _draft_of_the_fourth_plan(plan))},
    )
    assert uploaded.status_code == 302, uploaded.content.decode()[:2000]
    preview = office.get(uploaded["Location"])
    assert "dai4ki" in preview.content.decode()
    digest = re.search(r'name="digest" value="([^"]+)"', preview.content.decode()).group(1)
    confirmed = office.post(uploaded["Location"] + "confirm/", {"digest": digest})
    assert confirmed.status_code == 302
    draft = Strategy.objects.get(code="dai4ki")
    assert (draft.first_year, draft.last_year, draft.is_active) == (2028, 2030, False)
    assert Indicator.objects.filter(strategy=draft).count() == 48

    # Both plans side by side: the 第３期 at today's URLs, the draft under its code.
    assert plan.name in office.get("/goals/G1/").content.decode()
    draft_goal = office.get("/plans/dai4ki/goals/G1/").content.decode()
    assert draft.name in draft_goal and 'href="/plans/dai4ki/indicators/G1-KGI1/"' in draft_goal

    assert Indicator.objects.get(strategy=draft, code="G1-KGI1").continues == old
    # The continued KGI shows its whole history, the 第３期's figures before its own.
    page = office.get("/plans/dai4ki/indicators/G1-KGI1/").content.decode()
    assert "前の計画の実績（グラフの灰色の点）" in page and "次の指標を継続しています" in page
    assert "282,000" in page and 'href="/indicators/G1-KGI1/"' in page

    # A late KGI (県市町村民経済計算 trails by years) says when its figure will come, not 未入力.
    next_month = (timezone.localdate().replace(day=1) + (date(2000, 2, 1) - date(2000, 1, 1))).replace(day=1)
    Indicator.objects.filter(strategy=draft, code="G1-KGI1").update(next_publication=next_month)
    page = office.get("/plans/dai4ki/indicators/G1-KGI1/").content.decode()
    assert f"公表待ち（次回公表: {next_month.year}年{next_month.month}月）" in page
