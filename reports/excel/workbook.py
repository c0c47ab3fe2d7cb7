"""The review workbook (効果検証シート) for the 創生本部会議 and the 創生有識者会議, built with openpyxl.

One 総括 sheet (the plan, the KGIs, grade counts per goal with a chart, the grade scale and how rates are
computed) and one sheet per 基本目標 (its KGIs, then every measure → policy → KPI). All figures come from
kpis.rules.evaluation; the data is read in a fixed number of queries whatever the size of the plan.
"""

import io
import unicodedata
from collections import defaultdict
from copy import copy
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from goals.models import Goal, Measure, Policy, Strategy
from kpis.models import ActualValue, Indicator, Kind, NextStep, Placement
from kpis.rules.achievement import NOT_EVALUABLE
from kpis.rules.evaluation import Evaluation, Rollup, evaluate_all, rollup, rollup_by_goal, scale_for
from kpis.rules.scale import Scale
from lib.csvsafe import neutralise_formula
from lib.fiscal import fiscal_year_label, wareki, wareki_with_seireki
from lib.numbers import MISSING
from reviews.queries import opinions_by_goal, opinions_by_indicator

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Excel refuses (with a repair prompt) a cell holding more text than this.
MAX_CELL_TEXT = 32767

THIN = Side(style="thin", color="9AA4AE")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill(fill_type="solid", fgColor="DCE6F0")
KGI_FILL = PatternFill(fill_type="solid", fgColor="F3F6F9")
REPOST_FONT = Font(color="555555", italic=True)
TITLE_FONT = Font(bold=True, size=14)
BOLD = Font(bold=True)
DEMO_FONT = Font(bold=True, color="B00020", size=12)
WRAP = Alignment(wrap_text=True, vertical="top")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
RIGHT = Alignment(horizontal="right", vertical="top")
RATE_FORMAT = "#,##0.0"
CHART_ROWS = 18  # the rows a 7.5 cm chart covers


# --- cells -------------------------------------------------------------------------------------------


def safe_text(value) -> str:
    """User text as a cell may hold it: no control characters, never a formula, not too long."""
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    return neutralise_formula(text)[:MAX_CELL_TEXT]


def apply_style(cell, **attributes):
    """Set a cell's styles through a per-workbook cache: openpyxl hashes every style it is given, which
    costs more than everything else for thousands of rows."""
    cache = cell.parent.parent.__dict__.setdefault("_style_cache", {})
    key = tuple(
        sorted((name, value if isinstance(value, str) else id(value)) for name, value in attributes.items())
    )
    cached = cache.get(key)
    if cached is None:
        for name, value in attributes.items():
            setattr(cell, name, value)
        # Keep the style objects alive so that their ids in the key stay theirs.
        cache[key] = (copy(cell._style), tuple(attributes.values()))
    else:
        cell._style = copy(cached[0])
    return cell


def styles(font=None, fill=None, alignment=None, border=None, number_format=None) -> dict:
    given = {
        "font": font,
        "fill": fill,
        "alignment": alignment,
        "border": border,
        "number_format": number_format,
    }
    return {name: value for name, value in given.items() if value is not None}


def put_text(ws: Worksheet, row: int, column: int, value, font=None, alignment=WRAP, fill=None, border=None):
    """A string cell (never a formula, whatever the text starts with)."""
    cell = ws.cell(row=row, column=column)
    cell.value = "" if value is None else safe_text(value)
    cell.data_type = "s"
    return apply_style(cell, **styles(font, fill, alignment, border))


def number_format(places: int) -> str:
    return "#,##0" if places <= 0 else "#,##0." + "0" * places


def places_for(value: Decimal, decimal_places: int | None) -> int:
    """The indicator's display places, or the value's own decimals (as the `num` filter shows it)."""
    if decimal_places is not None:
        return decimal_places
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


MISSING_ALIGNMENT = Alignment(horizontal="center", vertical="top")


