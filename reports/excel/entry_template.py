"""A department's entry template (実績入力シート): its indicators for one fiscal year, to fill in and import.

The reference columns are protected; the input columns (実績値, 備考, 要因分析, 今後の方向性, データ時点, 速報・確定) are unlocked
and validated in the sheet. The headers are those kpis.importing.rows.HEADER_ALIASES accepts, so the filled
file imports back as it is (columns it does not know, such as 指標名 or 基準値, are ignored).
"""

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from goals.models import Department, Strategy
from kpis.models import ActualValue, Indicator, NextStep
from kpis.rules.evaluation import year_evaluations
from lib.cells import (
    BOLD,
    BORDER,
    CENTER,
    DEMO_FONT,
    TITLE_FONT,
    WRAP,
    apply_style,
    display_width,
    fit_rows,
    header_cell,
    print_setup,
    put_number,
    put_text,
)
from lib.fiscal import fiscal_year_label, wareki
from lib.numbers import MAX_INTEGER_DIGITS

INPUT_FILL = PatternFill(fill_type="solid", fgColor="FFF8D6")
UNLOCKED = Protection(locked=False)
LOCKED = Protection(locked=True)
# (header, width); the headers the import reads are kpis.importing.rows.HEADER_ALIASES' Japanese ones.
REFERENCE_COLUMNS = (
    ("指標コード", 12),
    ("指標名", 40),
    ("担当課", 14),
    ("単位", 8),
    ("基準値", 12),
    ("目標値", 12),
    ("期待値", 12),
    ("前年度実績", 12),
    ("年度", 8),
)
INPUT_COLUMNS = (
    ("実績値", 14),
    ("備考", 30),
    ("要因分析", 40),
    ("今後の方向性", 14),
    ("データ時点", 12),
    ("速報・確定", 10),
)
# The import reads these (kpis.importing.prepare.QUALITY_TEXTS); the sheet offers them as a list.
QUALITY_CHOICES = ("速報", "確定", "改定")
QUALITY_TEXTS = dict(zip(ActualValue.Quality.values, ("確定", "速報", "改定"), strict=True))
STATUS_COLUMN = ("状態", 10)
SHEET_TITLE = "実績入力"


def template_filename(strategy: Strategy, fiscal_year: int, department: Department | None) -> str:
    who = department.name if department else _("全指標")
    return f"{_('実績入力')}_{who}_{fiscal_year}.xlsx"


def build_entry_template(strategy: Strategy, fiscal_year: int, department: Department | None = None) -> bytes:
    """The template for one department (or, for the planning office, every indicator) and fiscal year."""
    if fiscal_year not in strategy.plan_years:
        raise ValueError(
            _("%(year)s は計画期間（%(first)s〜%(last)s年度）の外です。")
            % {"year": fiscal_year, "first": strategy.first_year, "last": strategy.last_year}
        )
    indicators = Indicator.objects.of_strategy(strategy)
    if department is not None:
        indicators = indicators.filter(department=department)
    # The year's stored result and the figures of the year and the year before: all the sheet shows.
    evaluations = year_evaluations(indicators, strategy, fiscal_year)

    workbook = Workbook()
    ws = workbook.active
    ws.title = _(SHEET_TITLE)
    headers = [*REFERENCE_COLUMNS, *INPUT_COLUMNS, STATUS_COLUMN]
    for column, (header, width) in enumerate(headers, start=1):
        cell = header_cell(ws, 1, column, _(header))
        if (header, width) in INPUT_COLUMNS:
            apply_style(cell, font=BOLD, alignment=CENTER, fill=INPUT_FILL, border=BORDER)
        ws.column_dimensions[get_column_letter(column)].width = max(width, display_width(_(header)) + 2)

    first_input = len(REFERENCE_COLUMNS) + 1
    row = 1
    for evaluation in evaluations:
        row += 1
        indicator = evaluation.indicator
        places = indicator.decimal_places
        record = evaluation.record(fiscal_year)
        previous = evaluation.record(fiscal_year - 1)
        locked = {"border": BORDER}
        for column, value in enumerate(
            (
                indicator.code,
                indicator.name,
                indicator.department.name if indicator.department else "",
                indicator.unit,
            ),
            start=1,
        ):
            put_text(ws, row, column, value, **locked)
        put_number(ws, row, 5, indicator.baseline_value, places, **locked)
        put_number(ws, row, 6, indicator.target_value, places, **locked)
        put_number(ws, row, 7, evaluation.year(fiscal_year).expected, places, **locked)
        put_number(ws, row, 8, previous.value if previous else None, places, **locked)
        year_cell = ws.cell(row=row, column=9, value=fiscal_year)
        apply_style(year_cell, border=BORDER, alignment=CENTER, number_format="0")

        value_cell = ws.cell(row=row, column=first_input)
        if record is not None and record.value is not None:
            value_cell.value = (
                record.value.normalize() if record.value.as_tuple().exponent < 0 else record.value
            )
        apply_style(value_cell, border=BORDER, fill=INPUT_FILL, protection=UNLOCKED, number_format="General")
        texts = (
            record.note if record else "",
            record.cause_analysis if record else "",
            record.get_next_step_display() if record and record.next_step else "",
            *_late_figure_texts(record),
        )
        for offset, text in enumerate(texts, start=1):
            cell = put_text(ws, row, first_input + offset, text, border=BORDER, fill=INPUT_FILL)
            apply_style(cell, border=BORDER, fill=INPUT_FILL, alignment=WRAP, protection=UNLOCKED)
        status = record.get_status_display() if record else ""
        put_text(ws, row, first_input + len(INPUT_COLUMNS), status, border=BORDER)
    last_row = max(row, 2)

    fit_rows(ws, 2, last_row)
    add_validations(ws, first_input, last_row)
    ws.freeze_panes = "C2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{last_row}"
    ws.protection.sheet = True
    # Protected against accidents, not secrets: widths, heights and filters stay usable.
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.protection.autoFilter = False
    print_setup(ws, "1:1")

    write_instructions(workbook.create_sheet(_("記入方法")), strategy, fiscal_year, department)
    workbook.active = 0
    workbook.properties.title = f"{_('実績入力')} {fiscal_year_label(fiscal_year)}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _late_figure_texts(record: ActualValue | None) -> tuple[str, str]:
    """データ時点 as entered (blank: the indicator's usual one) and 速報・確定 of a stored figure, in Japanese
    as the import reads them; blank for a year without a figure."""
    if record is None or record.value is None:
        return "", ""
    period = wareki(record.data_period) if record.data_period is not None else ""
    return period, QUALITY_TEXTS[record.quality]


