"""The plan workbook carries lineage (継続元): a draft's KGI continuing the 第３期's round-trips, and a
継続元 that names no earlier plan's indicator is refused with nothing written."""

import io

import openpyxl
import pytest

from goals.models import Strategy
from kpis.loading.plan_workbook import PlanWorkbookError, export_plan_workbook, load_plan_workbook
from kpis.models import Indicator
from tests.support.plans import load_next_plan


@pytest.fixture
def dai4ki(plan, tmp_path):
    draft = load_next_plan(tmp_path)
    old = Indicator.objects.get(strategy=plan, code="G1-KGI1")
    Indicator.objects.filter(strategy=draft, code="G1-KGI1").update(continues=old)
    return draft


def _column(sheet, header: str) -> int:
    return next(cell.column for cell in sheet[1] if cell.value == header)


def _set_continues(data: bytes, code: str, text: str) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["KGI"]
    row = next(
        r for r in range(2, sheet.max_row + 1) if sheet.cell(r, _column(sheet, "コード")).value == code
    )
    sheet.cell(row, _column(sheet, "継続元")).value = text
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_lineage_is_exported_and_loaded_back(dai4ki):
    exported = export_plan_workbook(dai4ki)
    sheet = openpyxl.load_workbook(io.BytesIO(exported))["KGI"]
    values = [row for row in sheet.iter_rows(min_row=2, values_only=True) if row[1] == "G1-KGI1"]
    assert "dai3ki:G1-KGI1" in values[0]
    Indicator.objects.filter(strategy=dai4ki).update(continues=None)
    load_plan_workbook(exported, filename="dai4ki.xlsx")
    continued = Indicator.objects.get(strategy=dai4ki, code="G1-KGI1").continues
    assert (continued.strategy.code, continued.code) == ("dai3ki", "G1-KGI1")
    assert not load_plan_workbook(export_plan_workbook(dai4ki), filename="again.xlsx").changed


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "dai3ki:G9-KGI9",
            "指標 G1-KGI1 の継続元「dai3ki:G9-KGI9」は、読み込まれている前の計画の指標ではありません。",
        ),
        (
            "dai4ki:G2-KGI1",
            "指標 G1-KGI1 の継続元「dai4ki:G2-KGI1」は、読み込まれている前の計画の指標ではありません。",
        ),
        ("G1-KGI1", "継続元は「前の計画のコード:指標コード」"),
    ],
)
def test_a_continues_that_names_no_earlier_indicator_is_refused_and_nothing_written(dai4ki, text, message):
    before = Indicator.objects.get(strategy=dai4ki, code="G1-KGI1").continues_id
    with pytest.raises(PlanWorkbookError) as refused:
        load_plan_workbook(_set_continues(export_plan_workbook(dai4ki), "G1-KGI1", text), filename="x.xlsx")
    assert any(message in error for error in refused.value.errors), refused.value.errors
    assert Indicator.objects.get(strategy=dai4ki, code="G1-KGI1").continues_id == before


def test_a_closed_plan_is_not_changed_by_a_workbook(dai4ki):
    exported = export_plan_workbook(dai4ki)
    Strategy.objects.filter(pk=dai4ki.pk).update(is_closed=True)
    with pytest.raises(PlanWorkbookError) as refused:
        load_plan_workbook(_set_continues(exported, "G1-KGI1", ""), filename="x.xlsx")
    assert "終了しています" in refused.value.errors[0]
    assert Indicator.objects.get(strategy=dai4ki, code="G1-KGI1").continues is not None