def put_number(
    ws: Worksheet,
    row: int,
    column: int,
    value,
    decimal_places: int | None = None,
    fmt=None,
    font=None,
    fill=None,
    border=None,
):
    """A numeric cell with a format that fits the value; 「−」 when there is no value."""
    cell = ws.cell(row=row, column=column)
    if value is None:
        cell.value = MISSING
        cell.data_type = "s"
        return apply_style(cell, **styles(font, fill, MISSING_ALIGNMENT, border))
    value = Decimal(value)
    normal = value.normalize()
    # normalize() may give 1E+3: quantize back to an integer exponent so Excel reads a plain number.
    cell.value = normal.quantize(Decimal(1)) if normal.as_tuple().exponent > 0 else normal
    fmt = fmt or number_format(places_for(value, decimal_places))
    return apply_style(cell, **styles(font, fill, RIGHT, border, fmt))


def excel_colour(colour: str) -> str:
    """#1a7f37 → 1A7F37, as openpyxl takes colours."""
    return colour.lstrip("#").upper()


def grade_style(label: str, scale: Scale, cache: dict = {}) -> tuple:  # noqa: B006 — a deliberate cache
    fill, text = excel_colour(scale.colour_of(label)), excel_colour(scale.text_colour_of(label))
    if len(fill) != 6:
        return None, None
    if (fill, text) not in cache:
        cache[fill, text] = (PatternFill(fill_type="solid", fgColor=fill), Font(bold=True, color=text))
    return cache[fill, text]


def put_grade(ws: Worksheet, row: int, column: int, label: str, scale: Scale, border=BORDER):
    """The grade by its letter and by the band's fill colour."""
    fill, font = grade_style(label, scale)
    return put_text(ws, row, column, label, font=font, alignment=CENTER, fill=fill, border=border)


def display_width(text: str) -> int:
    """Columns a text needs: full-width (Japanese) characters count as 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WFA" else 1 for ch in text)


def cell_width(cell) -> int:
    if cell.value is None:
        return 0
    if isinstance(cell.value, int | Decimal | float):
        digits = len(f"{Decimal(cell.value):,f}")
        return digits + 1
    return max(display_width(line) for line in str(cell.value).split("\n"))


def fit_columns(ws: Worksheet, first_row: int, caps: dict[int, int], minimum: int = 6, maximum: int = 60):
    """Widths that fit Japanese text from `first_row` down; long text columns are capped and wrap."""
    widths: dict[int, int] = defaultdict(int)
    for row in ws.iter_rows(min_row=first_row):
        for cell in row:
            if cell.value is None or type(cell).__name__ == "MergedCell":
                continue
            widths[cell.column] = max(widths[cell.column], cell_width(cell))
    for column, width in widths.items():
        cap = caps.get(column, maximum)
        ws.column_dimensions[get_column_letter(column)].width = max(minimum, min(cap, width + 2))


def fit_rows(ws: Worksheet, first_row: int, last_row: int, line_height: float = 15.0):
    """Row heights for wrapped text: neither Excel nor LibreOffice grows them when opening a file."""
    for row in ws.iter_rows(min_row=first_row, max_row=last_row):
        lines = 1
        for cell in row:
            if (
                not isinstance(cell.value, str)
                or not cell.value
                or not (cell.alignment and cell.alignment.wrap_text)
            ):
                continue
            width = ws.column_dimensions[get_column_letter(cell.column)].width or 8.43
            usable = max(1, int(width * 0.9) - 1)  # LibreOffice's fonts run a little wider
            lines = max(
                lines, sum(-(-max(1, display_width(part)) // usable) for part in cell.value.split("\n"))
            )
        if lines > 1:
            ws.row_dimensions[row[0].row].height = round(lines * line_height + 2, 1)


def print_setup(ws: Worksheet, title_rows: str | None):
    """A3 landscape, fitted to the page width, header rows on every page, page numbers in the footer."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A3
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    if title_rows:
        ws.print_title_rows = title_rows
    ws.oddHeader.left.text = "&A"
    ws.oddFooter.center.text = "&P / &N"


def header_cell(ws: Worksheet, row: int, column: int, text: str):
    return put_text(ws, row, column, text, font=BOLD, alignment=CENTER, fill=HEADER_FILL, border=BORDER)


# --- data --------------------------------------------------------------------------------------------


