"""The plan as a workbook (.xlsx) the planning office fills in: its template, its export, and its reading.

One sheet per level of the plan (計画, ビジョン, 基本目標, KGI, 施策の方向, 施策, KPI) and one for explicit
expected values (期待値), each with its header in row 1 and one object per row below, in plan order: the
row order gives goals, measures, policies and indicators their numbers. docs/plan-template.md describes
every column. A 説明 sheet in front says how to fill it; 選択肢 lists the departments for the drop-downs.

Reading checks the whole workbook and names every problem by sheet, row and column before anything is
written; what it returns is the plain structure plan_file.py writes (the JSON fixture's, with departments,
aggregation and expected values), so a workbook and the fixture go through one writer. Writing a plan out
and reading it back gives the same structure: export → import changes nothing.
"""

import io
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import openpyxl
from django.core.validators import slug_re
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from goals.models import Department, Goal, Measure, Policy, Strategy, Vision
from kpis.loading.plan_file import FORMAT, LoadReport, PlanRefused, write_plan
from kpis.models import Indicator, Kind, Placement
from kpis.rules.achievement import Aggregation, Direction
from lib import reasons
from lib.cells import BOLD, TITLE_FONT, WRAP, header_cell, put_number, put_text
from lib.csvsafe import FORMULA_PREFIXES
from lib.fiscal import parse_fiscal_year
from lib.numbers import NumberFormatError, parse_decimal
from lib.text import describe_control_characters, has_control_characters
from lib.uploads import MAX_ROWS, MAX_SHEET_COLUMNS, UploadRefused, check_upload, extension_of

# Sheet names and headers are the file's format: the same in every language.
PLAN, VISIONS, GOALS, KGIS, MEASURES, POLICIES, KPIS, EXPECTED = (
    "計画",
    "ビジョン",
    "基本目標",
    "KGI",
    "施策の方向",
    "施策",
    "KPI",
    "期待値",
)
INSTRUCTIONS, CHOICES = "説明", "選択肢"
HIGHER, LOWER = "高いほど良い", "低いほど良い"
ANNUAL, CUMULATIVE = "単年度", "累計"
YES, NO = "はい", "いいえ"
DIRECTIONS = {HIGHER: Direction.HIGHER.value, LOWER: Direction.LOWER.value}
AGGREGATIONS = {ANNUAL: Aggregation.ANNUAL.value, CUMULATIVE: Aggregation.CUMULATIVE.value}
LONG_TEXT = 2000  # a description or purpose (TextField): more is not a plan's text
VALIDATED_ROWS = 2000  # rows the drop-downs cover below the header
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class PlanWorkbookError(PlanRefused):
    """The workbook cannot be loaded; `errors` names every problem by sheet, row and column."""


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = "text"  # text, code, slug, year, int, places, number, direction, aggregation, yesno, department, codes
    max_length: int = 0
    required: bool = False
    width: int = 14


def _max(model, name: str) -> int:
    return model._meta.get_field(name).max_length or LONG_TEXT


INDICATOR_COLUMNS = (
    Column("unit", "単位", max_length=_max(Indicator, "unit"), width=10),
    Column("direction", "方向", "direction", width=14),
    Column("aggregation", "集計方法", "aggregation", width=10),
    Column("baseline_year", "基準年度", "year", width=10),
    Column("baseline_value", "基準値", "number", width=14),
    Column("target_year", "目標年度", "year", width=10),
    Column("target_value", "目標値", "number", width=14),
    Column("source_mark", "出典記号", max_length=_max(Indicator, "source_mark"), width=8),
    Column("source_note", "出典", max_length=_max(Indicator, "source_note"), width=30),
    Column("note", "注記", max_length=_max(Indicator, "note"), width=30),
    Column("department", "担当課", "department", width=16),
    Column("decimal_places", "小数桁数", "places", width=8),
    # An indicator continuing one of an earlier plan: 「dai3ki:G1-KGI1」 (that plan's code, the indicator's).
    Column("continues", "継続元", "lineage", width=18),
)
PLAN_ROWS = (
    Column("code", "コード", "slug", _max(Strategy, "code"), True),
    Column("name", "名称", max_length=_max(Strategy, "name"), required=True),
    Column("subtitle", "副題", max_length=_max(Strategy, "subtitle")),
    Column("purpose", "目的", max_length=LONG_TEXT),
    Column("first_year", "計画初年度", "year", required=True),
    Column("last_year", "計画最終年度", "year", required=True),
    Column("baseline_year", "基準年度", "year", required=True),
)
SHEETS: dict[str, tuple[Column, ...]] = {
    VISIONS: (
        Column("number", "番号", "int", required=True, width=6),
        Column("theme", "テーマ", max_length=_max(Vision, "theme"), required=True),
        Column("title", "名称", max_length=_max(Vision, "title"), required=True, width=40),
        Column("goals", "関係する基本目標", "codes", width=20),
    ),
    GOALS: (
        Column("code", "コード", "code", _max(Goal, "code"), True, width=10),
        Column("title", "名称", max_length=_max(Goal, "title"), required=True, width=40),
        Column("description", "説明", max_length=LONG_TEXT, width=60),
    ),
    KGIS: (
        Column("goal", "基本目標コード", "code", _max(Goal, "code"), True, width=10),
        Column("code", "コード", "code", _max(Indicator, "code"), True, width=12),
        Column("name", "名称", max_length=_max(Indicator, "name"), required=True, width=40),
        *INDICATOR_COLUMNS,
    ),
    MEASURES: (
        Column("goal", "基本目標コード", "code", _max(Goal, "code"), True, width=10),
        Column("code", "コード", "code", _max(Measure, "code"), True, width=12),
        Column("title", "名称", max_length=_max(Measure, "title"), required=True, width=50),
    ),
    POLICIES: (
        Column("measure", "施策の方向コード", "code", _max(Measure, "code"), True, width=12),
        Column("code", "コード", "code", _max(Policy, "code"), True, width=14),
        Column("title", "名称", max_length=_max(Policy, "title"), required=True, width=50),
        Column("digital", "デジタル活用", "yesno", width=10),
        Column("reposted_from", "再掲元", "code", _max(Policy, "code"), width=14),
    ),
    KPIS: (
        Column("policy", "施策コード", "code", _max(Policy, "code"), True, width=14),
        Column("code", "コード", "code", _max(Indicator, "code"), True, width=12),
        Column("repost", "再掲", "yesno", width=6),
        Column("name", "名称", max_length=_max(Indicator, "name"), width=40),
        *INDICATOR_COLUMNS,
    ),
    EXPECTED: (
        Column("indicator", "指標コード", "code", _max(Indicator, "code"), True, width=12),
        Column("fiscal_year", "年度", "year", required=True, width=10),
        Column("value", "期待値", "number", required=True, width=14),
    ),
}
SHEET_ORDER = (PLAN, VISIONS, GOALS, KGIS, MEASURES, POLICIES, KPIS, EXPECTED)


