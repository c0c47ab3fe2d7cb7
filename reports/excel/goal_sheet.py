"""One sheet per 基本目標 of the review workbook: its KGIs, then every measure → policy → KPI with the
figures of each plan year, the year's rate and grade, the cause analysis, the next step and the council's
opinions; below, the goal's grade counts and the opinions on the goal and on the whole plan."""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from goals.models import Goal, Measure, Strategy
from kpis.models import NextStep
from kpis.rules.evaluation import Evaluation
from lib.cells import (
    BOLD,
    BORDER,
    CENTER,
    DEMO_FONT,
    TITLE_FONT,
    display_width,
    fit_columns,
    fit_rows,
    header_cell,
    merge,
    print_setup,
    put_number,
    put_text,
)
from lib.fiscal import fiscal_year_label
from reports.excel.review_cells import RATE_FORMAT, put_grade, value_font, year_text
from reports.excel.review_data import ReviewData

KGI_FILL = PatternFill(fill_type="solid", fgColor="F3F6F9")
REPOST_FONT = Font(color="555555", italic=True)
HEADER_ROW = 5  # the group headers; the column headers are on the row below
FIRST_DATA_ROW = HEADER_ROW + 2


def goal_sheet_name(goal: Goal) -> str:
    # Sheet names: at most 31 characters, none of []:*?/\ .
    return (_("基本目標%(number)s") % {"number": goal.number})[:31]


def goal_heading(goal: Goal) -> str:
    return _("基本目標%(number)s「%(title)s」") % {"number": goal.number, "title": goal.title}


@dataclass(frozen=True)
class Column:
    header: str
    group: str | None = None  # the upper header, shared by neighbouring columns
    cap: int = 14
    minimum: int = 7


def goal_columns(strategy: Strategy, fiscal_year: int) -> list[Column]:
    columns = [
        Column(_("コード"), cap=12),
        Column(_("区分"), cap=12),
        Column(_("施策の方向"), cap=28),
        Column(_("施策"), cap=30),
        Column(_("KPI（KGI）"), cap=36),
        Column(_("担当課"), cap=14),
        Column(_("単位"), cap=8),
        Column(_("基準値"), _("基準値（年度）")),
        Column(_("年度"), _("基準値（年度）"), cap=23),
    ]
    for year in strategy.plan_years:
        # Two columns wide enough for their group header, 2025年度（令和7年度）, on one line.
        columns += [
            Column(_("期待値"), fiscal_year_label(year), minimum=11),
            Column(_("実績値"), fiscal_year_label(year), minimum=11),
        ]
    evaluated = _("%(year)sの評価") % {"year": fiscal_year_label(fiscal_year)}
    columns += [
        Column(_("目標値"), _("目標値（年度）")),
        Column(_("年度"), _("目標値（年度）"), cap=23),
        Column(_("達成率（％）"), evaluated, cap=10),
        Column(_("評価"), evaluated, cap=8),
        Column(_("状態"), evaluated, cap=8),
        Column(_("達成見込み"), cap=10),
        Column(_("達成見込みの根拠"), minimum=24, cap=36),
        Column(_("要因分析"), minimum=24, cap=40),
        Column(_("今後の方向性"), minimum=12, cap=14),
        Column(_("備考"), minimum=20, cap=30),
        Column(_("有識者会議の意見"), minimum=24, cap=36),
        Column(_("対応方針"), minimum=24, cap=36),
    ]
    return columns


def write_headers(ws: Worksheet, row: int, columns: list[Column]):
    """Two header rows: the group (a plan year, 基準値（年度）…) above, the column below."""
    column = 1
    while column <= len(columns):
        spec = columns[column - 1]
        if spec.group is None:
            header_cell(ws, row, column, spec.header)
            header_cell(ws, row + 1, column, "")
            merge(ws, row, column, row + 1, column)
            column += 1
            continue
        end = column
        while end < len(columns) and columns[end].group == spec.group:
            end += 1
        header_cell(ws, row, column, spec.group)
        for each in range(column, end + 1):
            if each > column:
                header_cell(ws, row, each, "")
            header_cell(ws, row + 1, each, columns[each - 1].header)
        if end > column:
            merge(ws, row, column, row, end)
        column = end + 1


