import io
import os
import re
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpis.models import ActualValue, FiscalYear, Indicator, StagedUpload
from tests.support.factories import build_synthetic_plan, make_user, set_actual

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def staging():
    """The staged uploads, as the store keeps them (in the database)."""
    return StagedUpload.objects


def staged_files(staging) -> list:
    return list(staging.all())


def download_template(client, department="kodomo", year=2025) -> openpyxl.Workbook:
    response = client.get(reverse("excel:entry_template"), {"department": department, "fiscal_year": year})
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def header_index(ws) -> dict[str, int]:
    return {cell.value: cell.column for cell in ws[1]}


def row_of(ws, code: str) -> int:
    return next(row for row in range(2, ws.max_row + 1) if ws.cell(row, 1).value == code)


def as_bytes(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, filename: str, data: bytes):
    return client.post(reverse("excel:import_upload"), {"file": SimpleUploadedFile(filename, data)})


def token_of(response) -> str:
    assert response.status_code == 302, re.findall(
        r"role=\"alert\"[^<]*>(.*?)</div>", response.content.decode(), re.S
    )
    match = re.fullmatch(r"/reports/import/([^/]+)/", response["Location"])
    assert match, response["Location"]
    return match[1]


def confirm(client, token: str, **extra):
    preview = client.get(reverse("excel:import_preview", args=[token]))
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', preview.content.decode())
    assert digest, preview.content.decode()[:3000]
    return client.post(reverse("excel:import_confirm", args=[token]), {"digest": digest[1], **extra})


def csv_bytes(*lines: str) -> bytes:
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()


# --- the page and its downloads ----------------------------------------------------------------------


def test_the_reports_page_offers_each_role_what_it_may_use(client, users):
    url = reverse("excel:reports")
    assert client.get(url).status_code == 302  # anonymous → login
    client.force_login(users["planning"])
    html = client.get(url).content.decode()
    assert reverse("excel:review_workbook") in html and reverse("excel:entry_template") in html
    client.force_login(users["council"])
    html = client.get(url).content.decode()
    assert reverse("excel:review_workbook") in html and reverse("excel:entry_template") not in html
    client.force_login(users["staff_own"])
    html = client.get(url).content.decode()
    assert reverse("excel:review_workbook") not in html and reverse("excel:import_upload") in html
    assert "こども家庭課" in html and "商工観光課" not in html


def test_the_planning_office_and_the_council_download_the_review_workbook_and_staff_may_not(client, users):
    url = reverse("excel:review_workbook")
    for role in ("planning", "council"):
        client.force_login(users[role])
        response = client.get(url, {"fiscal_year": 2025})
        assert response.status_code == 200 and response["Content-Type"] == XLSX
        workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        assert workbook.sheetnames[0] == "総括"
    client.force_login(users["staff_own"])
    assert client.get(url, {"fiscal_year": 2025}).status_code == 403


def test_a_fiscal_year_outside_the_plan_is_a_400_not_a_500(client, users):
    client.force_login(users["planning"])
    assert client.get(reverse("excel:review_workbook"), {"fiscal_year": 2031}).status_code == 400
    assert client.get(reverse("excel:review_workbook"), {"fiscal_year": "abc"}).status_code == 400


def test_staff_download_their_own_departments_template_only(client, users):
    client.force_login(users["staff_own"])
    ws = download_template(client).active
    codes = {ws.cell(row, 1).value for row in range(2, ws.max_row + 1)}
    assert codes == {"G3-M1-K1", "G3-M1-K2", "G3-M1-K3", "G2-KGI1"}
    response = client.get(reverse("excel:entry_template"), {"department": "shoko", "fiscal_year": 2025})
    assert response.status_code == 403
    client.force_login(users["council"])
    response = client.get(reverse("excel:entry_template"), {"department": "kodomo", "fiscal_year": 2025})
    assert response.status_code == 403