# --- messages ----------------------------------------------------------------------------------------


def cell_message(sheet: str, row: int, column: int, header: str, message: str) -> str:
    """「シート『KPI』 5行 C列（単位）: …」"""
    return _("シート『%(sheet)s』 %(row)s行 %(column)s列（%(header)s）: %(message)s") % {
        "sheet": sheet,
        "row": row,
        "column": get_column_letter(column),
        "header": header,
        "message": message,
    }


def sheet_message(sheet: str, message: str) -> str:
    return _("シート『%(sheet)s』: %(message)s") % {"sheet": sheet, "message": message}


# --- from the database to the plain structure --------------------------------------------------------


def plan_data(strategy: Strategy) -> dict:
    """The stored plan as the plain structure the loader writes (plan order, every field)."""
    indicators = Indicator.objects.filter(strategy=strategy).select_related(
        "department", "continues__strategy"
    )
    expected = defaultdict(dict)
    for indicator in indicators.prefetch_related("expected_values"):
        for value in indicator.expected_values.all():
            expected[indicator.pk][str(value.fiscal_year)] = _number_text(value.value)
    placements = defaultdict(list)
    for placement in Placement.objects.filter(policy__measure__goal__strategy=strategy).select_related(
        "indicator__department"
    ):
        placements[placement.policy_id].append(placement)
    kgis = defaultdict(list)
    for indicator in indicators.filter(kind=Kind.KGI).order_by("order"):
        kgis[indicator.goal_id].append(_indicator_data(indicator, expected))
    goals = Goal.objects.filter(strategy=strategy).order_by("number")
    measures = defaultdict(list)
    for measure in Measure.objects.filter(goal__strategy=strategy).order_by("number"):
        measures[measure.goal_id].append(measure)
    policies = defaultdict(list)
    for policy in Policy.objects.filter(measure__goal__strategy=strategy).select_related("reposted_from"):
        policies[policy.measure_id].append(policy)
    return {
        "format": FORMAT,
        "strategy": {
            "code": strategy.code,
            "name": strategy.name,
            "subtitle": strategy.subtitle,
            "purpose": strategy.purpose,
            "first_year": strategy.first_year,
            "last_year": strategy.last_year,
            "baseline_year": strategy.baseline_year,
        },
        "visions": [
            {
                "number": vision.number,
                "theme": vision.theme,
                "title": vision.title,
                "goals": [goal.code for goal in sorted(vision.goals.all(), key=lambda goal: goal.number)],
            }
            for vision in strategy.visions.order_by("number").prefetch_related("goals")
        ],
        "goals": [
            {
                "code": goal.code,
                "title": goal.title,
                "description": goal.description,
                "kgis": kgis[goal.pk],
                "measures": [
                    {
                        "code": measure.code,
                        "title": measure.title,
                        "policies": [
                            _policy_data(policy, placements[policy.pk], expected)
                            for policy in sorted(policies[measure.pk], key=lambda policy: policy.number)
                        ],
                    }
                    for measure in measures[goal.pk]
                ],
            }
            for goal in goals
        ],
    }


