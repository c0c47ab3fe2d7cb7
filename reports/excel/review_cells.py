"""Cells that both sheets of the review workbook write: a grade on its band's colours (from the plan's
scale, kpis.rules.scale), an achievement rate, and a fiscal year (or 「−」)."""

from openpyxl.worksheet.worksheet import Worksheet

from kpis.rules.scale import Scale
from lib.cells import BORDER, put_band
from lib.fiscal import wareki_with_seireki
from lib.numbers import MISSING

RATE_FORMAT = "#,##0.0"


def put_grade(ws: Worksheet, row: int, column: int, label: str, scale: Scale, border=BORDER):
    """The grade by its letter and by the band's fill colour."""
    return put_band(ws, row, column, label, scale.colour_of(label), scale.text_colour_of(label), border)


def year_text(year: int | None) -> str:
    return wareki_with_seireki(year) if year else MISSING
