"""The review workbook (効果検証シート) for the 創生本部会議 and the 創生有識者会議, built with openpyxl.

One 総括 sheet (summary_sheet) and one sheet per 基本目標 (goal_sheet), from the data of review_data: all
figures come from kpis.rules.evaluation, read in a fixed number of queries whatever the size of the plan.
"""

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook

from goals.models import Strategy
from lib.cells import many_cells
from lib.fiscal import fiscal_year_label
from reports.excel.goal_sheet import goal_sheet_name, write_goal_sheet
from reports.excel.review_data import review_data
from reports.excel.summary_sheet import write_summary

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def build_review_workbook(strategy: Strategy, fiscal_year: int) -> bytes:
    """The review workbook for one fiscal year, as .xlsx bytes."""
    with many_cells():
        data = review_data(strategy, fiscal_year)
        workbook = Workbook()
        summary = workbook.active
        summary.title = _("総括")
        write_summary(summary, data)
        for goal in data.goals:
            write_goal_sheet(workbook.create_sheet(goal_sheet_name(goal)), goal, data)
        workbook.properties.title = f"{strategy.name} {fiscal_year_label(fiscal_year)} {_('効果検証')}"
        workbook.properties.creator = _("阿見町 総合戦略KPI評価システム")
        buffer = io.BytesIO()
        workbook.save(buffer)
    return buffer.getvalue()