def _policy_data(policy: Policy, placements: list[Placement], expected: dict) -> dict:
    placements = sorted(placements, key=lambda placement: placement.order)
    data = {"code": policy.code, "title": policy.title, "digital": policy.is_digital}
    if policy.reposted_from_id:
        data["reposted_from"] = policy.reposted_from.code
        data["kpis"] = [{"repost": placement.indicator.code} for placement in placements]
    else:
        data["kpis"] = [_indicator_data(placement.indicator, expected) for placement in placements]
    return data


def _number_text(value: Decimal | None) -> str | None:
    if value is None:
        return None
    return format(parse_decimal(value), "f")


def _indicator_data(indicator: Indicator, expected: dict) -> dict:
    return {
        "code": indicator.code,
        "name": indicator.name,
        "unit": indicator.unit,
        "direction": indicator.direction,
        "aggregation": indicator.aggregation,
        "baseline_year": indicator.baseline_year,
        "baseline_value": _number_text(indicator.baseline_value),
        "target_year": indicator.target_year,
        "target_value": _number_text(indicator.target_value),
        "source_mark": indicator.source_mark,
        "source_note": indicator.source_note,
        "note": indicator.note,
        "department": indicator.department.code if indicator.department else None,
        "decimal_places": indicator.decimal_places,
        "continues": (
            f"{indicator.continues.strategy.code}:{indicator.continues.code}" if indicator.continues else None
        ),
        "expected_values": expected.get(indicator.pk, {}),
    }


# --- writing the workbook ----------------------------------------------------------------------------


def export_plan_workbook(strategy: Strategy) -> bytes:
    """The stored plan in the template's layout."""
    return build_workbook(plan_data(strategy))


def template_workbook() -> bytes:
    """The empty template: headers, instructions and drop-downs, no rows."""
    return build_workbook(None)


def build_workbook(plan: dict | None) -> bytes:
    departments = list(Department.objects.order_by("order", "code"))
    names = {department.code: department.name for department in departments}
    workbook = openpyxl.Workbook()
    _write_instructions(workbook.active)
    _write_plan_sheet(workbook.create_sheet(PLAN), plan["strategy"] if plan else {})
    rows = _sheet_rows(plan, names) if plan else defaultdict(list)
    for sheet in SHEET_ORDER[1:]:
        _write_table(workbook.create_sheet(sheet), SHEETS[sheet], rows[sheet], len(departments))
    choices = workbook.create_sheet(CHOICES)
    header_cell(choices, 1, 1, "担当課")
    for row, department in enumerate(departments, start=2):
        put_text(choices, row, 1, department.name)
    choices.column_dimensions["A"].width = 24
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_rows(plan: dict, department_names: dict) -> dict[str, list[dict]]:
    """The plain structure flattened into each sheet's rows (key → value as the cell shows it)."""
    rows: dict[str, list[dict]] = defaultdict(list)
    for vision in plan["visions"]:
        rows[VISIONS].append({**vision, "goals": "、".join(vision["goals"])})
    for goal in plan["goals"]:
        rows[GOALS].append(goal)
        for kgi in goal["kgis"]:
            rows[KGIS].append({"goal": goal["code"], **_indicator_cells(kgi, department_names)})
            rows[EXPECTED].extend(_expected_rows(kgi))
        for measure in goal["measures"]:
            rows[MEASURES].append({"goal": goal["code"], **measure})
            for policy in measure["policies"]:
                rows[POLICIES].append(
                    {**policy, "measure": measure["code"], "digital": YES if policy["digital"] else NO}
                )
                for kpi in policy["kpis"]:
                    if "repost" in kpi:
                        rows[KPIS].append({"policy": policy["code"], "code": kpi["repost"], "repost": YES})
                        continue
                    rows[KPIS].append({"policy": policy["code"], **_indicator_cells(kpi, department_names)})
                    rows[EXPECTED].extend(_expected_rows(kpi))
    return rows


def _indicator_cells(indicator: dict, department_names: dict) -> dict:
    return {
        **indicator,
        "direction": {value: label for label, value in DIRECTIONS.items()}[indicator["direction"]],
        "aggregation": {value: label for label, value in AGGREGATIONS.items()}[indicator["aggregation"]],
        "department": department_names.get(indicator["department"], ""),
    }


def _expected_rows(indicator: dict) -> list[dict]:
    return [
        {"indicator": indicator["code"], "fiscal_year": int(year), "value": value}
        for year, value in sorted(indicator["expected_values"].items())
    ]


def _write_plan_sheet(ws, strategy: dict) -> None:
    header_cell(ws, 1, 1, "項目")
    header_cell(ws, 1, 2, "値")
    for row, column in enumerate(PLAN_ROWS, start=2):
        put_text(ws, row, 1, column.header, font=BOLD)
        _put_value(ws, row, 2, column, strategy.get(column.key))
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 80
    ws.freeze_panes = "B2"