def write_goal_sheet(ws: Worksheet, goal: Goal, data: ReviewData):
    """The whole sheet of one goal."""
    columns = goal_columns(data.strategy, data.fiscal_year)
    write_goal_title(ws, goal, data)
    write_headers(ws, HEADER_ROW, columns)
    last_row = write_goal_rows(ws, FIRST_DATA_ROW - 1, goal, data)
    if last_row >= FIRST_DATA_ROW:
        ws.auto_filter.ref = f"A{HEADER_ROW + 1}:{get_column_letter(len(columns))}{last_row}"
    ws.freeze_panes = ws.cell(row=FIRST_DATA_ROW, column=2)
    row = write_goal_counts(ws, last_row + 2, goal, data)
    last_row = write_goal_opinions(ws, row, goal, data, last_column=len(columns))
    size_goal_sheet(ws, columns, last_row)
    print_setup(ws, f"{HEADER_ROW}:{HEADER_ROW + 1}")


def write_goal_title(ws: Worksheet, goal: Goal, data: ReviewData):
    """The goal, its description, and the year under review (flagged when the figures are a demo)."""
    strategy = data.strategy
    put_text(ws, 1, 1, goal_heading(goal), font=TITLE_FONT, alignment=Alignment(vertical="top"))
    put_text(ws, 2, 1, goal.description, alignment=Alignment(vertical="top"))
    note = _("評価年度：%(year)s") % {"year": fiscal_year_label(data.fiscal_year)}
    if strategy.has_demo_data:
        note += "　" + _("デモデータ（架空の数値）")
    if data.unapproved_count():
        note += "　" + _("斜体の実績値は未承認（入力中・提出済）です。")
    put_text(
        ws,
        3,
        1,
        note,
        font=DEMO_FONT if strategy.has_demo_data else BOLD,
        alignment=Alignment(vertical="top"),
    )


def write_goal_rows(ws: Worksheet, row: int, goal: Goal, data: ReviewData) -> int:
    """The goal's KGIs, then its measures' KPIs below `row`; returns the last row written."""
    for evaluation in data.kgis(goal):
        row += 1
        write_indicator_row(
            ws, row, evaluation, data, kind_label=_("KGI"), measure="", policy="", fill=KGI_FILL
        )
    for measure in data.measures.get(goal.pk, []):
        row = write_measure_rows(ws, row, measure, data)
    return row


def write_measure_rows(ws: Worksheet, row: int, measure: Measure, data: ReviewData) -> int:
    """A measure's KPIs policy by policy (【再掲】 ones marked), then those on no policy; the last row."""
    measure_title = f"{measure.circled_number}{measure.title}"
    kpi, reposted_kpi, reposted = _("KPI"), _("KPI【再掲】"), _("【再掲】")  # translated once, not per row
    for policy in data.policies.get(measure.pk, []):
        for placement in data.placements.get(policy.pk, []):
            evaluation = data.evaluations.get(placement.indicator_id)
            if evaluation is None:
                continue
            row += 1
            repost = placement.is_repost or policy.is_repost
            write_indicator_row(
                ws,
                row,
                evaluation,
                data,
                kind_label=reposted_kpi if repost else kpi,
                measure=measure_title,
                policy=policy.title + (reposted if repost and "再掲" not in policy.title else ""),
                repost=repost,
            )
    for evaluation in data.unplaced_kpis(measure):
        row += 1
        write_indicator_row(ws, row, evaluation, data, kind_label=kpi, measure=measure_title, policy="")
    return row


def write_goal_counts(ws: Worksheet, row: int, goal: Goal, data: ReviewData) -> int:
    """This goal's KPI counts (its 【再掲】 rows are counted where the KPI first appears); the last row."""
    result = dict(data.kpi_rollups()).get(goal)
    if result is None:
        return row
    put_text(
        ws,
        row,
        1,
        _("この基本目標のKPIの評価（【再掲】を除く）"),
        font=BOLD,
        alignment=Alignment(vertical="top", wrap_text=False),
    )
    for label in data.scale.labels:
        row += 1
        put_grade(ws, row, 1, label, data.scale)
        put_number(ws, row, 2, result.counts.get(label, 0), fmt="0").border = BORDER
    row += 1
    put_text(ws, row, 1, _("計"), font=BOLD, alignment=CENTER).border = BORDER
    put_number(ws, row, 2, result.total, fmt="0").border = BORDER
    return row


