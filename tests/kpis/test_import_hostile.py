"""Every import column, filled the way an attacker and a clumsy clerk would fill it.

Whatever a cell holds, the answer is a message naming the file's problem or the row's line and column, or
the value is stored exactly as the entry form would store it (numbers exactly, texts cleaned of control
characters); never a 500 or an English exception, and never a partial write.
"""

import csv
import io
import re
import unicodedata
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kpis.importing.apply import apply_import
from kpis.importing.csv_reader import read_csv_rows
from kpis.importing.prepare import prepare_import
from kpis.importing.rows import ImportFileError
from kpis.importing.xlsx_reader import read_xlsx_rows
from kpis.models import ActualValue, FiscalYear, Indicator, NextStep
from lib.fiscal import parse_fiscal_year
from lib.numbers import parse_decimal
from lib.text import clean_text, has_control_characters
from tests.support.entry import set_year_state

pytestmark = pytest.mark.django_db

COLUMNS = {
    "code": "指標コード",
    "fiscal_year": "年度",
    "value": "実績値",
    "note": "備考",
    "cause_analysis": "要因分析",
    "next_step": "今後の方向性",
}
ROW = {
    "code": "G3-M1-K1",
    "fiscal_year": "2025",
    "value": "10",
    "note": "",
    "cause_analysis": "",
    "next_step": "",
}
EXAMPLES = [
    "99999999999999.99",
    "12345678901234.567891",
    "123456789012345",
    "1234567890123456",
    "9" * 30,
    "12,5",
    "１２，５",
    "1,2,3",
    "1,234",
    "△3",
    "−0",
    "1e400",
    "NaN",
    "Infinity",
    "note\x0bwith\x1bcontrols\x7f\x85",
    "\u2028",
    "\r\n改行\r",
    "<script>alert(1)</script>",
    '<a href="//evil.example">u</a>',
    '=HYPERLINK("http://evil.example")',
    "_x0041_ and _x000B_",
    "x" * 2000,
    "x" * 5000,
    "",
    "   ",
    "2025年度",
    "２０２５",
    "令和7年度",
    "継続",
    "ｇ３－ｍ１－ｋ１",
    "-1",
]
hostile = st.one_of(
    st.sampled_from(EXAMPLES),
    st.text(alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=40),
    st.text(alphabet="0123456789１２,.，．△-−+e\x0b\x1b <>&\"'_x", max_size=25),
    st.from_regex(r"[+-]?\d{1,3}(,\d{3}){0,5}(\.\d{1,8})?", fullmatch=True),
)
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


@pytest.fixture
def setting(plan, users):
    """Every plan year open; staff of こども家庭課 import."""
    for year in plan.plan_years:
        set_year_state(plan, year, FiscalYear.State.OPEN)
    staff = users["staff_own"]
    return plan, staff, {department.pk for department in staff.departments.all()}


class _Rollback(Exception):
    pass