def _write_table(ws, columns: tuple[Column, ...], rows: list[dict], department_count: int) -> None:
    for index, column in enumerate(columns, start=1):
        header_cell(ws, 1, index, column.header)
        ws.column_dimensions[get_column_letter(index)].width = column.width
    for row, values in enumerate(rows, start=2):
        for index, column in enumerate(columns, start=1):
            _put_value(ws, row, index, column, values.get(column.key))
    ws.freeze_panes = "A2"
    _add_drop_downs(ws, columns, department_count)


def _put_value(ws, row: int, column_index: int, column: Column, value) -> None:
    if value is None or value == "":
        return
    if column.kind == "number":
        put_number(ws, row, column_index, Decimal(value))
    elif column.kind in ("year", "int", "places"):
        ws.cell(row=row, column=column_index, value=int(value))
    else:
        put_text(ws, row, column_index, value)


def _add_drop_downs(ws, columns: tuple[Column, ...], department_count: int) -> None:
    lists = {
        "direction": f'"{HIGHER},{LOWER}"',
        "aggregation": f'"{ANNUAL},{CUMULATIVE}"',
        "yesno": f'"{YES},{NO}"',
    }
    if department_count:
        lists["department"] = f"'{CHOICES}'!$A$2:$A${department_count + 1}"
    for index, column in enumerate(columns, start=1):
        if column.kind not in lists:
            continue
        validation = DataValidation(type="list", formula1=lists[column.kind], allow_blank=True)
        validation.error = _("一覧から選んでください。")
        validation.showErrorMessage = True
        ws.add_data_validation(validation)
        letter = get_column_letter(index)
        validation.add(f"{letter}2:{letter}{VALIDATED_ROWS + 1}")


def _write_instructions(ws) -> None:
    ws.title = INSTRUCTIONS
    put_text(ws, 1, 1, _("計画の入力テンプレート：記入のしかた"), font=TITLE_FONT)
    lines = [
        _(
            "シートの名前と1行目の見出しは変えないでください。2行目から1行に1件ずつ、計画の順に書きます"
            "（行の順が基本目標・施策の方向・施策・指標の番号になります）。"
        ),
        _("コードは一度決めたら変えません。取込はコードで既存の内容と突き合わせます。"),
        _("計画：コード（英数字とハイフン）、名称、副題、目的、計画初年度・最終年度・基準年度（西暦）。"),
        _("ビジョン：番号、テーマ、名称。関係する基本目標は基本目標のコードを「、」で区切って書きます。"),
        _("基本目標：コード（G1など）、名称、説明。"),
        _(
            "KGI：基本目標コード、コード、名称、単位、方向（高いほど良い／低いほど良い）、"
            "集計方法（単年度／累計）、基準年度・基準値、目標年度・目標値、出典記号、出典、注記、"
            "担当課（シート『選択肢』の名称）、小数桁数（0〜6、空欄は値のとおり）、"
            "継続元（前の計画の指標を継続するとき「前の計画のコード:指標コード」、例 dai3ki:G1-KGI1）。"
        ),
        _("施策の方向：基本目標コード、コード（G1-M1など）、名称。"),
        _(
            "施策：施策の方向コード、コード、名称、デジタル活用（はい／いいえ）。"
            "【再掲】の施策は「再掲元」に元の施策のコードを書きます。"
        ),
        _(
            "KPI：施策コードの下に、その施策の指標を1行ずつ書きます（列はKGIと同じ）。"
            "【再掲】の施策には、再掲する指標のコードだけを書き「再掲」を「はい」にします。"
        ),
        _(
            "期待値：直線の期待値の代わりに使う年度ごとの値です。指標コード、年度（計画の年度）、期待値を"
            "1行ずつ書きます。"
        ),
        _(
            "基準年度は計画の基準年度から最終年度まで、目標年度と期待値の年度は計画の年度の中で書きます。"
            "数値は「１，２３４」「△12」のようにも書けます。数式は使えません。"
        ),
        _(
            "取込では全体を確かめ、誤りがあればシート・行・列をすべて示して何も登録しません。"
            "既存の計画のコードなら、変わる内容（前 → 後）と削除される行を確認してから確定します。"
            "ファイルにない行は削除されます（実績値のある指標は削除できません）。"
        ),
    ]
    for row, line in enumerate(lines, start=3):
        put_text(ws, row, 1, line, alignment=WRAP)
    ws.column_dimensions["A"].width = 110


# --- reading the workbook ----------------------------------------------------------------------------


def read_plan_workbook(data: bytes, filename: str = "plan.xlsx") -> dict:
    """The plain structure of an uploaded workbook; PlanWorkbookError naming every problem otherwise."""
    if extension_of(filename) != "xlsx":
        raise PlanWorkbookError(
            [_("計画の取込に使えるのは Excel（.xlsx）のファイルだけです: %(name)s") % {"name": filename}]
        )
    try:
        check_upload(filename, data)
    except UploadRefused as refused:
        raise PlanWorkbookError([str(refused)]) from None
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except Exception:  # any parser error of an untrusted file is "cannot read it"
        raise PlanWorkbookError(
            [_("Excel（.xlsx）ファイルとして読めません（壊れているか、安全でない内容を含みます）。")]
        ) from None
    try:
        reader = _Reader(workbook)
        plan = reader.read()
    finally:
        workbook.close()
    if reader.errors:
        raise PlanWorkbookError(reader.errors)
    return plan