def test_the_template_protects_reference_cells_and_validates_inputs(client, users):
    set_actual("G3-M1-K1", 2025, 120, note="前年より増加")
    client.force_login(users["planning"])
    ws = download_template(client).active
    columns = header_index(ws)
    assert {
        "指標コード",
        "年度",
        "実績値",
        "備考",
        "要因分析",
        "今後の方向性",
        "期待値",
        "前年度実績",
    } <= set(columns)
    assert ws.protection.sheet is True
    row = row_of(ws, "G3-M1-K1")
    assert ws.cell(row, columns["指標コード"]).protection.locked is True
    assert ws.cell(row, columns["期待値"]).protection.locked is True
    for name in ("実績値", "備考", "要因分析", "今後の方向性"):
        assert ws.cell(row, columns[name]).protection.locked is False
    assert ws.cell(row, columns["実績値"]).value == 120
    assert ws.cell(row, columns["備考"]).value == "前年より増加"
    assert ws.cell(row, columns["年度"]).value == 2025
    kinds = {validation.type: validation for validation in ws.data_validations.dataValidation}
    assert "decimal" in kinds and "list" in kinds
    assert "改善して継続" in kinds["list"].formula1


def test_the_template_shows_the_years_expected_value_and_the_figure_of_the_year_before(client, users):
    """The reference columns are the entry screen's: the year's expected value and last year's figure, as the
    rules compute them (evaluate_all, every year read, is the reference)."""
    from kpis.rules.evaluation import evaluate_all

    set_actual("G3-M1-K1", 2025, "120.5")
    set_actual("G3-M1-K1", 2026, 130, status=ActualValue.Status.DRAFT, note="入力中")
    set_actual("G3-M1-K2", 2024, 55)  # the baseline year's figure is the first plan year's 前年度実績
    client.force_login(users["planning"])
    for year in (2025, 2026, 2027):
        ws = download_template(client, department="kodomo", year=year).active
        columns = header_index(ws)
        indicators = Indicator.objects.filter(department__code="kodomo").with_figures()
        for evaluation in evaluate_all(indicators, indicators[0].strategy):
            row, before = row_of(ws, evaluation.indicator.code), evaluation.record(year - 1)
            expected = evaluation.year(year).expected
            assert _number(ws.cell(row, columns["期待値"])) == expected
            assert _number(ws.cell(row, columns["前年度実績"])) == (before.value if before else None)
    assert ws.cell(row_of(ws, "G3-M1-K1"), columns["前年度実績"]).value == 130
    ws = download_template(client, department="kodomo", year=2026).active
    columns = header_index(ws)
    # Each figure's status as the entry screen names it; a year without a figure, none.
    assert ws.cell(row_of(ws, "G3-M1-K1"), columns["状態"]).value == "入力中"
    assert ws.cell(row_of(ws, "G3-M1-K2"), columns["状態"]).value is None
    ws = download_template(client, department="kodomo", year=2025).active
    assert ws.cell(row_of(ws, "G3-M1-K1"), header_index(ws)["状態"]).value == "承認済"
    ws = download_template(client, department="kodomo", year=2025).active
    assert ws.cell(row_of(ws, "G3-M1-K2"), header_index(ws)["前年度実績"]).value == 55


def _number(cell) -> Decimal | None:
    """A number cell's value as written (「−」: none)."""
    return None if cell.value == "−" else Decimal(str(cell.value))


def test_the_planning_office_downloads_a_template_of_every_indicator(client, users, plan):
    client.force_login(users["planning"])
    ws = download_template(client, department="").active
    assert ws.max_row - 1 == Indicator.objects.filter(strategy=plan).count()


# --- the round trip ----------------------------------------------------------------------------------


def open_year(strategy, year=2025):
    FiscalYear.objects.update_or_create(
        strategy=strategy, year=year, defaults={"state": FiscalYear.State.OPEN}
    )