def write_goal_opinions(ws: Worksheet, row: int, goal: Goal, data: ReviewData, *, last_column: int) -> int:
    """Opinions on the goal as a whole (those on one indicator stand in its row) and, on the first goal's
    sheet, those on the whole plan; returns the last row written. Their text spans the sheet's width
    (columns 2 to last_column, merged), so it prints readably instead of in one narrow column."""
    for key, heading in (
        (goal.pk, _("基本目標への有識者会議の意見・提言")),
        (None, _("計画全体への有識者会議の意見・提言")),
    ):
        if key not in data.goal_opinions or (key is None and goal != data.goals[0]):
            continue
        said, answered = data.goal_opinions[key]
        row += 2
        put_text(ws, row, 1, heading, font=BOLD, alignment=Alignment(vertical="top", wrap_text=False))
        for label, text in ((_("意見・提言"), said), (_("対応方針"), answered)):
            row += 1
            put_text(ws, row, 1, label, font=BOLD).border = BORDER
            put_text(ws, row, 2, text).border = BORDER
            if last_column > 2:
                merge(ws, row, 2, row, last_column)
    return row


def size_goal_sheet(ws: Worksheet, columns: list[Column], last_row: int):
    """Column widths for the data and the headers, row heights for wrapped text, unwrapped titles."""
    fit_columns(ws, FIRST_DATA_ROW, {i + 1: c.cap for i, c in enumerate(columns)}, minimum=7)
    for index, spec in enumerate(columns, start=1):
        dimension = ws.column_dimensions[get_column_letter(index)]
        # Wide enough for the header, and for text that will be written in later (notes, opinions).
        dimension.width = max(
            dimension.width or 0, min(spec.cap, display_width(spec.header) + 2), spec.minimum
        )
    ws.row_dimensions[HEADER_ROW].height = 32  # a group header over two narrow columns takes two lines
    fit_rows(ws, HEADER_ROW + 1, last_row)
    for r in range(1, 4):
        ws.cell(row=r, column=1).alignment = Alignment(vertical="top", wrap_text=False)


def write_indicator_row(
    ws: Worksheet,
    row: int,
    evaluation: Evaluation,
    data: ReviewData,
    *,
    kind_label: str,
    measure: str,
    policy: str,
    repost: bool = False,
    fill=None,
):
    indicator, year, strategy = evaluation.indicator, data.fiscal_year, data.strategy
    places = indicator.decimal_places
    record = evaluation.record(year)
    opinion, response = data.opinions.get(indicator.pk, ("", ""))
    text = {"border": BORDER, "fill": fill}
    number = {"border": BORDER, "fill": fill, "triangle": data.triangle}
    column = 1
    for value in (
        indicator.code,
        kind_label,
        measure,
        policy,
        indicator.name,
        indicator.department.name if indicator.department else "",
        indicator.unit,
    ):
        put_text(ws, row, column, value, font=REPOST_FONT if repost and column <= 4 else None, **text)
        column += 1
    put_number(ws, row, column, indicator.baseline_value, places, **number)
    put_text(ws, row, column + 1, year_text(indicator.baseline_year), **text)
    column += 2
    for each_year in strategy.plan_years:
        result = evaluation.year(each_year)
        put_number(ws, row, column, result.expected, indicator.shown_places, **number)
        font = value_font(evaluation, each_year)
        put_number(ws, row, column + 1, result.actual, places, font=font, **number)
        column += 2
    result = evaluation.year(year)
    target_value, _target_year, target_text = data.target(indicator)
    put_number(ws, row, column, target_value, places, **number)
    put_text(ws, row, column + 1, target_text, **text)
    put_number(ws, row, column + 2, result.rate, fmt=RATE_FORMAT, **number)
    put_grade(ws, row, column + 3, result.grade, data.scale)
    put_text(ws, row, column + 4, data.status_text(evaluation, year), alignment=CENTER, **text)
    forecast = data.forecast(evaluation)
    put_text(ws, row, column + 5, forecast.label, alignment=CENTER, **text)
    put_text(ws, row, column + 6, forecast.explanation, **text)
    column += 7
    next_step = NextStep(record.next_step).label if record and record.next_step else ""
    cause, note = (record.cause_analysis, record.note) if record else ("", "")
    for value in (cause, next_step, note, opinion, response):
        put_text(ws, row, column, value, **text)
        column += 1