def add_validations(ws, first_input: int, last_row: int):
    value_column = get_column_letter(first_input)
    limit = "9" * MAX_INTEGER_DIGITS
    number = DataValidation(
        type="decimal",
        operator="between",
        formula1=f"-{limit}",
        formula2=limit,
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=_("実績値"),
        error=_("数値だけを入力してください（単位や％、数式は入れません）。"),
        showInputMessage=True,
        promptTitle=_("実績値"),
        prompt=_("数値を入力します。未集計なら空欄のままにします。"),
    )
    number.add(f"{value_column}2:{value_column}{last_row}")
    step_column = get_column_letter(first_input + 3)
    steps = DataValidation(
        type="list",
        formula1='"' + ",".join(str(label) for label in NextStep.labels) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=_("今後の方向性"),
        error=_("一覧から選んでください。"),
    )
    steps.add(f"{step_column}2:{step_column}{last_row}")
    quality_column = get_column_letter(first_input + 5)
    quality = DataValidation(
        type="list",
        formula1='"' + ",".join(QUALITY_CHOICES) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=_("速報・確定"),
        error=_("一覧から選んでください。"),
    )
    quality.add(f"{quality_column}2:{quality_column}{last_row}")
    ws.add_data_validation(number)
    ws.add_data_validation(quality)
    ws.add_data_validation(steps)


def write_instructions(ws, strategy: Strategy, fiscal_year: int, department: Department | None):
    lines = [
        (strategy.name, TITLE_FONT),
        (_("%(year)s 実績入力シート") % {"year": fiscal_year_label(fiscal_year)}, BOLD),
        (_("担当課：%(name)s") % {"name": department.name if department else _("全指標")}, None),
        ("", None),
        (_("記入方法"), BOLD),
        (_("・「実績入力」シートの黄色の列（実績値、備考、要因分析、今後の方向性）に入力します。"), None),
        (
            _("・実績値は数値だけを入力します（単位や％は付けません）。未集計の指標は空欄のままにします。"),
            None,
        ),
        (_("・数式は使えません。計算した結果の値を入力してください。"), None),
        (
            _(
                "・データ時点は値が測る年度です（例: 令和3年度）。空欄なら指標の既定の年度です。"
                "速報・確定は一覧（速報／確定／改定）から選びます。速報値は p、改定値は r の記号で表示されます。"
            ),
            None,
        ),
        (
            _("・今後の方向性は一覧（%(steps)s）から選びます。")
            % {"steps": "／".join(map(str, NextStep.labels))},
            None,
        ),
        (_("・指標コードと年度は変更しないでください。行の並べ替えや削除はかまいません。"), None),
        (
            _("・空欄のセルは登録済みの内容を変更しません。承認済みの値を変更できるのは政策企画課だけです。"),
            None,
        ),
        (
            _("・入力が終わったら「帳票・取込」ページから取り込み、確認画面で内容を確かめてから確定します。"),
            None,
        ),
    ]
    if strategy.has_demo_data:
        lines.insert(3, (_("デモデータ（架空の数値）を含みます。"), DEMO_FONT))
    for row, (text, font) in enumerate(lines, start=1):
        put_text(ws, row, 1, text, font=font, alignment=Alignment(vertical="top", wrap_text=False))
    ws.column_dimensions["A"].width = 100
    print_setup(ws, None)