def csv_bytes(*rows: dict[str, str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS.values())
    for row in rows:
        writer.writerow([row[name] for name in COLUMNS])
    return ("\ufeff" + buffer.getvalue()).encode()


def ooxml(text: str) -> str:
    """Text as Excel writes it into a cell: "_x" escaped first, then the characters XML cannot hold (and CR,
    which XML reads as LF)."""
    text = re.sub(r"_(x[0-9A-Fa-f]{4}_)", r"_x005F_\1", text)
    return re.sub(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]", lambda m: f"_x{ord(m.group()):04X}_", text)


def xlsx_bytes(*rows: dict[str, str]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(COLUMNS.values()))
    for row in rows:
        sheet.append([ooxml(row[name]) or None for name in COLUMNS])
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            cell.data_type = "s" if cell.value is not None else cell.data_type  # typed text, never a formula
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def outcome(data: bytes, read, setting) -> str:
    """Read, prepare and apply one file; check what happened and say which: file, line, unchanged, stored."""
    plan, staff, departments = setting
    before = (ActualValue.objects.count(), ActualValue.history.count())
    try:
        rows = read(data)
    except ImportFileError as problem:
        assert JAPANESE.search(str(problem)), str(problem)
        assert (ActualValue.objects.count(), ActualValue.history.count()) == before
        return "file"
    batch = prepare_import(rows, strategy=plan, user=staff, department_ids=departments)
    if not batch.ok:
        for error in batch.errors:
            # The column as the file names it: 「備考」, or 「D列（備考）」 in a workbook.
            assert error.line == 2 and any(label in error.column for label in COLUMNS.values()), error
            assert error.message and not has_control_characters(error.message)
            assert len(error.message) < 400
        assert (ActualValue.objects.count(), ActualValue.history.count()) == before
        return "line"
    if not batch.changes:
        return "unchanged"  # an empty value cell, and nothing else on the row to store
    apply_import(batch, user=staff, reason="hostile")
    return "stored"


def check_stored(column: str, text: str, setting) -> None:
    """The row went in: the hostile cell is stored as the entry form would store it, read back exactly."""
    plan, _staff, _departments = setting
    code = unicodedata.normalize("NFKC", text).strip().upper() if column == "code" else ROW["code"]
    year = parse_fiscal_year(text) if column == "fiscal_year" else 2025
    record = ActualValue.objects.get(
        indicator=Indicator.objects.get(strategy=plan, code=code), fiscal_year=year
    )
    if column == "value":
        assert record.value == parse_decimal(text)
    elif column in ("note", "cause_analysis"):
        assert getattr(record, column) == clean_text(text).strip()
    elif column == "next_step":
        assert record.next_step in NextStep.values if text.strip() else record.next_step == ""
    for name in ("note", "cause_analysis"):
        assert not has_control_characters(getattr(record, name))


def run_one(column: str, text: str, data: bytes, read, setting) -> str:
    try:
        with transaction.atomic():
            result = outcome(data, read, setting)
            if result == "stored":
                check_stored(column, text, setting)
            raise _Rollback
    except _Rollback:
        pass
    return result


PROPERTY = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY
@given(column=st.sampled_from(list(COLUMNS)), text=hostile)
@example(column="value", text="12,5")
@example(column="value", text="１２，５")
@example(column="value", text="1,2,3")
@example(column="value", text="1234567890123456")
@example(column="note", text="a\x0bb\x1bc")
@example(column="note", text="x" * 5000)
def test_a_hostile_csv_cell_gets_a_line_message_or_is_stored_exactly(setting, column, text):
    data = csv_bytes({**ROW, column: text})
    result = run_one(column, text, data, read_csv_rows, setting)
    if column == "value" and text in ("12,5", "１２，５", "1,2,3"):
        assert result == "line"  # never read as 125 or 123
    if column == "note" and text == "a\x0bb\x1bc":
        assert result == "stored"


@PROPERTY
@given(column=st.sampled_from(list(COLUMNS)), text=hostile)
@example(column="note", text="備考\x0b二行目\x1b")
@example(column="cause_analysis", text="_x000D_\n改行")
def test_a_hostile_xlsx_cell_gets_a_line_message_or_is_stored_exactly(setting, column, text):
    data = xlsx_bytes({**ROW, column: text})
    rows = read_xlsx_rows(data)  # none: a row without a value, note, analysis or next step is skipped
    assert [row.cells[column] for row in rows][:1] in ([text or None], [])  # Excel's escapes read as typed
    run_one(column, text, data, read_xlsx_rows, setting)


def test_control_characters_in_texts_are_cleaned_as_the_forms_clean_them(setting):
    note = "一行目\x0b二行目\x1b[31m赤\x7f\u2028終"
    run = outcome(csv_bytes({**ROW, "note": note, "cause_analysis": "\r\n要因\r"}), read_csv_rows, setting)
    assert run == "stored"
    record = ActualValue.objects.get(indicator__code="G3-M1-K1", fiscal_year=2025)
    assert record.note == "一行目\n二行目[31m赤\n終"
    assert record.cause_analysis == "要因"


def test_a_text_longer_than_the_entry_form_takes_is_refused_naming_the_line_and_the_limit(setting):
    plan, staff, departments = setting
    batch = prepare_import(read_csv_rows(csv_bytes({**ROW, "note": "あ" * 2001})), strategy=plan, user=staff)
    assert [str(error) for error in batch.errors] == ["2行目 備考: 2,000文字までです（2,001文字あります）。"]


def test_a_message_quotes_a_hostile_cell_visibly_and_briefly(setting):
    plan, staff, departments = setting
    rows = read_csv_rows(csv_bytes({**ROW, "code": "G3\x1b-" + "K" * 500}))
    (error,) = prepare_import(rows, strategy=plan, user=staff, department_ids=departments).errors
    assert "G3[U+001B]-KKK" in error.message and len(error.message) <= 200


# --- NUL characters and oversized fields: the file's problem, named ---------------------------------------


def test_a_nul_in_a_csv_is_refused_naming_the_character_and_the_row():
    data = "指標コード,年度,実績値,備考\r\nG3-M1-K1,2025,1,\r\nG3-M1-K2,2025,2,a\x00b\r\n".encode()
    with pytest.raises(ImportFileError) as refused:
        read_csv_rows(data)
    assert "NUL文字（U+0000）" in str(refused.value) and "（3行目）" in str(refused.value)


def test_a_utf16_csv_is_refused_as_containing_nul_characters():
    with pytest.raises(ImportFileError, match="NUL文字"):
        read_csv_rows("code,fiscal_year,value\r\nG3-M1-K1,2025,1\r\n".encode("utf-16-le"))


def test_a_nul_in_an_xlsx_cell_is_refused_naming_the_character_and_the_cell():
    data = xlsx_bytes(ROW, {**ROW, "code": "G3-M1-K2", "note": "a\x00b"})
    with pytest.raises(ImportFileError) as refused:
        read_xlsx_rows(data)
    assert "NUL文字（U+0000）" in str(refused.value) and "3行目 D3セル" in str(refused.value)


@pytest.mark.parametrize("raw", [b"a\x00b", b"a&#0;b", b"a&#x0;b"])
def test_a_raw_nul_in_an_xlsx_part_is_refused_naming_the_character_and_the_part(raw):
    data = xlsx_bytes({**ROW, "note": "PLACEHOLDER"})
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info).replace(b"PLACEHOLDER", raw))
    with pytest.raises(ImportFileError) as refused:
        read_xlsx_rows(buffer.getvalue())
    assert re.search(
        r"NUL文字（U\+0000）が含まれています（xl/(worksheets/sheet1|sharedStrings)\.xml）", str(refused.value)
    )


