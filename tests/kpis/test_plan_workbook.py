"""The plan workbook: export → import gives the same plan; a bad workbook is refused whole, every problem
named by sheet, row and column, and nothing written; an update is previewed before it is kept."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from goals.models import Goal, Measure, Policy, Strategy, Vision
from kpis.loading.plan_workbook import (
    PlanWorkbookError,
    export_plan_workbook,
    load_plan_workbook,
    plan_data,
    read_plan_workbook,
    template_workbook,
)
from kpis.models import ExpectedValue, FiscalYear, GradeBand, Indicator, Placement, StoredResult
from tests.support.factories import make_department, set_actual

FIELDS = {
    Strategy: [
        "code",
        "name",
        "subtitle",
        "purpose",
        "first_year",
        "last_year",
        "baseline_year",
        "is_active",
    ],
    Vision: ["number", "theme", "title"],
    Goal: ["code", "number", "title", "description"],
    Measure: ["code", "number", "title"],
    Policy: ["code", "number", "title", "is_digital"],
    Indicator: [
        "code",
        "kind",
        "order",
        "name",
        "unit",
        "direction",
        "aggregation",
        "baseline_year",
        "baseline_value",
        "target_year",
        "target_value",
        "source_mark",
        "source_note",
        "note",
        "decimal_places",
    ],  # fmt: skip
    Placement: ["order", "is_repost"],
    ExpectedValue: ["fiscal_year", "value"],
    FiscalYear: ["year", "state"],
    GradeBand: ["label", "name", "name_en", "lower_bound", "description", "description_en", "colour"],
}


def snapshot() -> dict:
    """Every field of every object of the plan, the links by code (database ids differ after a reload)."""
    rows = {}
    for model, names in FIELDS.items():
        rows[model.__name__] = sorted(
            ((_links(obj), tuple(getattr(obj, name) for name in names)) for obj in model.objects.all()),
            key=repr,
        )
    return rows


def _links(obj) -> tuple:
    if isinstance(obj, Vision):
        return (obj.strategy.code, tuple(sorted(goal.code for goal in obj.goals.all())))
    if isinstance(obj, Measure):
        return (obj.goal.code,)
    if isinstance(obj, Policy):
        return (obj.measure.code, obj.reposted_from.code if obj.reposted_from else None)
    if isinstance(obj, Indicator):
        department = obj.department.code if obj.department else None
        return (obj.strategy.code, obj.goal.code, obj.measure.code if obj.measure else None, department)
    if isinstance(obj, Placement):
        return (obj.policy.code, obj.indicator.code)
    if isinstance(obj, ExpectedValue):
        return (obj.indicator.code,)
    if isinstance(obj, FiscalYear | GradeBand | Goal):
        return (obj.strategy.code,)
    return ()


@pytest.fixture
def filled_plan(plan):
    """The 第３期 with what the JSON fixture leaves to the planning office: departments, a cumulative
    indicator, explicit expected values, display decimals."""
    make_department("kodomo", "こども家庭課", ["G3-M1-K1", "G3-M1-K2", "G2-KGI1"])
    make_department("shoko", "商工観光課", ["G2-KGI2", "G2-M1-K1"])
    Indicator.objects.filter(code="G3-M1-K2").update(aggregation="cumulative", decimal_places=1)
    indicator = Indicator.objects.get(code="G2-KGI1")
    ExpectedValue.objects.create(indicator=indicator, fiscal_year=2025, value=Decimal("500.5"))
    ExpectedValue.objects.create(indicator=indicator, fiscal_year=2026, value=Decimal("-12"))
    return plan


def _workbook(plan) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(export_plan_workbook(plan)))


def _bytes(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _delete_plans():
    """An empty database for the plan (departments stay: they are not the plan's)."""
    for model in (Placement, ExpectedValue, Indicator):
        model.objects.all().delete()
    Policy.objects.exclude(reposted_from=None).delete()
    for model in (Policy, Measure, Goal, Strategy):
        model.objects.all().delete()


def test_the_third_plan_round_trips_exactly_through_the_workbook_into_an_empty_database(filled_plan):
    before = snapshot()
    exported = export_plan_workbook(filled_plan)
    _delete_plans()
    assert Indicator.objects.count() == 0

    report = load_plan_workbook(exported, filename="plan.xlsx")

    assert report.created and not report.changes and not report.removed
    assert snapshot() == before
    assert len(before["Indicator"]) == 48 and len(before["ExpectedValue"]) == 2
    assert read_plan_workbook(export_plan_workbook(Strategy.objects.get())) == read_plan_workbook(exported)


def test_reading_back_an_export_gives_the_plan_as_stored_and_loading_it_again_changes_nothing(filled_plan):
    exported = export_plan_workbook(filled_plan)
    assert read_plan_workbook(exported) == plan_data(filled_plan)
    before = snapshot()

    report = load_plan_workbook(exported, filename="plan.xlsx")

    assert not report.changed
    assert snapshot() == before


def test_the_command_line_exports_and_loads_the_workbook(filled_plan, tmp_path, capsys):
    path = tmp_path / "plan.xlsx"
    call_command("export_plan", "--strategy", "dai3ki", "-o", str(path))
    before = snapshot()
    _delete_plans()

    call_command("load_plan", str(path))

    assert snapshot() == before
    call_command("load_plan", str(path))
    assert "変更なし" in capsys.readouterr().out


def test_the_empty_template_has_every_sheet_its_headers_and_drop_downs(db):
    workbook = openpyxl.load_workbook(io.BytesIO(template_workbook()))
    assert workbook.sheetnames == [
        "説明",
        "計画",
        "ビジョン",
        "基本目標",
        "KGI",
        "施策の方向",
        "施策",
        "KPI",
        "期待値",
        "選択肢",
    ]
    assert [cell.value for cell in workbook["施策"][1]] == [
        "施策の方向コード",
        "コード",
        "名称",
        "デジタル活用",
        "再掲元",
    ]
    lists = {v.formula1 for v in workbook["KPI"].data_validations.dataValidation}
    assert '"高いほど良い,低いほど良い"' in lists and '"単年度,累計"' in lists and '"はい,いいえ"' in lists


# --- refused workbooks ---------------------------------------------------------------------------------


def _remove_sheet(wb):
    del wb["施策"]


def _rename_header(wb):
    wb["KPI"]["E1"] = "単位（人）"


def _duplicate_code(wb):
    wb["KPI"]["B3"] = wb["KPI"]["B2"].value


def _unknown_department(wb):
    wb["KGI"]["N2"] = "未来創造課"


def _repost_nowhere(wb):
    ws = wb["KPI"]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 3).value == "はい")
    ws.cell(row, 2).value = "G9-M9-K9"


