"""Cells that both sheets of the review workbook write: a grade on its band's colours (from the plan's
scale, kpis.rules.scale), an achievement rate, a fiscal year (or 「−」), and a figure not yet approved."""

from django.utils.translation import gettext as _
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from kpis.models import ActualValue
from kpis.rules.evaluation import Evaluation
from kpis.rules.scale import Scale
from lib.cells import BORDER, put_band
from lib.fiscal import data_period_label, fiscal_year_label
from lib.numbers import MISSING

RATE_FORMAT = "#,##0.0"
# A figure not yet approved (入力中・提出済), beside approved ones: italic and brown, as the sheet's note says.
UNAPPROVED_FONT = Font(italic=True, color="9A6700")


def put_grade(ws: Worksheet, row: int, column: int, label: str, scale: Scale, border=BORDER):
    """The grade by its letter and by the band's fill colour."""
    return put_band(ws, row, column, label, scale.colour_of(label), scale.text_colour_of(label), border)


def year_text(year: int | None) -> str:
    return fiscal_year_label(year) if year else MISSING


def value_font(evaluation: Evaluation, year: int) -> Font | None:
    """UNAPPROVED_FONT for a year's figure that is entered but not approved, else None."""
    record = evaluation.record(year)
    if record is None or record.value is None or record.status == ActualValue.Status.APPROVED:
        return None
    return UNAPPROVED_FONT


def figure_marks(record: ActualValue) -> str:
    """What the 状態 cell adds after a figure's status, as statistical tables mark it: its データ時点 when it
    measures another year than it is reported for, and 速報 p / 改定 r; "" for a final figure of its year."""
    parts = []
    if record.measured_year != record.fiscal_year:
        parts.append(data_period_label(record.measured_year))
    if record.quality_symbol:
        parts.append(f"{record.get_quality_display()} {record.quality_symbol}")
    return "".join(_("（%(mark)s）") % {"mark": part} for part in parts)