def _opinion_texts(opinions) -> tuple[str, str]:
    """The opinions (with year, meeting and speaker) and their responses (with the follow-up state)."""
    said, answered = [], []
    for opinion in opinions:
        said.append(
            f"［{wareki(opinion.fiscal_year)} {opinion.meeting.name}・{opinion.speaker}］{opinion.text}"
        )
        answer = opinion.response or opinion.follow_up_reason or "−"
        answered.append(f"［{opinion.get_follow_up_display()}］{answer}")
    return "\n".join(said), "\n".join(answered)


def opinions_for(strategy: Strategy, fiscal_year: int) -> dict[int, tuple[str, str]]:
    """Per indicator id, the council's opinions carried into this year (its own, last year's, older open
    ones) and the responses (対応方針) with their follow-up state."""
    return {
        pk: _opinion_texts(opinions) for pk, opinions in opinions_by_indicator(strategy, fiscal_year).items()
    }


def goal_opinions_for(strategy: Strategy, fiscal_year: int) -> dict[int | None, tuple[str, str]]:
    """The same for opinions on a whole goal (key: goal id) or on the whole plan (key: None)."""
    return {
        key: _opinion_texts(opinions) for key, opinions in opinions_by_goal(strategy, fiscal_year).items()
    }


@dataclass
class ReviewData:
    """Everything the workbook shows, read in a fixed number of queries."""

    strategy: Strategy
    fiscal_year: int
    scale: Scale
    goals: list[Goal]
    measures: dict[int, list[Measure]]  # goal id → measures
    policies: dict[int, list[Policy]]  # measure id → policies
    placements: dict[int, list[Placement]]  # policy id → placements
    evaluations: dict[int, Evaluation]  # indicator id → evaluation
    opinions: dict[int, tuple[str, str]] = field(default_factory=dict)
    goal_opinions: dict[int | None, tuple[str, str]] = field(default_factory=dict)

    def kgis(self, goal: Goal) -> list[Evaluation]:
        return [
            e
            for e in self.evaluations.values()
            if e.indicator.goal_id == goal.pk and e.indicator.kind == Kind.KGI
        ]

    def kpis(self) -> list[Evaluation]:
        return [e for e in self.evaluations.values() if e.indicator.kind == Kind.KPI]

    def kpi_rollups(self) -> list[tuple[Goal, Rollup]]:
        # An indicator belongs to its home goal, so a 【再掲】 KPI is counted once, where it first appears.
        return rollup_by_goal(self.kpis(), self.goals, self.fiscal_year, self.scale)

    def unplaced_kpis(self, measure: Measure) -> list[Evaluation]:
        placed = {p.indicator_id for items in self.placements.values() for p in items}
        return [
            e
            for e in self.evaluations.values()
            if e.indicator.kind == Kind.KPI
            and e.indicator.measure_id == measure.pk
            and e.indicator.pk not in placed
        ]


def review_data(strategy: Strategy, fiscal_year: int) -> ReviewData:
    if fiscal_year not in strategy.plan_years:
        raise ValueError(
            _("%(year)s は計画期間（%(first)s〜%(last)s年度）の外です。")
            % {"year": fiscal_year, "first": strategy.first_year, "last": strategy.last_year}
        )
    scale = scale_for(strategy)
    indicators = Indicator.objects.of_strategy(strategy).with_figures()
    evaluations = {e.indicator.pk: e for e in evaluate_all(indicators, strategy, scale=scale)}
    goals = list(Goal.objects.filter(strategy=strategy).order_by("number"))
    measures: dict[int, list[Measure]] = defaultdict(list)
    for measure in Measure.objects.filter(goal__strategy=strategy).order_by("goal__number", "number"):
        measures[measure.goal_id].append(measure)
    policies: dict[int, list[Policy]] = defaultdict(list)
    for policy in Policy.objects.filter(measure__goal__strategy=strategy).order_by("measure_id", "number"):
        policies[policy.measure_id].append(policy)
    placements: dict[int, list[Placement]] = defaultdict(list)
    for placement in Placement.objects.filter(policy__measure__goal__strategy=strategy).order_by(
        "policy_id", "order", "pk"
    ):
        placements[placement.policy_id].append(placement)
    return ReviewData(
        strategy=strategy,
        fiscal_year=fiscal_year,
        scale=scale,
        goals=goals,
        measures=measures,
        policies=policies,
        placements=placements,
        evaluations=evaluations,
        opinions=opinions_for(strategy, fiscal_year),
        goal_opinions=goal_opinions_for(strategy, fiscal_year),
    )


