"""The 総括 sheet of the review workbook: the plan and the year, the KGI table, the KPI grade counts per
goal with a stacked bar chart, the grade scale, and how expected values, rates and grades are computed."""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from kpis.rules.achievement import NOT_EVALUABLE
from kpis.rules.evaluation import Rollup, rollup
from kpis.rules.scale import Scale
from lib.cells import (
    BOLD,
    BORDER,
    CENTER,
    DEMO_FONT,
    TITLE_FONT,
    excel_colour,
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

CHART_ROWS = 18  # the rows a 7.5 cm chart covers


def write_summary(ws: Worksheet, data: ReviewData):
    """The whole 総括 sheet: titles, KGI table, grade counts and chart, then the scale and the method."""
    ws.sheet_view.showGridLines = False
    row = write_title(ws, data)
    row += 1
    row = write_kgi_table(ws, row, data)
    row += 1
    counts_top, row = write_grade_counts(ws, row, data)
    add_grade_chart(ws, data, counts_top, anchor_row=row + 1)
    row += CHART_ROWS
    # The scale and the method start a printed page of their own rather than cut the chart in two.
    ws.row_breaks.append(Break(id=row))
    row += 1
    row = write_scale(ws, row, data.scale)
    row += 1
    write_method(ws, row)

    widths = {1: 16, 2: 12, 3: 36, 4: 10}
    for column, width in widths.items():
        ws.column_dimensions[get_column_letter(column)].width = width
    for column in range(5, 15):
        ws.column_dimensions[get_column_letter(column)].width = 14
    ws.column_dimensions[get_column_letter(15)].width = 40  # the KGIs' 達成見込みの根拠, one sentence
    # The KGI table's years, 2024年度（令和6年度）, on one line (and under 期待値, 実績値 in the headers).
    for column in (6, 7, 8, 10):
        ws.column_dimensions[get_column_letter(column)].width = 23
    ws.freeze_panes = None
    print_setup(ws, None)
    # The summary's long title lines should not wrap: they run over the empty cells to their right.
    for r in range(1, 7):
        ws.cell(row=r, column=1).alignment = Alignment(vertical="top", wrap_text=False)
    fit_rows(ws, 7, ws.max_row)


def write_title(ws: Worksheet, data: ReviewData) -> int:
    """The plan, the year, the date, and the warnings (demo data, unapproved figures); the next free row."""
    strategy, year = data.strategy, data.fiscal_year
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
    pending = data.unapproved_count()
    if pending:
        put_text(
            ws,
            row,
            1,
            _("未承認（入力中・提出済）の実績値を%(count)s件含みます（斜体で示します）。")
            % {"count": pending},
            alignment=Alignment(vertical="top"),
        )
        row += 1
    return row


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
        f"{_('期待値')}\n{fiscal_year_label(year)}",
        f"{_('実績値')}\n{fiscal_year_label(year)}",
        _("目標値"),
        _("目標年度"),
        _("達成率（％）"),
        _("評価"),
        _("状態"),
        _("達成見込み"),
        _("達成見込みの根拠"),
    ]
    for column, text in enumerate(headers, start=1):
        header_cell(ws, row, column, text)
    # Every cell framed as it is written: a border set afterwards is hashed again by openpyxl, cell by cell.
    edge = {"border": BORDER}
    number = {"border": BORDER, "triangle": data.triangle}
    for goal in data.goals:
        for evaluation in data.kgis(goal):
            row += 1
            indicator, result = evaluation.indicator, evaluation.year(year)
            places = indicator.decimal_places
            put_text(ws, row, 1, _("基本目標%(number)s") % {"number": goal.number}, **edge)
            put_text(ws, row, 2, indicator.code, **edge)
            put_text(ws, row, 3, indicator.name, **edge)
            put_text(ws, row, 4, indicator.unit, **edge)
            put_number(ws, row, 5, indicator.baseline_value, places, **number)
            put_text(ws, row, 6, year_text(indicator.baseline_year), **edge)
            put_number(ws, row, 7, result.expected, indicator.shown_places, **number)
            font = value_font(evaluation, year)
            put_number(ws, row, 8, result.actual, places, font=font, **number)
            target_value, _target_year, target_text = data.target(indicator)
            put_number(ws, row, 9, target_value, places, **number)
            put_text(ws, row, 10, target_text, **edge)
            put_number(ws, row, 11, result.rate, fmt=RATE_FORMAT, **number)
            put_grade(ws, row, 12, result.grade, data.scale)
            put_text(ws, row, 13, data.status_text(evaluation, year), alignment=CENTER, **edge)
            forecast = data.forecast(evaluation)
            put_text(ws, row, 14, forecast.label, alignment=CENTER, **edge)
            put_text(ws, row, 15, forecast.explanation, **edge)
    return row + 1


def write_grade_counts(ws: Worksheet, row: int, data: ReviewData) -> tuple[int, int]:
    """The KPI grade counts per goal and for the whole plan; returns (header row, next free row)."""
    scale, year = data.scale, data.fiscal_year
    put_text(
        ws,
        row,
        1,
        _("KPIの評価の集計（%(year)s、【再掲】の指標は一度だけ数えます）")
        % {"year": fiscal_year_label(year)},
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
    merge(ws, row, 4, row, 7)
    rows = [
        (grade.label, grade.shown_name, grade.lower_bound, grade.shown_description) for grade in scale.grades
    ]
    rows.append((NOT_EVALUABLE, _("評価不能"), None, _("実績値または期待値がない")))
    for label, name, lower, description in rows:
        row += 1
        put_grade(ws, row, 1, label, scale)
        put_text(ws, row, 2, name)
        put_number(ws, row, 3, lower, fmt=RATE_FORMAT)
        put_text(ws, row, 4, description, alignment=Alignment(vertical="top"))
        for column in range(1, 8):
            ws.cell(row=row, column=column).border = BORDER
        merge(ws, row, 4, row, 7)
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
        "達成見込み：基準値と評価年度までの実績値（累計の指標は累計値）に最小二乗法で直線を当てはめ、"
        "目標年度まで延ばした値（指標の表示桁で四捨五入）が目標値以上（低いほど良い指標は以下）なら「見込みあり」、"
        "そうでなければ「要注意」です。"
    ),
    gettext_noop(
        "達成見込み（続き）：最新の実績値が既に目標値に達し、直線が目標から離れる向きでなければ「見込みあり」です。"
        "目標年度の実績値があればその値で判定し、基準年度より後の実績値がなければ「判定不可」です。"
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
    chart.title = _("基本目標別のKPI評価（%(year)s）") % {"year": fiscal_year_label(data.fiscal_year)}
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