def test_a_filled_template_imports_after_its_preview_and_exports_the_same_values(
    client, users, plan, staging
):
    open_year(plan)
    client.force_login(users["staff_own"])
    workbook = download_template(client)
    ws = workbook.active
    columns = header_index(ws)
    filled = {
        "G3-M1-K1": (Decimal("1234.5"), "=1+1", "利用が伸びた", "継続"),
        "G3-M1-K2": (Decimal("87"), "", "登録を呼びかけた", "拡充"),
    }
    for code, (value, note, cause, step) in filled.items():
        row = row_of(ws, code)
        ws.cell(row, columns["実績値"]).value = value
        note_cell = ws.cell(row, columns["備考"])
        note_cell.value = note or None
        note_cell.data_type = "s"  # typed as text ('=1+1 in Excel), not as a formula
        ws.cell(row, columns["要因分析"]).value = cause
        ws.cell(row, columns["今後の方向性"]).value = step

    token = token_of(upload(client, "kodomo.xlsx", as_bytes(workbook)))
    preview = client.get(reverse("excel:import_preview", args=[token]))
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "G3-M1-K1" in html and "1,234.5" in html and "利用が伸びた" in html
    assert ActualValue.objects.count() == 0  # the preview writes nothing

    response = confirm(client, token)
    assert response.status_code == 302 and response["Location"] == reverse("excel:reports")
    stored = {a.indicator.code: a for a in ActualValue.objects.select_related("indicator")}
    assert set(stored) == set(filled)
    record = stored["G3-M1-K1"]
    assert (record.value, record.note, record.cause_analysis, record.next_step) == (
        Decimal("1234.5"),
        "=1+1",
        "利用が伸びた",
        "continue",
    )
    assert record.status == ActualValue.Status.DRAFT and record.entered_by == users["staff_own"]
    assert record.history.first().history_change_reason.endswith("kodomo.xlsx")
    assert staged_files(staging) == []

    # Exported again, the template holds the same values, the formula-like note as text.
    ws = download_template(client).active
    for code, (value, _note, cause, step) in filled.items():
        row = row_of(ws, code)
        assert Decimal(str(ws.cell(row, columns["実績値"]).value)) == value
        assert ws.cell(row, columns["要因分析"]).value == cause
        assert ws.cell(row, columns["今後の方向性"]).value == step
    note_cell = ws.cell(row_of(ws, "G3-M1-K1"), columns["備考"])
    assert note_cell.data_type == "s" and note_cell.value == "'=1+1"

    # ... and imported once more, it changes nothing.
    token = token_of(upload(client, "again.xlsx", as_bytes(ws.parent)))
    html = client.get(reverse("excel:import_preview", args=[token])).content.decode()
    assert "変更はありません" in html


def test_the_planning_office_may_import_values_as_approved(client, users, plan):
    open_year(plan)
    client.force_login(users["planning"])
    token = token_of(upload(client, "a.csv", csv_bytes("指標コード,年度,実績値", "G2-M1-K1,2025,12")))
    assert confirm(client, token, approve="on").status_code == 302
    assert ActualValue.objects.get().status == ActualValue.Status.APPROVED


def test_staff_cannot_import_another_departments_indicator(client, users, plan):
    open_year(plan)
    client.force_login(users["staff_own"])
    data = csv_bytes("指標コード,年度,実績値", "G3-M1-K1,2025,5", "G2-M1-K1,2025,9")
    token = token_of(upload(client, "mixed.csv", data))
    preview = client.get(reverse("excel:import_preview", args=[token]))
    html = preview.content.decode()
    assert preview.status_code == 422
    assert "3行目" in html and "担当課の指標ではないため取り込めません" in html
    assert "確定して取り込む" not in html
    response = client.post(reverse("excel:import_confirm", args=[token]), {"digest": "0" * 64})
    assert (
        response.status_code == 409 and "担当課の指標ではないため取り込めません" in response.content.decode()
    )
    assert ActualValue.objects.count() == 0


def test_a_locked_fiscal_year_is_refused(client, users, plan):
    FiscalYear.objects.update_or_create(strategy=plan, year=2025, defaults={"state": FiscalYear.State.LOCKED})
    client.force_login(users["planning"])
    token = token_of(upload(client, "a.csv", csv_bytes("指標コード,年度,実績値", "G2-M1-K1,2025,12")))
    html = client.get(reverse("excel:import_preview", args=[token])).content.decode()
    assert "確定（ロック）済み" in html
    assert ActualValue.objects.count() == 0


def test_errors_name_the_row_and_the_excel_column(client, users):
    client.force_login(users["planning"])
    workbook = openpyxl.Workbook()
    workbook.active.append(["指標名", "指標コード", "年度", "実績値"])
    workbook.active.append(["名前", "G2-M1-K1", 2025, "abc"])
    workbook.active.append(["名前", "ZZ-9", 2025, 1])
    token = token_of(upload(client, "bad.xlsx", as_bytes(workbook)))
    html = client.get(reverse("excel:import_preview", args=[token])).content.decode()
    assert "D列（実績値）" in html and "数値として読めません" in html
    assert "B列（指標コード）" in html and "この計画にない指標コード" in html