# --- the workbook ------------------------------------------------------------------------------------


def build_review_workbook(strategy: Strategy, fiscal_year: int) -> bytes:
    """The review workbook for one fiscal year, as .xlsx bytes."""
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


def goal_sheet_name(goal: Goal) -> str:
    # Sheet names: at most 31 characters, none of []:*?/\ .
    return (_("基本目標%(number)s") % {"number": goal.number})[:31]


def goal_heading(goal: Goal) -> str:
    return _("基本目標%(number)s「%(title)s」") % {"number": goal.number, "title": goal.title}


def unapproved_count(data: ReviewData) -> int:
    return sum(
        1
        for e in data.evaluations.values()
        if (record := e.record(data.fiscal_year)) is not None
        and record.value is not None
        and record.status != ActualValue.Status.APPROVED
    )


def write_summary(ws: Worksheet, data: ReviewData):
    strategy, year, scale = data.strategy, data.fiscal_year, data.scale
    ws.sheet_view.showGridLines = False
    put_text(ws, 1, 1, strategy.name, font=TITLE_FONT, alignment=Alignment(vertical="top"))
    if strategy.subtitle:
        put_text(ws, 2, 1, strategy.subtitle, alignment=Alignment(vertical="top"))
    put_text(
        ws,
        3,
        1,
        _("%(year)s 効果検証（KGI・KPIの評価）") % {"year": fiscal_year_label(year)},
        font=Font(bold=True, size=12),
        alignment=Alignment(vertical="top"),
    )
    row = 4
    put_text(
        ws,
        row,
        1,
        _("作成日：%(date)s") % {"date": timezone.localdate().isoformat()},
        alignment=Alignment(vertical="top"),
    )
    row += 1
    if strategy.has_demo_data:
        put_text(
            ws,
            row,
            1,
            _(
                "デモデータ（架空の数値）：この表の数値は説明用に作成した架空の値です。阿見町の実績値ではありません。"
            ),
            font=DEMO_FONT,
            alignment=Alignment(vertical="top"),
        )
        row += 1
    pending = unapproved_count(data)
    if pending:
        put_text(
            ws,
            row,
            1,
            _("未承認（入力中・提出済）の実績値を%(count)s件含みます。") % {"count": pending},
            alignment=Alignment(vertical="top"),
        )
        row += 1

    row += 1
    row = write_kgi_table(ws, row, data)
    row += 1
    counts_top, row = write_grade_counts(ws, row, data)
    add_grade_chart(ws, data, counts_top, anchor_row=row + 1)
    row += CHART_ROWS
    # The scale and the method start a printed page of their own rather than cut the chart in two.
    ws.row_breaks.append(Break(id=row))
    row += 1
    row = write_scale(ws, row, scale)
    row += 1
    write_method(ws, row)

    widths = {1: 16, 2: 12, 3: 36, 4: 10}
    for column, width in widths.items():
        ws.column_dimensions[get_column_letter(column)].width = width
    for column in range(5, 15):
        ws.column_dimensions[get_column_letter(column)].width = 14
    for column in (6, 10):  # the KGI table's years: 令和6年度（2024） on one line
        ws.column_dimensions[get_column_letter(column)].width = 19
    ws.freeze_panes = None
    print_setup(ws, None)
    # The summary's long title lines should not wrap: they run over the empty cells to their right.
    for r in range(1, 7):
        ws.cell(row=r, column=1).alignment = Alignment(vertical="top", wrap_text=False)
    fit_rows(ws, 7, ws.max_row)