def load_plan_workbook(
    data: bytes, *, filename: str, user=None, dry_run: bool = False, reason: str | None = None
) -> LoadReport:
    """Read, check and write (or, with dry_run, only show) the workbook's plan, all or nothing."""
    plan = read_plan_workbook(data, filename)
    try:
        return write_plan(
            plan,
            authoritative=True,
            reason=reason or reasons.FILE_IMPORTED % {"name": filename},
            user=user,
            dry_run=dry_run,
        )
    except PlanRefused as refused:
        raise PlanWorkbookError(refused.errors) from None


@dataclass
class _Row:
    line: int
    values: dict
    columns: dict[str, int] = field(default_factory=dict)  # key → column number, for messages


class _Reader:
    def __init__(self, workbook):
        self.workbook = workbook
        self.errors: list[str] = []
        self.departments = {}
        for department in Department.objects.all():
            self.departments[department.name] = department.code
            self.departments[department.code] = department.code
        self.years: tuple[int, int, int] | None = None  # baseline, first, last

    def error(self, sheet: str, row: _Row | int, key: str | None, message: str, columns=None) -> None:
        line = row.line if isinstance(row, _Row) else row
        if key is None:
            self.errors.append(
                _("シート『%(sheet)s』 %(row)s行: %(message)s")
                % {"sheet": sheet, "row": line, "message": message}
            )
            return
        spec = {column.key: column for column in (columns or SHEETS[sheet])}[key]
        number = row.columns[key] if isinstance(row, _Row) else 2
        self.errors.append(cell_message(sheet, line, number, spec.header, message))

    def read(self) -> dict:
        strategy = self.read_plan_sheet()
        tables = {sheet: self.read_table(sheet) for sheet in SHEET_ORDER[1:]}
        if any(table is None for table in tables.values()) or strategy is None:
            return {}
        return _Assembler(self, strategy, tables).assemble()

    # --- sheets and cells ---

    def sheet(self, name: str):
        if name not in self.workbook.sheetnames:
            self.errors.append(
                sheet_message(name, _("シートがありません。テンプレートのシート名のままにしてください。"))
            )
            return None
        ws = self.workbook[name]
        if isinstance(ws.max_row, int) and ws.max_row > MAX_ROWS + 1:
            self.errors.append(
                sheet_message(name, _("行が多すぎます（上限%(limit)s行）。") % {"limit": f"{MAX_ROWS:,}"})
            )
            return None
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()
        return ws

    def read_plan_sheet(self) -> dict | None:
        ws = self.sheet(PLAN)
        if ws is None:
            return None
        found: dict[str, tuple[int, object]] = {}
        for line, cells in enumerate(ws.iter_rows(min_row=2, max_col=2), start=2):
            label = _plain_text(cells[0]) if cells else ""
            if label and label not in found:
                found[label] = (line, cells[1] if len(cells) > 1 else None)
        strategy = {}
        for column in PLAN_ROWS:
            if column.header not in found:
                self.errors.append(
                    sheet_message(PLAN, _("A列に項目「%(item)s」がありません。") % {"item": column.header})
                )
                continue
            line, cell = found[column.header]
            row = _Row(line, {}, {column.key: 2})
            strategy[column.key] = self.parse(PLAN, row, column, cell, PLAN_ROWS)
        if len(strategy) == len(PLAN_ROWS) and None not in (
            strategy[key] for key in ("first_year", "last_year", "baseline_year")
        ):
            self.check_plan_years(strategy, found)
        return strategy

    def check_plan_years(self, strategy: dict, found: dict) -> None:
        first, last, baseline = strategy["first_year"], strategy["last_year"], strategy["baseline_year"]
        ok = True
        if first > last:
            ok = False
            self.errors.append(
                cell_message(
                    PLAN, found["計画最終年度"][0], 2, "計画最終年度", _("計画初年度より前の年度です。")
                )
            )
        if baseline >= first:
            ok = False
            self.errors.append(
                cell_message(
                    PLAN,
                    found["基準年度"][0],
                    2,
                    "基準年度",
                    _("基準年度は計画初年度より前の年度にしてください。"),
                )
            )
        if ok:
            self.years = (baseline, first, last)

    def read_table(self, sheet: str) -> list[_Row] | None:
        ws = self.sheet(sheet)
        if ws is None:
            return None
        columns = SHEETS[sheet]
        rows = ws.iter_rows(min_row=1, max_col=MAX_SHEET_COLUMNS)
        header = [_plain_text(cell) for cell in next(rows, ())]
        positions = {}
        for column in columns:
            if column.header not in header:
                self.errors.append(
                    _(
                        "シート『%(sheet)s』 1行: 見出し「%(header)s」がありません。テンプレートの見出しのままにしてください。"
                    )
                    % {"sheet": sheet, "header": column.header}
                )
            else:
                positions[column.key] = header.index(column.header)
        if len(positions) < len(columns):
            return None
        result = []
        for line, cells in enumerate(rows, start=2):
            raw = {key: cells[index] if index < len(cells) else None for key, index in positions.items()}
            if all(_blank(cell) for cell in raw.values()):
                continue
            row = _Row(line, {}, {key: index + 1 for key, index in positions.items()})
            unit = _plain_text(raw["unit"]) if "unit" in raw else None
            for column in columns:
                row.values[column.key] = self.parse(sheet, row, column, raw[column.key], columns, unit=unit)
            result.append(row)
        return result

    def parse(self, sheet: str, row: _Row, column: Column, cell, columns, unit: str | None = None):
        """One cell's value as the plain structure holds it; None (and an error) when it is wrong."""
        try:
            return _parse_cell(cell, column, self.departments, unit)
        except ValueError as problem:
            self.error(sheet, row, column.key, str(problem), columns)
            return None