def test_confirm_plans_again_and_refuses_when_values_changed_since_the_preview(client, users, plan):
    open_year(plan)
    client.force_login(users["planning"])
    token = token_of(upload(client, "a.csv", csv_bytes("指標コード,年度,実績値", "G2-M1-K1,2025,12")))
    preview = client.get(reverse("excel:import_preview", args=[token]))
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', preview.content.decode())[1]
    set_actual("G2-M1-K1", 2025, 30, status=ActualValue.Status.DRAFT)  # someone else, meanwhile
    response = client.post(reverse("excel:import_confirm", args=[token]), {"digest": digest})
    assert response["Location"] == reverse("excel:import_preview", args=[token])
    assert ActualValue.objects.get().value == 30


def test_an_upload_can_only_be_confirmed_by_the_session_that_sent_it(client, users, departments, plan):
    open_year(plan)
    client.force_login(users["staff_own"])
    token = token_of(upload(client, "a.csv", csv_bytes("指標コード,年度,実績値", "G3-M1-K1,2025,5")))
    from django.test import Client

    other = Client()
    other.force_login(make_user("staff-own-2", "department_staff", [departments[0]]))
    response = other.post(reverse("excel:import_confirm", args=[token]), {"digest": "0" * 64})
    assert response["Location"] == reverse("excel:import_upload")
    assert other.get(reverse("excel:import_preview", args=[token])).status_code == 302
    assert ActualValue.objects.count() == 0


def test_an_upload_previewed_on_one_app_server_is_confirmed_on_another(client, users, plan, staging):
    """A staged upload lives in the database, not on one server's disk: a second server (here a second
    client on the same database and session) confirms it, and the staged rows are gone afterwards."""
    open_year(plan)
    client.force_login(users["planning"])
    token = token_of(upload(client, "a.csv", csv_bytes("指標コード,年度,実績値", "G2-M1-K1,2025,12")))
    assert staging.filter(token=token).exists()
    other_server = Client()
    other_server.cookies = client.cookies
    assert confirm(other_server, token).status_code == 302
    assert ActualValue.objects.get().value == Decimal("12")
    assert not staging.exists()


def test_a_tampered_staging_file_is_not_applied(client, users, staging):
    client.force_login(users["planning"])
    token = token_of(upload(client, "a.csv", csv_bytes("指標コード,年度,実績値", "G2-M1-K1,2025,12")))
    (staged,) = staged_files(staging)
    staged.rows = staged.rows.replace('"12"', '"999"')
    staged.save()
    response = client.get(reverse("excel:import_preview", args=[token]))
    assert response["Location"] == reverse("excel:import_upload")
    assert ActualValue.objects.count() == 0


def test_the_council_cannot_import(client, users):
    client.force_login(users["council"])
    assert client.get(reverse("excel:import_upload")).status_code == 403
    assert upload(client, "a.csv", csv_bytes("指標コード,年度,実績値", "G2-M1-K1,2025,12")).status_code == 403


# --- bad files ---------------------------------------------------------------------------------------


def plain_xlsx(rows) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(list(row))
    return as_bytes(workbook)


def zip_bomb() -> bytes:
    content_types = zipfile.ZipFile(io.BytesIO(plain_xlsx([["a"]]))).read("[Content_Types].xml")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (30 * 1024 * 1024))
    return buffer.getvalue()


def laughs() -> bytes:
    source = zipfile.ZipFile(io.BytesIO(plain_xlsx([["指標コード", "年度", "実績値"]])))
    buffer = io.BytesIO()
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>&b;</t></is></c></row></sheetData></worksheet>'
    )
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            is_sheet = info.filename == "xl/worksheets/sheet1.xml"
            archive.writestr(info.filename, bomb if is_sheet else source.read(info))
    return buffer.getvalue()


def oversized_sheet() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(["指標コード", "年度", "実績値"])
    workbook.active.cell(row=100_000, column=1, value="G2-M1-K1")
    return as_bytes(workbook)