def write_kgi_table(ws: Worksheet, row: int, data: ReviewData) -> int:
    year = data.fiscal_year
    put_text(ws, row, 1, _("KGI（重要目標達成指標）"), font=BOLD, alignment=Alignment(vertical="top"))
    row += 1
    headers = [
        _("基本目標"),
        _("コード"),
        _("KGI"),
        _("単位"),
        _("基準値"),
        _("基準年度"),
        _("期待値（%(year)s）") % {"year": wareki_with_seireki(year)},
        _("実績値（%(year)s）") % {"year": wareki_with_seireki(year)},
        _("目標値"),
        _("目標年度"),
        _("達成率（％）"),
        _("評価"),
    ]
    for column, text in enumerate(headers, start=1):
        header_cell(ws, row, column, text)
    for goal in data.goals:
        for evaluation in data.kgis(goal):
            row += 1
            indicator, result = evaluation.indicator, evaluation.year(year)
            places = indicator.decimal_places
            put_text(ws, row, 1, _("基本目標%(number)s") % {"number": goal.number})
            put_text(ws, row, 2, indicator.code)
            put_text(ws, row, 3, indicator.name)
            put_text(ws, row, 4, indicator.unit)
            put_number(ws, row, 5, indicator.baseline_value, places)
            put_text(ws, row, 6, year_text(indicator.baseline_year))
            put_number(ws, row, 7, result.expected, places)
            put_number(ws, row, 8, result.actual, places)
            put_number(ws, row, 9, indicator.target_value, places)
            put_text(ws, row, 10, year_text(indicator.target_year))
            put_number(ws, row, 11, result.rate, fmt=RATE_FORMAT)
            put_grade(ws, row, 12, result.grade, data.scale)
            for column in range(1, 13):
                ws.cell(row=row, column=column).border = BORDER
    return row + 1


def write_grade_counts(ws: Worksheet, row: int, data: ReviewData) -> tuple[int, int]:
    """The KPI grade counts per goal and for the whole plan; returns (header row, next free row)."""
    scale, year = data.scale, data.fiscal_year
    put_text(
        ws,
        row,
        1,
        _("KPIの評価の集計（%(year)s、【再掲】の指標は一度だけ数えます）")
        % {"year": wareki_with_seireki(year)},
        font=BOLD,
        alignment=Alignment(vertical="top"),
    )
    row += 1
    top = row
    labels = scale.labels
    header_cell(ws, row, 1, _("基本目標"))
    for offset, label in enumerate(labels):
        name = scale.name_of(label)
        header_cell(ws, row, 2 + offset, f"{label} {name}".strip())
    header_cell(ws, row, 2 + len(labels), _("計"))
    header_cell(ws, row, 3 + len(labels), _("%(label)sの割合（％）") % {"label": labels[0]})

    def counts_row(r: int, label: str, result: Rollup, font=None):
        put_text(ws, r, 1, label, font=font)
        for offset, grade in enumerate(labels):
            put_number(ws, r, 2 + offset, result.counts.get(grade, 0), fmt="0")
        put_number(ws, r, 2 + len(labels), result.total, fmt="0")
        put_number(ws, r, 3 + len(labels), result.share_top, fmt=RATE_FORMAT)
        for column in range(1, 4 + len(labels)):
            ws.cell(row=r, column=column).border = BORDER
            if font is not None:
                ws.cell(row=r, column=column).font = font

    for goal, result in data.kpi_rollups():
        row += 1
        counts_row(row, _("基本目標%(number)s") % {"number": goal.number}, result)
    row += 1
    counts_row(row, _("計画全体"), rollup(data.kpis(), year, scale), font=BOLD)
    return top, row + 1


def write_scale(ws: Worksheet, row: int, scale: Scale) -> int:
    put_text(ws, row, 1, _("評価の区分"), font=BOLD, alignment=Alignment(vertical="top"))
    row += 1
    for column, text in enumerate([_("評価"), _("名称"), _("達成率の下限（％）"), _("説明")], start=1):
        header_cell(ws, row, column, text)
    for column in range(5, 8):
        header_cell(ws, row, column, "")
    ws.merge_cells(start_row=row, start_column=4, end_row=row, end_column=7)
    rows = [(grade.label, grade.name, grade.lower_bound, grade.description) for grade in scale.grades]
    rows.append((NOT_EVALUABLE, _("評価不能"), None, _("実績値または期待値がない")))
    for label, name, lower, description in rows:
        row += 1
        put_grade(ws, row, 1, label, scale)
        put_text(ws, row, 2, name)
        put_number(ws, row, 3, lower, fmt=RATE_FORMAT)
        put_text(ws, row, 4, description, alignment=Alignment(vertical="top"))
        for column in range(1, 8):
            ws.cell(row=row, column=column).border = BORDER
        ws.merge_cells(start_row=row, start_column=4, end_row=row, end_column=7)
    return row + 1