def _blank(cell) -> bool:
    value = getattr(cell, "value", None)
    return value is None or (isinstance(value, str) and not value.strip())


_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _plain_text(cell) -> str:
    value = getattr(cell, "value", None)
    if value is None:
        return ""
    return _cell_text(value).strip()


def _cell_text(value) -> str:
    """A cell as the text a person typed: numbers written out, OOXML escapes read back, and the apostrophe
    our exports put before text a spreadsheet would run removed."""
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    if isinstance(value, int | Decimal):
        return format(value, "f") if isinstance(value, Decimal) else str(value)
    text = _ESCAPE.sub(lambda match: chr(int(match[1], 16)), str(value))
    if text.startswith("'") and text[1:2] and text[1:2] in FORMULA_PREFIXES:
        return text[1:]
    return text


def _parse_cell(cell, column: Column, departments: dict, unit: str | None):
    if cell is not None and getattr(cell, "data_type", None) in ("f", "e"):
        raise ValueError(_("数式やエラー値は取り込めません。値を直接入力してください。"))
    value = getattr(cell, "value", None)
    if column.kind == "number":
        if _blank(cell):
            return _required(column)
        try:
            number = parse_decimal(value, unit=unit)
        except NumberFormatError as problem:
            raise ValueError(str(problem)) from None
        return format(number, "f")
    text = "" if value is None else _cell_text(value)
    if has_control_characters(text):
        raise ValueError(
            _("見えない制御文字（%(characters)s）が含まれています。削除してください。")
            % {"characters": describe_control_characters(text)}
        )
    if column.kind == "text":
        return _text(text, column)
    stripped = text.strip()
    if not stripped:
        return _required(column)
    return PARSERS[column.kind](stripped, column, departments)


def _required(column: Column):
    if column.required:
        raise ValueError(_("入力してください。"))
    return (
        None
        if column.kind in ("number", "year", "int", "places", "department", "code", "lineage")
        else _EMPTY[column.kind]
    )


_EMPTY = {
    "direction": Direction.HIGHER.value,
    "aggregation": Aggregation.ANNUAL.value,
    "yesno": False,
    "codes": [],
    "slug": None,
}


def _text(text: str, column: Column) -> str:
    text = text.strip()
    if column.required and not text:
        raise ValueError(_("入力してください。"))
    if column.max_length and len(text) > column.max_length:
        raise ValueError(
            _("長すぎます（%(length)s文字、上限%(limit)s文字）。")
            % {"length": len(text), "limit": column.max_length}
        )
    return text


def _code(text: str, column: Column, departments) -> str:
    if any(character.isspace() for character in text):
        raise ValueError(_("コードに空白は使えません: %(code)s") % {"code": text})
    return _text(text, column)


def _slug(text: str, column: Column, departments) -> str:
    if not slug_re.fullmatch(text):
        raise ValueError(_("コードは半角の英数字・ハイフン・下線で書いてください: %(code)s") % {"code": text})
    return _text(text, column)


def _year(text: str, column: Column, departments) -> int:
    return parse_fiscal_year(text)


def _int(text: str, column: Column, departments) -> int:
    if not text.isdigit():
        raise ValueError(_("整数で入力してください: %(text)s") % {"text": text})
    return int(text)


def _places(text: str, column: Column, departments) -> int:
    number = _int(text, column, departments)
    if number > 6:
        raise ValueError(_("小数桁数は0から6までです: %(text)s") % {"text": text})
    return number


def _choice(options: dict):
    def parse(text: str, column: Column, departments) -> str:
        if text in options:
            return options[text]
        if text in options.values():
            return text
        raise ValueError(
            _("「%(text)s」は選べません。%(choices)sのどれかを入力してください。")
            % {"text": text, "choices": "・".join(f"「{option}」" for option in options)}
        )

    return parse


def _yesno(text: str, column: Column, departments) -> bool:
    return _choice({YES: "yes", NO: "no"})(text, column, departments) == "yes"