def test_a_raw_control_character_in_an_xlsx_part_is_named_as_such():
    data = xlsx_bytes({**ROW, "note": "PLACEHOLDER"})
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info).replace(b"PLACEHOLDER", b"a\x1bb"))
    with pytest.raises(ImportFileError, match="XMLで使えない制御文字"):
        read_xlsx_rows(buffer.getvalue())


def test_a_csv_field_over_the_csv_field_limit_gets_a_japanese_message_naming_the_row():
    data = (
        "指標コード,年度,実績値,備考\r\nG3-M1-K1,2025,1,短い\r\nG3-M1-K2,2025,2," + "長" * 140_000
    ).encode()
    with pytest.raises(ImportFileError) as refused:
        read_csv_rows(data)
    message = str(refused.value)
    assert message == "3行目に長すぎる欄があります（1つの欄は131,072文字まで）。"


# --- through the pages: never a 500 ---------------------------------------------------------------------

# Distinct indicator-year keys of こども家庭課, one per example, so that no two rows collide.
KEYS = [
    (code, str(year))
    for year in (2025, 2026, 2027)
    for code in ("G3-M1-K1", "G3-M1-K2", "G3-M1-K3", "G2-KGI1")
]


def upload(client, name: str, data: bytes):
    return client.post(reverse("excel:import_upload"), {"file": SimpleUploadedFile(name, data)})


def file_rows(column: str, examples: list[str]) -> list[dict[str, str]]:
    rows = []
    for (code, year), text in zip(KEYS * 3, examples, strict=False):
        row = {**ROW, "code": code, "fiscal_year": year, column: text}
        rows.append(row)
    return rows


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_every_hostile_example_in_every_column_gets_an_answer_through_the_pages(client, setting, kind):
    """Per column, one file with every example on its own row: the preview answers (200 or 422) naming
    each refused line; a file of the accepted rows is confirmed and stores each as the check expects."""
    _plan, staff, _departments = setting
    client.force_login(staff)
    make = csv_bytes if kind == "csv" else xlsx_bytes
    for column in COLUMNS:
        # Rows per file are capped by the keys (12): the examples go in groups.
        for start in range(0, len(EXAMPLES), len(KEYS)):
            group = EXAMPLES[start : start + len(KEYS)]
            response = upload(client, f"hostile.{kind}", make(*file_rows(column, group)))
            assert response.status_code == 302, response.content.decode()[:500]
            preview = client.get(response["Location"])
            assert preview.status_code in (200, 422)
            html = preview.content.decode()
            errors = html[html.find('class="import-errors"') : html.find('id="changes-heading"')]
            refused = {int(line) for line in re.findall(r'<td class="num">(\d+)行目</td>', errors)}
            accepted = [text for line, text in enumerate(group, start=2) if line not in refused]
            if accepted:
                confirm_accepted(client, kind, column, accepted, setting)


def confirm_accepted(client, kind: str, column: str, accepted: list[str], setting) -> None:
    """The accepted rows alone, confirmed; then rolled back, for the next group. (Rows of hostile codes or
    years name keys of their own, which may then collide: the property tests store those.)"""
    if column in ("code", "fiscal_year"):
        return
    # Rows that carry nothing (an empty value) are left out: a workbook reader skips them.
    accepted = [text for text in accepted if column != "value" or text.strip()]
    if not accepted:
        return
    make = csv_bytes if kind == "csv" else xlsx_bytes
    sid = transaction.savepoint()
    response = upload(client, f"accepted.{kind}", make(*file_rows(column, accepted)))
    assert response.status_code == 302, response.content.decode()[:3000]
    preview = client.get(response["Location"])
    assert preview.status_code == 200, preview.content.decode()[:3000]
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', preview.content.decode())
    response = client.post(response["Location"] + "confirm/", {"digest": digest[1]})
    assert response.status_code == 302
    for (code, year), text in zip(KEYS * 3, accepted, strict=False):
        record = ActualValue.objects.get(indicator__code=code, fiscal_year=int(year))
        if column == "value":
            assert record.value == parse_decimal(text)
        elif column in ("note", "cause_analysis"):
            assert getattr(record, column) == clean_text(text).strip()
    transaction.savepoint_rollback(sid)