METHOD_LINES = (
    gettext_noop(
        "期待値：基準値 ＋（目標値 − 基準値）×（評価年度 − 基準年度）÷（目標年度 − 基準年度）。"
        "政策企画課が年度の期待値を定めた指標はその値を用います。基準値がない指標は目標年度にのみ期待値があります。"
    ),
    gettext_noop(
        "比較する値：単年度の指標はその年度の実績値、累計の指標は計画初年度からその年度までの実績値の合計です。"
    ),
    gettext_noop(
        "達成率：高いほど良い指標は 実績値 ÷ 期待値 × 100、低いほど良い指標は 期待値 ÷ 実績値 × 100"
        "（小数第2位を四捨五入し、小数第1位まで）。"
    ),
    gettext_noop(
        "評価：四捨五入した達成率を上の区分に当てはめます。達成率が定義できない場合は、"
        "期待値以上（低いほど良い指標は以下）なら最上位、そうでなければ最下位の区分です。"
        "実績値または期待値がない場合は「−（評価不能）」です。"
    ),
    gettext_noop(
        "【再掲】：別の施策に再掲した指標は同じ指標であり、集計では最初に掲げた基本目標で一度だけ数えます。"
    ),
)


def write_method(ws: Worksheet, row: int) -> int:
    put_text(ws, row, 1, _("達成率と評価の算定方法"), font=BOLD, alignment=Alignment(vertical="top"))
    for line in METHOD_LINES:
        row += 1
        put_text(ws, row, 1, "・" + _(line), alignment=Alignment(vertical="top", wrap_text=False))
    return row + 1


def add_grade_chart(ws: Worksheet, data: ReviewData, counts_top: int, anchor_row: int):
    """A native stacked bar chart of the KPI grade counts per goal (from the counts table)."""
    labels = data.scale.labels
    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.title = _("基本目標別のKPI評価（%(year)s）") % {"year": wareki_with_seireki(data.fiscal_year)}
    chart.y_axis.title = _("指標数")
    chart.x_axis.title = None
    chart.y_axis.majorGridlines = None
    chart.y_axis.delete = False
    chart.x_axis.delete = False
    chart.x_axis.scaling.orientation = "maxMin"  # 基本目標1 at the top
    last_goal_row = counts_top + len(data.goals)
    values = Reference(ws, min_col=2, max_col=1 + len(labels), min_row=counts_top, max_row=last_goal_row)
    categories = Reference(ws, min_col=1, min_row=counts_top + 1, max_row=last_goal_row)
    chart.add_data(values, titles_from_data=True)
    chart.set_categories(categories)
    for series, label in zip(chart.series, labels, strict=False):
        colour = excel_colour(data.scale.colour_of(label))
        series.graphicalProperties.solidFill = colour
        series.graphicalProperties.line.solidFill = colour
    chart.legend.position = "b"
    chart.height = 7.5
    chart.width = 24
    ws.add_chart(chart, f"A{anchor_row}")


