from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from kpis.importing import readers
from kpis.importing.apply import ImportConflict, apply_import
from kpis.importing.csv_reader import read_csv_rows
from kpis.importing.prepare import prepare_import
from kpis.importing.readers import read_rows
from kpis.importing.rows import ImportFileError, RawRow, map_header
from kpis.models import ActualValue, FiscalYear, Indicator
from lib.fiscal import parse_fiscal_year
from tests.support.factories import set_actual

pytestmark = pytest.mark.django_db

JA_HEADER = "指標コード,年度,実績値,備考\r\n"


def run_import(tmp_path, content, *args, name="figures.csv", encoding="utf-8"):
    """Run import_actuals on a file; returns (stdout, stderr). CommandError propagates."""
    from io import StringIO

    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    out, err = StringIO(), StringIO()
    call_command("import_actuals", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def failing_import(tmp_path, content, *args, **kwargs):
    """Run an import that must fail; returns (the CommandError's text, stderr)."""
    from io import StringIO

    path = tmp_path / kwargs.pop("name", "figures.csv")
    path.write_bytes(
        content if isinstance(content, bytes) else content.encode(kwargs.pop("encoding", "utf-8"))
    )
    err = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import_actuals", str(path), *args, stdout=StringIO(), stderr=err)
    return str(raised.value), err.getvalue()


def stored(code, year=2025):
    actual = ActualValue.objects.filter(indicator__code=code, fiscal_year=year).first()
    return None if actual is None else actual.value


# --- good and messy files -------------------------------------------------------------------------------


def test_a_japanese_csv_with_bom_writes_every_row_as_a_draft(plan, tmp_path):
    content = "\ufeff" + JA_HEADER + "G2-KGI1,2025,400,転入超過\r\nG1-KGI1,2025,279000,\r\n"
    out, _err = run_import(tmp_path, content)
    assert stored("G2-KGI1") == Decimal("400")
    assert stored("G1-KGI1") == Decimal("279000")
    actual = ActualValue.objects.get(indicator__code="G2-KGI1", fiscal_year=2025)
    assert actual.status == ActualValue.Status.DRAFT
    assert actual.note == "転入超過"
    assert actual.entered_at is not None
    assert "G2-KGI1" in out and "2件を書き込みました" in out


def test_english_headers_without_bom_are_read_too(plan, tmp_path):
    run_import(tmp_path, "code,fiscal_year,value,note\nG2-KGI1,2025,400,\n")
    assert stored("G2-KGI1") == Decimal("400")


def test_a_shift_jis_file_is_read(plan, tmp_path):
    content = JA_HEADER + "G2-KGI1,令和7年度,４００,転入が転出を上回った\r\n"
    run_import(tmp_path, content, encoding="cp932")
    actual = ActualValue.objects.get(indicator__code="G2-KGI1", fiscal_year=2025)
    assert actual.value == Decimal("400")
    assert actual.note == "転入が転出を上回った"


def test_values_as_staff_type_them_are_normalised(plan, tmp_path):
    content = (
        JA_HEADER
        + "G2-KGI1,２０２５,△１２,\r\n"
        + 'G1-KGI1,2025年度,"279,000",\r\n'
        + "G3-KGI2,2025,３．２１,\r\n"
        + "G2-KGI2,2025年度（令和7年度）,−5,\r\n"
    )
    run_import(tmp_path, content)
    assert stored("G2-KGI1") == Decimal("-12")
    assert stored("G1-KGI1") == Decimal("279000")
    assert stored("G3-KGI2") == Decimal("3.21")
    assert stored("G2-KGI2") == Decimal("-5")


def test_a_value_may_carry_its_indicators_own_unit(plan, tmp_path):
    content = (
        JA_HEADER
        + "G3-M1-K1,2025,120人,\r\n"  # 人
        + "G3-M1-K2,2025,１，２００ 人,\r\n"  # 人, full-width with a space
        + "G3-KGI1,2025,△３人,\r\n"  # 人, negative
        + "G2-M1-K5,2025,45.5％,\r\n"  # ％
        + "G2-KGI1,2025,568人／年,\r\n"  # 人／年
        + "G4-M3-K3,2025,560ｇ,\r\n"  # g, full-width
    )
    run_import(tmp_path, content)
    assert stored("G3-M1-K1") == Decimal("120")
    assert stored("G3-M1-K2") == Decimal("1200")
    assert stored("G3-KGI1") == Decimal("-3")
    assert stored("G2-M1-K5") == Decimal("45.5")
    assert stored("G2-KGI1") == Decimal("568")
    assert stored("G4-M3-K3") == Decimal("560")


def test_another_unit_or_the_unit_alone_is_refused_naming_the_row_and_the_expected_unit(plan, tmp_path):
    content = JA_HEADER + "G3-M1-K1,2025,120件,\r\nG3-M1-K2,2025,人,\r\nG2-M1-K5,2025,45.5人,\r\n"
    _message, err = failing_import(tmp_path, content)
    lines = err.strip().splitlines()
    assert lines[0].startswith("2行目 実績値: 「120件」は単位が違います（この指標の単位は「人」です）。")
    assert lines[1].startswith("3行目 実績値: 「人」だけでは数値がありません。")
    assert lines[2].startswith("4行目 実績値: 「45.5人」は単位が違います（この指標の単位は「％」です）。")
    assert "'" not in err
    assert ActualValue.objects.count() == 0


def test_a_unit_is_read_with_the_row_s_own_indicator_and_a_row_without_one_names_no_unit(plan):
    rows = [
        RawRow(line=2, cells={"code": "G9-KGI9", "fiscal_year": "2025", "value": "12人"}, columns={}),
        RawRow(line=3, cells={"code": "G3-M1-K1", "fiscal_year": "2025", "value": "12人"}, columns={}),
    ]
    result = prepare_import(rows, strategy=plan)
    messages = [str(error) for error in result.errors]
    assert (
        len(messages) == 2 and "指標コード" in messages[0] and "「12人」は数値として読めません" in messages[1]
    )
    assert len(result.changes) == 1 and result.changes[0].fields["value"] == (None, Decimal("12"))


def test_extra_columns_and_the_optional_analysis_columns_are_handled(plan, tmp_path):
    content = (
        "指標コード,指標名,年度,実績値,要因分析,今後の方向性\r\n"
        "G3-M1-K1,（仮称）子育て支援総合センター利用者数,2026,1200,利用が伸びた,拡充\r\n"
    )
    run_import(tmp_path, content)
    actual = ActualValue.objects.get(indicator__code="G3-M1-K1", fiscal_year=2026)
    assert actual.value == Decimal("1200")
    assert actual.cause_analysis == "利用が伸びた"
    assert actual.next_step == "expand"


def test_an_empty_value_leaves_the_stored_value_unchanged(plan, tmp_path):
    set_actual("G2-KGI1", 2025, 400, status=ActualValue.Status.DRAFT, note="元の備考")
    run_import(tmp_path, JA_HEADER + "G2-KGI1,2025,,新しい備考\r\n")
    actual = ActualValue.objects.get(indicator__code="G2-KGI1", fiscal_year=2025)
    assert actual.value == Decimal("400")
    assert actual.note == "新しい備考"


def test_rows_that_change_nothing_are_counted_as_unchanged_and_not_rewritten(plan, tmp_path):
    set_actual("G2-KGI1", 2025, 400, status=ActualValue.Status.SUBMITTED)
    out, _err = run_import(tmp_path, JA_HEADER + "G2-KGI1,2025,400.0,\r\n")
    assert "0件を書き込みました（変更なし 1件）" in out
    assert ActualValue.objects.get(indicator__code="G2-KGI1", fiscal_year=2025).status == "submitted"


def test_a_value_staff_change_goes_back_to_draft_and_its_version_moves_on(plan, users, tmp_path, open_2025):
    before = set_actual("G2-KGI1", 2025, 300, status=ActualValue.Status.SUBMITTED)
    run_import(tmp_path, JA_HEADER + "G2-KGI1,2025,400,\r\n", "--user", "staff-own")
    after = ActualValue.objects.get(pk=before.pk)
    assert after.value == Decimal("400")
    assert after.status == ActualValue.Status.DRAFT
    assert after.version == before.version + 1


def test_without_a_user_the_command_corrects_a_value_as_the_planning_office_does_keeping_its_status(
    plan, tmp_path
):
    before = set_actual("G2-KGI1", 2025, 300, status=ActualValue.Status.SUBMITTED)
    run_import(tmp_path, JA_HEADER + "G2-KGI1,2025,400,\r\n")
    after = ActualValue.objects.get(pk=before.pk)
    assert (after.value, after.status) == (Decimal("400"), ActualValue.Status.SUBMITTED)
    assert after.version == before.version + 1


def test_the_planning_office_can_import_values_as_approved(plan, users, tmp_path, open_2025):
    set_actual("G2-KGI1", 2025, 300, status=ActualValue.Status.APPROVED)
    run_import(
        tmp_path,
        JA_HEADER + "G2-KGI1,2025,400,\r\nG1-KGI1,2025,279000,\r\n",
        "--user",
        "planning",
        "--approve",
    )
    statuses = set(ActualValue.objects.filter(fiscal_year=2025).values_list("status", flat=True))
    assert statuses == {ActualValue.Status.APPROVED}
    assert stored("G2-KGI1") == Decimal("400")
    assert (
        ActualValue.objects.get(indicator__code="G2-KGI1", fiscal_year=2025).entered_by == users["planning"]
    )


def test_an_import_records_history_with_the_user_and_reason(plan, users, tmp_path, open_2025):
    set_actual("G2-KGI1", 2025, 300, status=ActualValue.Status.DRAFT)
    content = JA_HEADER + "G2-KGI1,2025,400,\r\nG3-M1-K1,2025,1000,\r\n"
    run_import(tmp_path, content, "--user", "staff-own", "--reason", "県の確定値に更新")
    for code in ("G2-KGI1", "G3-M1-K1"):
        latest = ActualValue.objects.get(indicator__code=code, fiscal_year=2025).history.first()
        assert latest.history_user == users["staff_own"]
        assert latest.history_change_reason == "県の確定値に更新"
        assert latest.value == (Decimal("400") if code == "G2-KGI1" else Decimal("1000"))
    assert ActualValue.objects.get(indicator__code="G2-KGI1", fiscal_year=2025).history.count() == 2


def test_without_a_reason_the_history_names_the_file(plan, tmp_path):
    run_import(tmp_path, JA_HEADER + "G2-KGI1,2025,400,\r\n", name="kgi2025.csv")
    latest = ActualValue.objects.get(indicator__code="G2-KGI1", fiscal_year=2025).history.first()
    assert "kgi2025.csv" in latest.history_change_reason
    assert latest.history_user is None


# --- dry run ---------------------------------------------------------------------------------------------


def test_dry_run_prints_every_change_and_writes_nothing(plan, tmp_path):
    set_actual("G2-KGI1", 2025, 300, status=ActualValue.Status.DRAFT)
    content = JA_HEADER + "G2-KGI1,2025,400,\r\nG1-KGI1,2025,279000,\r\n"
    out, _err = run_import(tmp_path, content, "--dry-run")
    assert "G2-KGI1 2025年度（令和7年度）: 実績値 300 → 400" in out
    assert "G1-KGI1 2025年度（令和7年度）（新規）: 実績値 − → 279,000" in out
    assert "何も書き込んでいません" in out
    assert stored("G2-KGI1") == Decimal("300")
    assert stored("G1-KGI1") is None
    assert ActualValue.history.count() == 1  # set_actual's own record only


# --- bad files: nothing written ---------------------------------------------------------------------------


def test_a_bad_row_among_good_ones_writes_nothing_and_names_its_line_and_column(plan, tmp_path):
    content = JA_HEADER + "G2-KGI1,2025,400,\r\nG1-KGI1,2025,たくさん,\r\nG2-KGI2,2025,3200,\r\n"
    message, err = failing_import(tmp_path, content)
    assert "3行目 実績値: 「たくさん」は数値として読めません。数字だけ（単位「百万円」は付けても" in err
    assert "1行に誤りがあります" in message
    assert ActualValue.objects.count() == 0


def test_every_bad_row_gets_one_message_naming_its_columns(plan, tmp_path):
    content = (
        "code,fiscal_year,value,note\n"
        "G9-KGI9,2025,1,\n"  # unknown code
        "G2-KGI1,2031,1,\n"  # outside the plan
        "G2-KGI1,2025,1,\n"
        "G2-KGI1,2025,2,\n"  # the same code and year again
        "G1-KGI1,去年,x,\n"  # two bad cells in one row
    )
    _message, err = failing_import(tmp_path, content)
    lines = err.strip().splitlines()
    assert len(lines) == 4
    assert lines[0].startswith("2行目 code: この計画にない指標コードです: G9-KGI9")
    assert lines[1].startswith("3行目 fiscal_year: 計画期間（2025〜2027年度）の外の年度です: 2031")
    assert lines[2].startswith("5行目 code: G2-KGI1 の2025年度は4行目にもあります")
    assert (
        lines[3].startswith("6行目 fiscal_year: 年度として読めません")
        and "value: 「x」は数値として読めません" in lines[3]
    )
    assert ActualValue.objects.count() == 0


@pytest.mark.parametrize("year", ["2024", "2028", "令和6年度"])
def test_a_year_outside_2025_to_2027_is_refused(plan, tmp_path, year):
    _message, err = failing_import(tmp_path, JA_HEADER + f"G2-KGI1,{year},400,\r\n")
    assert "2行目 年度: 計画期間（2025〜2027年度）の外の年度です" in err


def test_a_locked_year_is_refused(plan, tmp_path):
    FiscalYear.objects.filter(strategy=plan, year=2025).update(state=FiscalYear.State.LOCKED)
    _message, err = failing_import(tmp_path, JA_HEADER + "G2-KGI1,2026,400,\r\nG2-KGI1,2025,400,\r\n")
    assert "3行目 年度: 2025年度は確定（ロック）済みのため変更できません。" in err
    assert ActualValue.objects.count() == 0


@pytest.fixture
def open_2025(plan):
    FiscalYear.objects.filter(strategy=plan, year=2025).update(state=FiscalYear.State.OPEN)


@pytest.mark.parametrize("state", [FiscalYear.State.NOT_OPEN, FiscalYear.State.CLOSED])
def test_staff_cannot_import_into_a_year_that_is_not_open(plan, users, tmp_path, state):
    FiscalYear.objects.filter(strategy=plan, year=2025).update(state=state)
    _message, err = failing_import(tmp_path, JA_HEADER + "G3-M1-K1,2025,10,\r\n", "--user", "staff-own")
    assert "2行目 年度: 2025年度は入力受付中ではありません" in err
    assert ActualValue.objects.count() == 0


def test_staff_import_into_an_open_year(plan, users, tmp_path, open_2025):
    run_import(tmp_path, JA_HEADER + "G3-M1-K1,2025,10,\r\n", "--user", "staff-own")
    assert stored("G3-M1-K1") == Decimal("10")


def test_staff_cannot_change_an_approved_value(plan, users, tmp_path, open_2025):
    set_actual("G2-KGI1", 2025, 300, status=ActualValue.Status.APPROVED)
    _message, err = failing_import(tmp_path, JA_HEADER + "G2-KGI1,2025,400,\r\n", "--user", "staff-own")
    assert "2行目 実績値: 承認済みの値は政策企画課だけが変更できます。" in err
    assert stored("G2-KGI1") == Decimal("300")


def test_staff_cannot_import_another_departments_indicator(plan, users, tmp_path, open_2025):
    content = JA_HEADER + "G3-M1-K1,2025,10,\r\nG2-KGI2,2025,3200,\r\n"
    _message, err = failing_import(tmp_path, content, "--user", "staff-own")
    assert "3行目 指標コード: 担当課の指標ではないため取り込めません: G2-KGI2" in err
    assert ActualValue.objects.count() == 0


def test_staff_cannot_import_as_approved(plan, users, tmp_path):
    message, _err = failing_import(
        tmp_path, JA_HEADER + "G3-M1-K1,2025,10,\r\n", "--user", "staff-own", "--approve"
    )
    assert "--approve" in message
    assert ActualValue.objects.count() == 0


def test_the_council_cannot_import_at_all(plan, users, tmp_path):
    message, _err = failing_import(tmp_path, JA_HEADER + "G3-M1-K1,2025,10,\r\n", "--user", "council")
    assert "権限がありません" in message


def test_an_unknown_user_is_refused(plan, tmp_path):
    message, _err = failing_import(tmp_path, JA_HEADER + "G3-M1-K1,2025,10,\r\n", "--user", "nobody")
    assert "nobody" in message
    assert ActualValue.objects.count() == 0


def test_a_next_step_outside_the_list_is_refused(plan, tmp_path):
    content = "指標コード,年度,実績値,今後の方向性\r\nG3-M1-K1,2025,10,がんばる\r\n"
    _message, err = failing_import(tmp_path, content)
    assert (
        "2行目 今後の方向性: 今後の方向性は 拡充／継続／改善して継続／縮小／廃止・終了 のいずれかです" in err
    )


def test_a_file_without_the_required_headers_is_refused(plan, tmp_path):
    message, _err = failing_import(tmp_path, "指標,年度,値\r\nG2-KGI1,2025,400\r\n")
    assert "「指標コード」「実績値」がありません" in message


def test_a_file_that_is_neither_csv_nor_xlsx_is_refused(plan, tmp_path):
    message, _err = failing_import(tmp_path, JA_HEADER, name="figures.txt")
    assert "CSV（.csv）または Excel（.xlsx）" in message


def test_an_undecodable_file_is_refused(plan, tmp_path):
    message, _err = failing_import(tmp_path, b"\x81\x00\xff\xfe\x80")
    assert ActualValue.objects.count() == 0
    assert "figures.csv" in message


# --- the interface the Excel reader builds on ------------------------------------------------------------


def test_map_header_ignores_unknown_columns_and_accepts_both_languages():
    assert map_header(["名称", "指標コード", "fiscal_year", "単位", "実績値", "備考", "今後の方向性"]) == {
        "code": 1,
        "fiscal_year": 2,
        "value": 4,
        "note": 5,
        "next_step": 6,
    }


def test_map_header_refuses_a_repeated_header():
    with pytest.raises(ImportFileError, match="2回あります"):
        map_header(["指標コード", "年度", "実績値", "value"])


def test_csv_rows_carry_the_line_a_person_sees_and_the_column_labels():
    data = "指標コード,年度,実績値\r\nG2-KGI1,2025,400\r\n\r\nG1-KGI1,2025\r\n".encode()
    rows = read_csv_rows(data)
    assert [row.line for row in rows] == [2, 4]
    assert rows[0].cells == {"code": "G2-KGI1", "fiscal_year": "2025", "value": "400"}
    assert rows[1].cells["value"] is None  # a short row: the cell is missing
    assert "note" not in rows[0].cells  # no 備考 column at all
    assert rows[0].columns == {"code": "指標コード", "fiscal_year": "年度", "value": "実績値"}


def test_an_xlsx_file_goes_to_the_excel_reader(monkeypatch):
    def read_xlsx_rows(data):
        return [RawRow(line=2, cells={"code": "X"}, columns={"code": "A"})] if data == b"xlsx" else []

    monkeypatch.setattr(readers, "read_xlsx_rows", read_xlsx_rows)
    assert read_rows("Figures.XLSX", b"xlsx")[0].cells == {"code": "X"}


@pytest.mark.parametrize(
    "text, year",
    [
        ("2025", 2025),
        ("２０２５", 2025),
        ("2025年度", 2025),
        ("令和7年度", 2025),
        ("令和７年度", 2025),
        ("令和元年度", 2019),
        ("平成31年度", 2019),
        ("2026年度（令和8年度）", 2026),
        (" 2027 ", 2027),
    ],
)
def test_fiscal_years_are_read_as_offices_write_them(text, year):
    assert parse_fiscal_year(text) == year


@pytest.mark.parametrize("text", ["", "二〇二五", "2025年度（令和8年度）", "令和0年度", "25"])
def test_text_that_is_not_a_fiscal_year_is_refused(text):
    with pytest.raises(ValueError):
        parse_fiscal_year(text)


def test_prepare_import_with_excel_column_letters_names_the_letter(plan):
    rows = [
        RawRow(
            line=5,
            cells={"code": "G2-KGI1", "fiscal_year": "2025", "value": "abc"},
            columns={"code": "A", "fiscal_year": "B", "value": "D"},
        )
    ]
    result = prepare_import(rows, strategy=plan)
    assert [(e.line, e.column) for e in result.errors] == [(5, "D")]
    assert str(result.errors[0]).startswith("5行目 D: 「abc」は数値として読めません")


def test_apply_import_refuses_a_batch_with_errors(plan):
    rows = [RawRow(line=2, cells={"code": "nope", "fiscal_year": "2025", "value": "1"}, columns={})]
    result = prepare_import(rows, strategy=plan)
    assert not result.ok
    with pytest.raises(ValueError):
        apply_import(result, reason="test")


def test_apply_import_refuses_values_changed_after_the_check(plan):
    set_actual("G2-KGI1", 2025, 300, status=ActualValue.Status.DRAFT)
    rows = [RawRow(line=2, cells={"code": "G2-KGI1", "fiscal_year": "2025", "value": "400"}, columns={})]
    result = prepare_import(rows, strategy=plan)
    ActualValue.objects.filter(indicator__code="G2-KGI1").update(value=Decimal(350), version=2)
    with pytest.raises(ImportConflict):
        apply_import(result, reason="test")
    assert stored("G2-KGI1") == Decimal("350")


def test_apply_import_refuses_approval_by_staff(plan, users, open_2025):
    rows = [RawRow(line=2, cells={"code": "G3-M1-K1", "fiscal_year": "2025", "value": "4"}, columns={})]
    result = prepare_import(rows, strategy=plan, user=users["staff_own"])
    with pytest.raises(PermissionError):
        apply_import(result, user=users["staff_own"], reason="test", approve=True)
    assert ActualValue.objects.count() == 0


def test_prepare_import_costs_the_same_queries_for_one_row_and_for_many(plan, django_assert_num_queries):
    codes = list(Indicator.objects.filter(strategy=plan).values_list("code", flat=True))
    many = [
        RawRow(line=n, cells={"code": code, "fiscal_year": str(year), "value": "1"}, columns={})
        for n, (code, year) in enumerate(((c, y) for c in codes for y in (2025, 2026, 2027)), start=2)
    ]
    # Indicators with their departments, their actuals, the fiscal years, the submissions.
    with django_assert_num_queries(4):
        prepare_import(many[:1], strategy=plan)
    with django_assert_num_queries(4):
        result = prepare_import(many, strategy=plan)
    assert len(result.changes) == 48 * 3


def test_next_steps_are_read_in_japanese_whatever_the_interface_language(plan, tmp_path):
    from django.utils import translation

    content = "指標コード,年度,実績値,今後の方向性\r\nG2-KGI1,2025,400,継続\r\nG3-M1-K1,2025,10,Expand\r\n"
    with translation.override("en"):
        run_import(tmp_path, content)
    steps = dict(ActualValue.objects.values_list("indicator__code", "next_step"))
    assert steps == {"G2-KGI1": "continue", "G3-M1-K1": "expand"}


def test_the_command_lists_the_first_100_bad_rows_and_counts_the_rest(plan, tmp_path):
    content = JA_HEADER + "".join(f"ZZ-{n},2025,1,\r\n" for n in range(150))
    message, err = failing_import(tmp_path, content)
    lines = err.strip().splitlines()
    assert len(lines) == 101 and lines[-1] == "ほかに50行に誤りがあります。"
    assert "150行に誤りがあります" in message