BAD_FILES = {
    "random bytes": ("figures.xlsx", lambda: os.urandom(5000), "Excel（.xlsx）ファイルではありません"),
    "zip bomb": ("figures.xlsx", zip_bomb, "圧縮爆弾"),
    "billion laughs": ("figures.xlsx", laughs, "文書型定義"),
    "xlsm": ("figures.xlsm", lambda: plain_xlsx([["指標コード", "年度", "実績値"]]), "マクロ"),
    "encrypted": (
        "figures.xlsx",
        lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4000),
        "暗号化されたファイル",
    ),
    "wrong headers": ("figures.xlsx", lambda: plain_xlsx([["code", "value"], ["G2-M1-K1", 1]]), "見出し"),
    "oversized sheet": ("figures.xlsx", oversized_sheet, "行が多すぎます"),
    "formula": (
        "figures.xlsx",
        lambda: plain_xlsx([["指標コード", "年度", "実績値"], ["G2-M1-K1", 2025, "=1+1"]]),
        "C2",
    ),
}


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_a_bad_file_is_refused_with_a_japanese_message_and_nothing_is_written(client, users, staging, kind):
    client.force_login(users["planning"])
    filename, make, message = BAD_FILES[kind]
    response = upload(client, filename, make())
    assert response.status_code == 400
    assert message in response.content.decode()
    assert ActualValue.objects.count() == 0
    assert staged_files(staging) == []


def test_unknown_codes_are_shown_on_the_preview_and_cannot_be_confirmed(client, users):
    client.force_login(users["planning"])
    token = token_of(upload(client, "a.csv", csv_bytes("指標コード,年度,実績値", "G9-M9-K9,2025,1")))
    html = client.get(reverse("excel:import_preview", args=[token])).content.decode()
    assert "この計画にない指標コード" in html and "確定して取り込む" not in html
    client.post(reverse("excel:import_confirm", args=[token]), {"digest": "0" * 64})
    assert ActualValue.objects.count() == 0


def test_an_oversized_upload_is_refused_before_it_is_read(client, users, settings):
    settings.MAX_UPLOAD_BYTES = 2000
    client.force_login(users["planning"])
    response = upload(client, "big.csv", b"x" * 5000)
    assert response.status_code in (400, 413)
    assert "大きすぎます" in response.content.decode()


# --- cost --------------------------------------------------------------------------------------------


def prepare_import(client, copies: int) -> str:
    """A synthetic plan, a planning-office user signed in, and a staged CSV of every indicator."""
    strategy = build_synthetic_plan(copies, code=f"s{copies}")
    open_year(strategy, 2026)
    client.force_login(make_user(f"planner-{copies}", "planning_office"))
    codes = Indicator.objects.filter(strategy=strategy).values_list("code", flat=True)
    data = csv_bytes("指標コード,年度,実績値", *[f"{code},2026,5" for code in codes])
    return token_of(upload(client, "all.csv", data))


def test_the_template_and_the_preview_cost_the_same_queries_for_a_plan_100_times_larger(
    client, db, django_assert_num_queries
):
    template_url = reverse("excel:entry_template")
    token = prepare_import(client, 1)
    with CaptureQueriesContext(connection) as template_queries:
        client.get(template_url, {"department": "", "fiscal_year": 2025})
    with CaptureQueriesContext(connection) as preview_queries:
        assert client.get(reverse("excel:import_preview", args=[token])).status_code == 200
    # Counted now: the query log is a bounded deque that building the large plan rotates.
    template_count, preview_count = len(template_queries), len(preview_queries)
    assert template_count and preview_count

    token = prepare_import(client, 100)
    with django_assert_num_queries(template_count):
        client.get(template_url, {"department": "", "fiscal_year": 2025})
    with django_assert_num_queries(preview_count):
        response = client.get(reverse("excel:import_preview", args=[token]))
    assert response.status_code == 200 and "G4-M1-K1050" in response.content.decode()


# --- bounded work: sizes, rows, errors, one read ---------------------------------------------------------


def test_an_upload_declared_over_the_limit_is_a_413_in_japanese_before_the_body_or_its_token_is_read(
    users, settings
):
    from django.test import Client

    settings.MAX_UPLOAD_BYTES = 100 * 1024
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["planning"])
    response = upload(client, "big.csv", b"x" * (300 * 1024))
    html = response.content.decode()
    assert response.status_code == 413
    assert re.search(r"ファイルが大きすぎます（\d+ KB、上限は100 KB）", html)
    # The form itself is still protected: a file of an allowed size without the CSRF token is refused.
    assert upload(client, "small.csv", csv_bytes("指標コード,年度,実績値")).status_code == 403