def year_text(year: int | None) -> str:
    return wareki_with_seireki(year) if year else MISSING


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
        Column(_("年度"), _("基準値（年度）"), cap=18),
    ]
    for year in strategy.plan_years:
        columns += [
            Column(_("期待値"), wareki_with_seireki(year)),
            Column(_("実績値"), wareki_with_seireki(year)),
        ]
    evaluated = _("評価（%(year)s）") % {"year": wareki_with_seireki(fiscal_year)}
    columns += [
        Column(_("目標値"), _("目標値（年度）")),
        Column(_("年度"), _("目標値（年度）"), cap=18),
        Column(_("達成率（％）"), evaluated, cap=10),
        Column(_("評価"), evaluated, cap=8),
        Column(_("要因分析"), minimum=24, cap=40),
        Column(_("今後の方向性"), minimum=12, cap=14),
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
            ws.merge_cells(start_row=row, start_column=column, end_row=row + 1, end_column=column)
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
            ws.merge_cells(start_row=row, start_column=column, end_row=row, end_column=end)
        column = end + 1


def write_goal_sheet(ws: Worksheet, goal: Goal, data: ReviewData):
    strategy, year = data.strategy, data.fiscal_year
    columns = goal_columns(strategy, year)
    put_text(ws, 1, 1, goal_heading(goal), font=TITLE_FONT, alignment=Alignment(vertical="top"))
    put_text(ws, 2, 1, goal.description, alignment=Alignment(vertical="top"))
    note = _("評価年度：%(year)s") % {"year": fiscal_year_label(year)}
    if strategy.has_demo_data:
        note += "　" + _("デモデータ（架空の数値）")
    put_text(
        ws,
        3,
        1,
        note,
        font=DEMO_FONT if strategy.has_demo_data else BOLD,
        alignment=Alignment(vertical="top"),
    )
    header_row = 5
    write_headers(ws, header_row, columns)
    first_data_row = header_row + 2
    row = first_data_row - 1

    for evaluation in data.kgis(goal):
        row += 1
        write_indicator_row(
            ws, row, evaluation, data, kind_label=_("KGI"), measure="", policy="", fill=KGI_FILL
        )
    for measure in data.measures.get(goal.pk, []):
        measure_title = f"{measure.circled_number}{measure.title}"
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
                    kind_label=_("KPI【再掲】") if repost else _("KPI"),
                    measure=measure_title,
                    policy=policy.title + (_("【再掲】") if repost and "再掲" not in policy.title else ""),
                    repost=repost,
                )
        for evaluation in data.unplaced_kpis(measure):
            row += 1
            write_indicator_row(
                ws, row, evaluation, data, kind_label=_("KPI"), measure=measure_title, policy=""
            )
    last_row = row
    last_column = get_column_letter(len(columns))
    if last_row >= first_data_row:
        ws.auto_filter.ref = f"A{header_row + 1}:{last_column}{last_row}"
    ws.freeze_panes = ws.cell(row=first_data_row, column=2)

    # This goal's KPI counts (its 【再掲】 rows are counted where the KPI first appears).
    row = last_row + 2
    result = dict(data.kpi_rollups()).get(goal)
    if result is not None:
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

    # Opinions on the goal as a whole (those on one indicator stand in its row) and on the whole plan.
    for key, heading in (
        (goal.pk, _("基本目標への有識者会議の意見・提言")),
        (None, _("計画全体への有識者会議の意見・提言")),
    ):
        if key not in data.goal_opinions or (key is None and goal != data.goals[0]):
            continue
        said, answered = data.goal_opinions[key]
        row += 2
        put_text(ws, row, 1, heading, font=BOLD, alignment=Alignment(vertical="top", wrap_text=False))
        row += 1
        put_text(ws, row, 1, _("意見・提言"), font=BOLD).border = BORDER
        put_text(ws, row, 2, said).border = BORDER
        row += 1
        put_text(ws, row, 1, _("対応方針"), font=BOLD).border = BORDER
        put_text(ws, row, 2, answered).border = BORDER

    fit_columns(ws, first_data_row, {i + 1: c.cap for i, c in enumerate(columns)}, minimum=7)
    for index, spec in enumerate(columns, start=1):
        dimension = ws.column_dimensions[get_column_letter(index)]
        # Wide enough for the header, and for text that will be written in later (notes, opinions).
        dimension.width = max(
            dimension.width or 0, min(spec.cap, display_width(spec.header) + 2), spec.minimum
        )
    ws.row_dimensions[header_row].height = 32  # a group header over two narrow columns takes two lines
    fit_rows(ws, header_row + 1, last_row)
    for r in range(1, 4):
        ws.cell(row=r, column=1).alignment = Alignment(vertical="top", wrap_text=False)
    print_setup(ws, f"{header_row}:{header_row + 1}")


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
    number = {"border": BORDER, "fill": fill}
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
        put_number(ws, row, column, result.expected, places, **number)
        put_number(ws, row, column + 1, result.actual, places, **number)
        column += 2
    result = evaluation.year(year)
    put_number(ws, row, column, indicator.target_value, places, **number)
    put_text(ws, row, column + 1, year_text(indicator.target_year), **text)
    put_number(ws, row, column + 2, result.rate, fmt=RATE_FORMAT, **number)
    put_grade(ws, row, column + 3, result.grade, data.scale)
    column += 4
    next_step = NextStep(record.next_step).label if record and record.next_step else ""
    for value in (record.cause_analysis if record else "", next_step, opinion, response):
        put_text(ws, row, column, value, **text)
        column += 1