def _target_year_outside(wb):
    wb["KGI"]["I2"] = 2030


def _expected_year_outside(wb):
    wb["期待値"]["B2"] = 2024


def _not_a_number(wb):
    wb["KGI"]["H2"] = "約27万"


def _control_character(wb):
    wb["基本目標"]["B2"] = "あみらしい_x000B_まち"


def _too_long(wb):
    wb["KPI"]["D2"] = "あ" * 301


def _too_many_digits(wb):
    wb["KGI"]["J2"] = "1234567890123456"


REFUSED = [
    (_remove_sheet, "シート『施策』: シートがありません。テンプレートのシート名のままにしてください。"),
    (
        _rename_header,
        "シート『KPI』 1行: 見出し「単位」がありません。テンプレートの見出しのままにしてください。",
    ),
    (
        _duplicate_code,
        "シート『KPI』 3行 B列（コード）: コード「G1-M1-K1」が重複しています（シート『KPI』 2行と同じ）。",
    ),
    (
        _unknown_department,
        "シート『KGI』 2行 N列（担当課）: 担当課「未来創造課」は登録されていません。シート『選択肢』の名称で入力してください。",
    ),
    (_repost_nowhere, "B列（コード）: 【再掲】する指標「G9-M9-K9」がシート『KPI』にありません。"),
    (
        _target_year_outside,
        "シート『KGI』 2行 I列（目標年度）: 2030年度は計画の年度（2025〜2027年度）の外です。",
    ),
    (
        _expected_year_outside,
        "シート『期待値』 2行 B列（年度）: 2024年度は計画の年度（2025〜2027年度）の外です。",
    ),
    (
        _not_a_number,
        "シート『KGI』 2行 H列（基準値）: 「約27万」は数値として読めません。数字だけ（単位「百万円」は付けても付けなくてもかまいません）で入力してください。",
    ),
    (
        _control_character,
        "シート『基本目標』 2行 B列（名称）: 見えない制御文字（U+000B）が含まれています。削除してください。",
    ),
    (_too_long, "シート『KPI』 2行 D列（名称）: 長すぎます（301文字、上限300文字）。"),
    (
        _too_many_digits,
        "シート『KGI』 2行 J列（目標値）: 「1234567890123456」は大きすぎます。整数部は14桁までです。",
    ),
]


@pytest.mark.parametrize("spoil, message", REFUSED, ids=[spoil.__name__ for spoil, _m in REFUSED])
def test_a_bad_workbook_is_refused_naming_the_sheet_row_and_column_and_writes_nothing(
    filled_plan, spoil, message
):
    workbook = _workbook(filled_plan)
    spoil(workbook)
    before = snapshot()

    with pytest.raises(PlanWorkbookError) as refused:
        load_plan_workbook(_bytes(workbook), filename="plan.xlsx")

    assert any(message in error for error in refused.value.errors), refused.value.errors
    assert snapshot() == before


def test_a_bad_workbook_loads_nothing_into_an_empty_database(filled_plan):
    workbook = _workbook(filled_plan)
    _unknown_department(workbook)
    _delete_plans()

    with pytest.raises(PlanWorkbookError):
        load_plan_workbook(_bytes(workbook), filename="plan.xlsx")

    assert not Strategy.objects.exists() and not Indicator.objects.exists() and not Vision.objects.exists()