def test_a_file_just_over_the_limit_is_told_its_size_and_the_limit_in_bytes(client, users, settings):
    settings.MAX_UPLOAD_BYTES = 5 * 1024 * 1024
    client.force_login(users["planning"])
    response = upload(client, "big.csv", b"x" * (5 * 1024 * 1024 + 1))
    assert response.status_code == 400
    assert "ファイルが大きすぎます（5,242,881バイト、上限は5,242,880バイト）" in response.content.decode()


def test_a_csv_of_200000_rows_is_refused_at_the_row_limit_before_any_row_is_checked(
    client, users, staging, monkeypatch
):
    from reports.excel import views

    def prepare_import(*args, **kwargs):
        raise AssertionError("a refused file is not checked against the plan")

    monkeypatch.setattr(views, "prepare_import", prepare_import)
    client.force_login(users["planning"])
    data = csv_bytes("指標コード,年度,実績値", *(f"G2-M1-K1,2025,{n}" for n in range(200_000)))
    assert len(data) < 5 * 1024 * 1024
    response = upload(client, "many.csv", data)
    assert response.status_code == 400
    assert "ファイルの行が多すぎます（上限5,000行）" in response.content.decode()
    assert staged_files(staging) == []


def test_the_csv_reader_stops_at_the_row_limit_and_reads_no_further():
    from kpis.importing.csv_reader import read_csv_rows
    from kpis.importing.rows import ImportFileError
    from lib.uploads import MAX_ROWS

    lines = [f"G2-M1-K1,2025,{n}" for n in range(MAX_ROWS + 10)] + ["G2-M1-K1,2025,\x00"]
    with pytest.raises(ImportFileError, match="行が多すぎます"):  # not the NUL further down
        read_csv_rows(csv_bytes("指標コード,年度,実績値", *lines))


def test_the_preview_lists_the_first_100_errors_and_counts_the_rest(client, users):
    client.force_login(users["planning"])
    data = csv_bytes("指標コード,年度,実績値", *(f"ZZ-{n},2025,1" for n in range(250)))
    response = client.get(reverse("excel:import_preview", args=[token_of(upload(client, "bad.csv", data))]))
    html = response.content.decode()
    assert response.status_code == 422
    assert html.count("この計画にない指標コード") == 100
    assert "エラー 250 件" in html and "ほかに150件のエラーがあります" in html
    assert "ZZ-99," not in html and "ZZ-99<" in html and "ZZ-100<" not in html


def test_a_file_is_read_once_and_its_rows_not_its_bytes_are_kept_for_the_preview_and_confirm(
    client, users, plan, staging, monkeypatch
):
    from reports.excel import views

    reads = []
    real_read_rows = views.read_rows

    def read_rows(filename, data):
        reads.append(filename)
        return real_read_rows(filename, data)

    monkeypatch.setattr(views, "read_rows", read_rows)
    open_year(plan)
    client.force_login(users["planning"])
    workbook = openpyxl.Workbook()
    workbook.active.append(["指標コード", "年度", "実績値"])
    workbook.active.append(["G2-M1-K1", 2025, 12])
    data = as_bytes(workbook)
    token = token_of(upload(client, "a.xlsx", data))
    (staged,) = staged_files(staging)
    assert not staged.rows.startswith("PK") and "G2-M1-K1" in staged.rows
    assert confirm(client, token).status_code == 302
    assert reads == ["a.xlsx"]
    assert ActualValue.objects.get().value == Decimal("12")


def test_a_staged_file_that_holds_no_rows_is_dropped_not_a_500(client, users, staging):
    import hashlib

    client.force_login(users["planning"])
    token = token_of(upload(client, "a.csv", csv_bytes("指標コード,年度,実績値", "G2-M1-K1,2025,12")))
    (staged,) = staged_files(staging)
    raw = csv_bytes("指標コード,年度,実績値", "G2-M1-K1,2025,12").decode()  # a file, not rows
    staged.rows = raw
    staged.save()
    session = client.session
    session["excel_import"]["sha256"] = hashlib.sha256(raw.encode()).hexdigest()
    session.save()
    response = client.get(reverse("excel:import_preview", args=[token]))
    assert response["Location"] == reverse("excel:import_upload")
    assert staged_files(staging) == []
