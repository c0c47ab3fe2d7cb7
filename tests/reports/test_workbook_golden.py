"""The review workbook, pinned: every sheet's cells (value, type, number format, font, fill, border,
alignment), merged ranges, column widths, row heights, frozen panes, filter, print setup, page breaks and
the chart, as read back from the file, on the real 第３期 plan with the demo figures and meetings and the
cases the workbook writes differently (negatives as 「△3」, text a spreadsheet would run, 公表待ち,
provisional figures with their own data period, a mid-term revision, unapproved figures).

The expected dump is tests/reports/golden/review-workbook-<year>.json. After a deliberate change of the
workbook, write it again with `UPDATE_GOLDEN=1 pytest tests/reports/test_workbook_golden.py` and read the
diff before committing.
"""

import datetime
import io
import json
import os
import zipfile
from decimal import Decimal
from pathlib import Path
from unittest import mock

import openpyxl
import pytest
from django.core.management import call_command
from openpyxl.xml.functions import tostring

from kpis.cycle.revisions import indicator_revise
from kpis.models import ActualValue, CycleSettings, Indicator, NextStep, StoredResult
from reports.excel.workbook import build_review_workbook
from tests.support.factories import make_user, set_actual, update_indicators

pytestmark = pytest.mark.django_db

GOLDEN = Path(__file__).parent / "golden"
# The workbook is made at this instant (its 作成日, and the day 公表待ち is judged on).
NOW = datetime.datetime(2026, 8, 3, 1, 2, 3, tzinfo=datetime.UTC)
Status = ActualValue.Status
Quality = ActualValue.Quality


@pytest.fixture
def fixed_now():
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        yield


@pytest.fixture
def golden_plan(plan, settings, fixed_now):
    """The real plan with the demo figures and meetings, and figures of every kind the workbook writes
    differently."""
    settings.DEBUG = True  # the demo commands refuse to run otherwise
    call_command("load_demo", stdout=io.StringIO())
    call_command("load_demo_meetings", stdout=io.StringIO())
    update_indicators(Indicator.objects.filter(code="G1-M1-K2"), name='=HYPERLINK("x")+1', unit="-件")
    update_indicators(Indicator.objects.filter(code="G2-KGI1"), next_publication=datetime.date(2026, 11, 1))
    set_actual("G2-KGI1", 2025, -12, cause_analysis="=1+1", next_step=NextStep.values[0])
    set_actual("G3-KGI2", 2025, "3.10")
    set_actual("G3-KGI2", 2026, "3.25", status=Status.SUBMITTED, quality=Quality.PROVISIONAL)
    set_actual("G4-KGI1", 2025, "61.4", quality=Quality.REVISED, data_period=2024)
    set_actual("G2-M1-K1", 2025, None, status=Status.DRAFT)
    set_actual("G3-M1-K1", 2026, 7, status=Status.DRAFT)
    indicator_revise(
        user=make_user("golden-planner", None),
        indicator=Indicator.objects.get(code="G3-M1-K1"),
        from_year=2026,
        changes={"target_value": Decimal(160), "name": "保育所待機児童数（見直し後）"},
        reason="目標の見直し",
    )
    CycleSettings.objects.update_or_create(strategy=plan, defaults={"show_triangle": True})
    return plan


def xml(element) -> str | None:
    """An openpyxl object as the XML it is written as: compares every attribute, defaults included."""
    if element is None:
        return None
    tree = element.to_tree()
    return None if tree is None else tostring(tree).decode()


def style_dump(cell) -> str:
    """A cell's number format and styles as one text: the same look, the same text."""
    parts = (cell.font, cell.fill, cell.border, cell.alignment, cell.protection)
    return "\n".join([cell.number_format, *(xml(part) or "" for part in parts)])


def cell_dump(cell, styles: dict[str, int]) -> list:
    """[value, type, style number]: the styles are listed once, in the order cells first use them."""
    value = repr(cell.value) if isinstance(cell.value, float | int) else cell.value
    return [value, cell.data_type, styles.setdefault(style_dump(cell), len(styles))]


def is_blank(cell) -> bool:
    """A cell with no value and the default style: nothing to see, whether or not the file lists it."""
    return cell.value in (None, "") and cell.style_id == 0


def column_widths(ws) -> dict[int, float]:
    """Each column's width, one by one (the file may group neighbouring columns of one width)."""
    widths = {}
    for dimension in ws.column_dimensions.values():
        if dimension.customWidth or dimension.width:
            for column in range(dimension.min, dimension.max + 1):
                widths[column] = dimension.width
    return widths


def sheet_dump(ws, styles: dict[str, int]) -> dict:
    cells = {
        cell.coordinate: cell_dump(cell, styles)
        for row in ws.iter_rows()
        for cell in row
        if not is_blank(cell)
    }
    return {
        "cells": cells,
        "merged": sorted(str(r) for r in ws.merged_cells.ranges),
        "column_widths": column_widths(ws),
        "row_heights": {n: d.height for n, d in sorted(ws.row_dimensions.items()) if d.height is not None},
        "freeze_panes": ws.freeze_panes,
        "auto_filter": ws.auto_filter.ref,
        "print_title_rows": ws.print_title_rows,
        "print_area": ws.print_area,
        "views": xml(ws.views),
        "properties": xml(ws.sheet_properties),
        "page_setup": xml(ws.page_setup),
        "print_options": xml(ws.print_options),
        "page_margins": xml(ws.page_margins),
        "header_footer": xml(ws.HeaderFooter),
        "row_breaks": xml(ws.row_breaks),
        "conditional_formatting": sorted(
            (str(rule.sqref), [xml(r) for r in rule.rules]) for rule in ws.conditional_formatting
        ),
        "charts": len(ws._charts),
    }


def workbook_dump(data: bytes) -> dict:
    """The workbook as read back: what a reader sees and prints, in a canonical, diffable form."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        charts = {name: archive.read(name).decode() for name in archive.namelist() if "charts/chart" in name}
    styles: dict[str, int] = {}
    worksheets = {ws.title: sheet_dump(ws, styles) for ws in book.worksheets}
    return {
        "sheets": [ws.title for ws in book.worksheets],
        "title": book.properties.title,
        "creator": book.properties.creator,
        "defined_names": sorted(book.defined_names),
        "chart_xml": charts,
        "worksheets": worksheets,
        "styles": list(styles),
    }


def check(name: str, dump: dict) -> None:
    path = GOLDEN / name
    text = json.dumps(dump, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path.name} missing: run with UPDATE_GOLDEN=1 to write it"
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert json.loads(text) == expected, f"{name} differs from its golden file"


def test_the_review_workbook_is_the_golden_one(golden_plan, caplog):
    # Two years in one test: the plan and its demo data are set up once.
    for fiscal_year in (2025, 2026):
        check(
            f"review-workbook-{fiscal_year}.json",
            workbook_dump(build_review_workbook(golden_plan, fiscal_year)),
        )
    # Results missing from the store are computed, to the same workbook.
    StoredResult.objects.filter(indicator__code__in=["G2-KGI1", "G3-M1-K1", "G4-M3-K3"]).delete()
    check("review-workbook-2025.json", workbook_dump(build_review_workbook(golden_plan, 2025)))
    assert "Results of G3-M1-K1 are not stored" in caplog.text