def test_every_problem_of_a_workbook_is_named_at_once(filled_plan):
    workbook = _workbook(filled_plan)
    for spoil in (_duplicate_code, _unknown_department, _not_a_number, _too_long):
        spoil(workbook)

    with pytest.raises(PlanWorkbookError) as refused:
        read_plan_workbook(_bytes(workbook))

    places = [
        "シート『KPI』 3行 B列",
        "シート『KGI』 2行 N列",
        "シート『KGI』 2行 H列",
        "シート『KPI』 2行 D列",
    ]
    assert all(any(place in error for error in refused.value.errors) for place in places)


def test_typed_numbers_are_read_as_staff_type_them(filled_plan):
    workbook = _workbook(filled_plan)
    workbook["KGI"]["J2"] = "２９０，０００．５"
    workbook["期待値"]["C3"] = "△15"

    load_plan_workbook(_bytes(workbook), filename="plan.xlsx")

    assert Indicator.objects.get(code="G1-KGI1").target_value == Decimal("290000.5")
    assert ExpectedValue.objects.get(indicator__code="G2-KGI1", fiscal_year=2026).value == Decimal(-15)


def test_a_file_that_is_not_a_workbook_is_refused(db):
    with pytest.raises(PlanWorkbookError, match="xlsx"):
        read_plan_workbook(b"code,name\n", "plan.csv")
    with pytest.raises(PlanWorkbookError, match="Excel"):
        read_plan_workbook(b"not a zip at all", "plan.xlsx")


def test_the_command_line_names_every_problem_and_writes_nothing(filled_plan, tmp_path):
    workbook = _workbook(filled_plan)
    _unknown_department(workbook)
    path = tmp_path / "plan.xlsx"
    path.write_bytes(_bytes(workbook))
    before = snapshot()

    with pytest.raises(CommandError, match="シート『KGI』 2行 N列（担当課）"):
        call_command("load_plan", str(path))
    assert snapshot() == before


# --- updating a plan -----------------------------------------------------------------------------------


def _updated_workbook(plan):
    workbook = _workbook(plan)
    workbook["KGI"]["J2"] = 290000  # G1-KGI1 目標値 284,394 → 290,000
    workbook["KPI"]["D3"] = "町創業支援者数"  # G1-M1-K2 renamed
    kpis = workbook["KPI"]
    last = next(r for r in range(kpis.max_row, 1, -1) if kpis.cell(r, 2).value)
    removed = kpis.cell(last, 2).value
    kpis.delete_rows(last)
    workbook["期待値"].append(["G1-KGI1", 2026, 283000])
    return workbook, removed


def test_an_update_is_previewed_field_by_field_and_written_only_when_confirmed(filled_plan, users):
    workbook, removed = _updated_workbook(filled_plan)
    before = snapshot()

    preview = load_plan_workbook(_bytes(workbook), filename="plan.xlsx", dry_run=True)

    shown = {(change.target, change.field, change.before, change.after) for change in preview.changes}
    assert ("指標 G1-KGI1 実質町内総生産（年間）", "目標値", "284,394", "290,000") in shown
    assert any(c.field == "名称" and c.after == "町創業支援者数" for c in preview.changes)
    assert any(removed in line for line in preview.removed)
    assert any("G1-KGI1" in line for line in preview.created)
    assert snapshot() == before

    load_plan_workbook(_bytes(workbook), filename="plan.xlsx", user=users["planning"])

    indicator = Indicator.objects.get(code="G1-KGI1")
    assert indicator.target_value == Decimal(290000)
    assert not Indicator.objects.filter(code=removed).exists()
    latest = indicator.history.latest()
    assert (latest.history_change_reason, latest.history_user) == (
        "ファイル取込: plan.xlsx",
        users["planning"],
    )
    stored = StoredResult.objects.get(indicator=indicator, fiscal_year=2026, audience="internal")
    assert stored.expected == Decimal(283000)
    call_command("recompute_results", "--check")


def test_removing_an_indicator_with_figures_is_refused_naming_it(filled_plan):
    set_actual("G1-M1-K2", 2025, 3)
    workbook = _workbook(filled_plan)
    workbook["KPI"].delete_rows(3)  # G1-M1-K2
    before = snapshot()

    with pytest.raises(PlanWorkbookError) as refused:
        load_plan_workbook(_bytes(workbook), filename="plan.xlsx", dry_run=True)

    assert refused.value.errors == [
        "指標 G1-M1-K2 町創業支援者数（空き家等活用を含む）は、実績値が1件あるため計画から外せません。この行を残してください。"
    ]
    assert snapshot() == before


def test_a_new_plan_does_not_replace_the_running_one(filled_plan):
    workbook = _workbook(filled_plan)
    plan_sheet = workbook["計画"]
    plan_sheet["B2"], plan_sheet["B3"] = "dai4ki", "第４期総合戦略"
    plan_sheet["B6"], plan_sheet["B7"], plan_sheet["B8"] = 2025, 2027, 2024

    report = load_plan_workbook(_bytes(workbook), filename="plan.xlsx")

    assert "dai4ki" in report.notices[0]
    assert Strategy.objects.get(code="dai4ki").is_active is False
    assert Strategy.objects.current().code == "dai3ki"
    assert Indicator.objects.filter(strategy__code="dai4ki").count() == 48