def _department(text: str, column: Column, departments: dict) -> str:
    if text not in departments:
        raise ValueError(
            _("担当課「%(name)s」は登録されていません。シート『選択肢』の名称で入力してください。")
            % {"name": text}
        )
    return departments[text]


def _lineage(text: str, column: Column, departments) -> str:
    plan, _colon, code = text.replace("：", ":").partition(":")
    if not plan.strip() or not code.strip() or not slug_re.fullmatch(plan.strip()):
        raise ValueError(
            _("継続元は「前の計画のコード:指標コード」（例 dai3ki:G1-KGI1）で書いてください: %(text)s")
            % {"text": text}
        )
    return f"{plan.strip()}:{code.strip()}"


def _codes(text: str, column: Column, departments) -> list[str]:
    return [part.strip() for part in re.split(r"[、,，\s]+", text) if part.strip()]


PARSERS = {
    "code": _code,
    "slug": _slug,
    "year": _year,
    "int": _int,
    "places": _places,
    "direction": _choice(DIRECTIONS),
    "aggregation": _choice(AGGREGATIONS),
    "yesno": _yesno,
    "department": _department,
    "codes": _codes,
    "lineage": _lineage,
}


# --- from rows to the plan: the checks across rows and sheets -----------------------------------------


class _Assembler:
    def __init__(self, reader: _Reader, strategy: dict, tables: dict[str, list[_Row]]):
        self.reader = reader
        self.strategy = strategy
        self.tables = tables

    def error(self, sheet, row, key, message):
        self.reader.error(sheet, row, key, message)

    def unique(self, sheet: str, key: str = "code", rows=None, seen: dict | None = None) -> dict[str, _Row]:
        """The rows by their code; a code met again is named at each repeat."""
        seen = {} if seen is None else seen
        for row in rows if rows is not None else self.tables[sheet]:
            code = row.values.get(key)
            if code is None:
                continue
            if code in seen:
                first_sheet, first = seen[code]
                self.error(
                    sheet,
                    row,
                    key,
                    _("コード「%(code)s」が重複しています（シート『%(sheet)s』 %(row)s行と同じ）。")
                    % {"code": code, "sheet": first_sheet, "row": first.line},
                )
                continue
            seen[code] = (sheet, row)
        return {code: row for code, (_sheet, row) in seen.items() if _sheet == sheet}

    def refer(self, sheet: str, row: _Row, key: str, known, target_sheet: str) -> bool:
        code = row.values.get(key)
        if code is None:
            return False
        if code not in known:
            self.error(
                sheet,
                row,
                key,
                _("「%(code)s」がシート『%(target)s』にありません。")
                % {"code": code, "target": target_sheet},
            )
            return False
        return True

    def assemble(self) -> dict:
        goals = self.unique(GOALS)
        measures = self.unique(MEASURES)
        policies = self.unique(POLICIES)
        indicator_codes: dict = {}
        self.unique(KGIS, seen=indicator_codes)
        own_kpis = [row for row in self.tables[KPIS] if not row.values.get("repost")]
        self.unique(KPIS, rows=own_kpis, seen=indicator_codes)
        self.check_visions(goals)
        kgis = self.group(KGIS, "goal", goals, GOALS)
        by_goal = self.group(MEASURES, "goal", goals, GOALS)
        by_measure = self.group(POLICIES, "measure", measures, MEASURES)
        kpis = self.kpis_by_policy(
            policies, {code for code, (sheet, _row) in indicator_codes.items() if sheet == KPIS}
        )
        expected = self.expected_values(indicator_codes)
        self.check_indicator_years()
        return {
            "format": FORMAT,
            "strategy": self.strategy,
            "visions": [
                {key: row.values[key] for key in ("number", "theme", "title", "goals")}
                for row in self.tables[VISIONS]
            ],
            "goals": [
                {
                    "code": code,
                    "title": goal.values["title"],
                    "description": goal.values["description"],
                    "kgis": [_indicator(row, expected) for row in kgis[code]],
                    "measures": [
                        {
                            "code": measure.values["code"],
                            "title": measure.values["title"],
                            "policies": [
                                self.policy(policy, kpis, expected)
                                for policy in by_measure[measure.values["code"]]
                            ],
                        }
                        for measure in by_goal[code]
                    ],
                }
                for code, goal in goals.items()
            ],
        }

    def check_visions(self, goals: dict) -> None:
        numbers = Counter(
            row.values["number"] for row in self.tables[VISIONS] if row.values["number"] is not None
        )
        for row in self.tables[VISIONS]:
            if numbers[row.values["number"]] > 1:
                self.error(
                    VISIONS,
                    row,
                    "number",
                    _("番号「%(number)s」が重複しています。") % {"number": row.values["number"]},
                )
            unknown = [code for code in row.values["goals"] or [] if code not in goals]
            if unknown:
                self.error(
                    VISIONS,
                    row,
                    "goals",
                    _("基本目標「%(codes)s」がシート『基本目標』にありません。")
                    % {"codes": "、".join(unknown)},
                )

    def group(self, sheet: str, key: str, parents: dict, parent_sheet: str) -> dict[str, list[_Row]]:
        grouped = defaultdict(list)
        for row in self.tables[sheet]:
            if self.refer(sheet, row, key, parents, parent_sheet):
                grouped[row.values[key]].append(row)
        return grouped

    def kpis_by_policy(self, policies: dict, kpi_codes: set) -> dict[str, list[_Row]]:
        grouped = self.group(KPIS, "policy", policies, POLICIES)
        for row in self.tables[POLICIES]:
            original = row.values["reposted_from"]
            if original is not None and self.refer(POLICIES, row, "reposted_from", policies, POLICIES):
                if original == row.values["code"]:
                    self.error(POLICIES, row, "reposted_from", _("施策自身を再掲元にはできません。"))
        for code, rows in grouped.items():
            is_repost = policies[code].values["reposted_from"] is not None
            for row in rows:
                self.check_kpi_row(row, is_repost, kpi_codes)
        return grouped

    def check_kpi_row(self, row: _Row, under_repost: bool, kpi_codes: set) -> None:
        if row.values["repost"]:
            if not under_repost:
                self.error(
                    KPIS,
                    row,
                    "repost",
                    _("【再掲】の行は、シート『施策』で再掲元を書いた施策の下に置いてください。"),
                )
            elif row.values["code"] is not None and row.values["code"] not in kpi_codes:
                self.error(
                    KPIS,
                    row,
                    "code",
                    _("【再掲】する指標「%(code)s」がシート『KPI』にありません。")
                    % {"code": row.values["code"]},
                )
            return
        if under_repost:
            self.error(
                KPIS,
                row,
                "repost",
                _("再掲元のある施策の下には、再掲する指標（「再掲」が「はい」の行）だけを書いてください。"),
            )
        if not row.values["name"] and "name" in row.columns:
            self.error(KPIS, row, "name", _("入力してください。"))

    def expected_values(self, indicator_codes: dict) -> dict[str, dict[str, str]]:
        expected: dict[str, dict[str, str]] = defaultdict(dict)
        for row in self.tables[EXPECTED]:
            code, year, value = row.values["indicator"], row.values["fiscal_year"], row.values["value"]
            if (
                not self.refer(EXPECTED, row, "indicator", indicator_codes, f"{KGIS}』『{KPIS}")
                or year is None
            ):
                continue
            if not self.in_plan_years(EXPECTED, row, "fiscal_year", first_allowed=1):
                continue
            if str(year) in expected[code]:
                self.error(
                    EXPECTED,
                    row,
                    "fiscal_year",
                    _("指標「%(code)s」の%(year)s年度の期待値が重複しています。")
                    % {"code": code, "year": year},
                )
            elif value is not None:
                expected[code][str(year)] = value
        return expected

    def check_indicator_years(self) -> None:
        for sheet in (KGIS, KPIS):
            for row in self.tables[sheet]:
                if row.values.get("repost"):
                    continue
                baseline_ok = self.in_plan_years(sheet, row, "baseline_year", first_allowed=0)
                target_ok = self.in_plan_years(sheet, row, "target_year", first_allowed=1)
                baseline, target = row.values["baseline_year"], row.values["target_year"]
                if (
                    baseline_ok
                    and target_ok
                    and baseline is not None
                    and target is not None
                    and baseline >= target
                ):
                    self.error(sheet, row, "target_year", _("目標年度は基準年度より後にしてください。"))

    def in_plan_years(self, sheet: str, row: _Row, key: str, first_allowed: int) -> bool:
        """Whether the row's year lies in the plan: from its baseline year (first_allowed 0) or its first
        year (1) to its last year."""
        year, years = row.values.get(key), self.reader.years
        if year is None or years is None:
            return True
        low, high = years[first_allowed], years[2]
        if low <= year <= high:
            return True
        self.error(
            sheet,
            row,
            key,
            _("%(year)s年度は計画の年度（%(low)s〜%(high)s年度）の外です。")
            % {"year": year, "low": low, "high": high},
        )
        return False

    def policy(self, row: _Row, kpis: dict, expected: dict) -> dict:
        code = row.values["code"]
        data = {"code": code, "title": row.values["title"], "digital": row.values["digital"]}
        if row.values["reposted_from"] is not None:
            data["reposted_from"] = row.values["reposted_from"]
            data["kpis"] = [{"repost": kpi.values["code"]} for kpi in kpis.get(code, [])]
        else:
            data["kpis"] = [_indicator(kpi, expected) for kpi in kpis.get(code, [])]
        return data


def _indicator(row: _Row, expected: dict) -> dict:
    values = row.values
    return {
        **{column.key: values[column.key] for column in INDICATOR_COLUMNS},
        "code": values["code"],
        "name": values["name"],
        "unit": values["unit"] or "",
        "source_mark": values["source_mark"] or "",
        "source_note": values["source_note"] or "",
        "note": values["note"] or "",
        "expected_values": dict(expected.get(values["code"], {})),
    }
