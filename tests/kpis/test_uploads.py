import io
import os
import time
import zipfile

import openpyxl
import pytest
from django.test import override_settings

from kpis.importing import xlsx_reader
from kpis.importing.rows import ImportFileError
from kpis.importing.xlsx_reader import read_xlsx_rows
from lib import uploads
from lib.uploads import UploadRefused, check_upload

LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>'
)


def xlsx_bytes(rows=(("指標コード", "年度", "実績値"), ("G1-M1-K1", 2025, 10))) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rewrite(data: bytes, replace: dict[str, bytes | None] = None, add: dict[str, bytes] = None) -> bytes:
    """The same zip with some entries replaced (None: removed) or added."""
    replace, add = replace or {}, add or {}
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename in replace:
                if replace[info.filename] is not None:
                    target.writestr(info.filename, replace[info.filename])
            else:
                target.writestr(info.filename, source.read(info))
        for name, content in add.items():
            target.writestr(name, content)
    return buffer.getvalue()


def refused(data: bytes, filename: str = "figures.xlsx") -> str:
    started = time.monotonic()
    with pytest.raises(UploadRefused) as caught:
        check_upload(filename, data)
    assert time.monotonic() - started < 2, "refusing a bad file must be quick"
    return str(caught.value)


def test_a_plain_workbook_passes_the_checks():
    check_upload("figures.xlsx", xlsx_bytes())


def test_random_bytes_are_not_an_xlsx():
    assert "Excel（.xlsx）ファイルではありません" in refused(os.urandom(4096))


def test_a_truncated_zip_is_refused():
    assert "読めません" in refused(xlsx_bytes()[:300])


def test_a_zip_bomb_is_refused_from_its_directory_before_decompressing():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml", zipfile.ZipFile(io.BytesIO(xlsx_bytes())).read("[Content_Types].xml")
        )
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (40 * 1024 * 1024))
    data = buffer.getvalue()
    assert len(data) < 200_000
    message = refused(data)
    assert "圧縮爆弾" in message


def test_a_zip_whose_declared_total_is_too_large_is_refused(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_UNCOMPRESSED_BYTES", 100_000)
    data = rewrite(xlsx_bytes(), add={"xl/media/big.bin": os.urandom(150_000)})
    assert "展開後のサイズが大きすぎます" in refused(data)


def test_too_many_entries_are_refused():
    data = rewrite(xlsx_bytes(), add={f"xl/extra/{n}.xml": b"<a/>" for n in range(250)})
    assert "構成要素が多すぎます" in refused(data)


def test_a_billion_laughs_xml_inside_an_xlsx_is_refused():
    data = rewrite(xlsx_bytes(), replace={"xl/worksheets/sheet1.xml": LAUGHS.encode()})
    assert "文書型定義" in refused(data)


def test_openpyxl_parses_with_defusedxml_which_refuses_entities_even_without_our_check(monkeypatch):
    import defusedxml.ElementTree
    import openpyxl.xml.functions

    assert openpyxl.DEFUSEDXML is True
    assert openpyxl.xml.functions.iterparse is defusedxml.ElementTree.iterparse
    data = rewrite(xlsx_bytes(), replace={"xl/worksheets/sheet1.xml": LAUGHS.encode()})
    monkeypatch.setattr(xlsx_reader, "inspect_xlsx", lambda data: None)
    with pytest.raises(ImportFileError, match="読めません"):
        read_xlsx_rows(data)


def test_an_xlsm_is_refused_by_its_name():
    assert "マクロ" in refused(xlsx_bytes(), filename="figures.xlsm")


def test_a_vba_project_inside_an_xlsx_is_refused():
    data = rewrite(xlsx_bytes(), add={"xl/vbaProject.bin": b"\x00" * 100})
    assert "マクロ" in refused(data)


def test_a_macro_enabled_content_type_is_refused():
    content_types = zipfile.ZipFile(io.BytesIO(xlsx_bytes())).read("[Content_Types].xml")
    macro = content_types.replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    )
    assert macro != content_types
    data = rewrite(xlsx_bytes(), replace={"[Content_Types].xml": macro})
    assert "マクロ" in refused(data)


def test_a_zip_without_spreadsheet_content_types_is_refused():
    assert "[Content_Types].xml" in refused(rewrite(xlsx_bytes(), replace={"[Content_Types].xml": None}))
    content_types = zipfile.ZipFile(io.BytesIO(xlsx_bytes())).read("[Content_Types].xml")
    word = content_types.replace(b"spreadsheetml.sheet.main+xml", b"wordprocessingml.document.main+xml")
    assert "Excelのブック" in refused(rewrite(xlsx_bytes(), replace={"[Content_Types].xml": word}))


def test_an_encrypted_workbook_is_refused_as_such():
    cfb = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(2048)
    assert refused(cfb).startswith("暗号化されたファイル")


def test_old_xls_and_other_extensions_are_refused():
    assert ".xls" in refused(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", filename="old.xls")
    assert "取り込めるのは" in refused(b"hello", filename="figures.txt")


def test_a_workbook_renamed_to_csv_is_refused():
    assert "CSVファイルではありません" in refused(xlsx_bytes(), filename="figures.csv")


@override_settings(MAX_UPLOAD_BYTES=1000)
def test_a_file_over_the_upload_size_limit_is_refused():
    assert "大きすぎます" in refused(b"x" * 1001, filename="figures.csv")


def test_an_empty_file_is_refused():
    assert "空" in refused(b"", filename="figures.csv")


def test_an_oversized_sheet_is_refused_from_its_dimension():
    workbook = openpyxl.Workbook()
    workbook.active.append(["指標コード", "年度", "実績値"])
    workbook.active.cell(row=uploads.MAX_ROWS + 100, column=1, value="G1-M1-K1")
    buffer = io.BytesIO()
    workbook.save(buffer)
    started = time.monotonic()
    with pytest.raises(ImportFileError, match="行が多すぎます"):
        read_xlsx_rows(buffer.getvalue())
    assert time.monotonic() - started < 2


def test_rows_beyond_the_limit_are_refused_while_reading(monkeypatch):
    monkeypatch.setattr(xlsx_reader, "MAX_ROWS", 50)
    rows = [("指標コード", "年度", "実績値")] + [("G1-M1-K1", 2025, n) for n in range(60)]
    data = xlsx_bytes(rows)
    # A file whose dimension says little: the reader still stops at the limit.
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    understated = sheet.replace(b'<dimension ref="A1:C61" />', b'<dimension ref="A1" />')
    assert understated != sheet
    data = rewrite(data, replace={"xl/worksheets/sheet1.xml": understated})
    with pytest.raises(ImportFileError, match="行が多すぎます"):
        read_xlsx_rows(data)


def test_the_reader_refuses_an_unsafe_container_with_an_import_error():
    with pytest.raises(ImportFileError, match="Excel（.xlsx）ファイルではありません"):
        read_xlsx_rows(os.urandom(1000))


def test_a_formula_in_an_input_cell_is_refused_naming_the_cell():
    data = xlsx_bytes([("指標コード", "年度", "実績値"), ("G1-M1-K1", 2025, "=SUM(1,2)")])
    with pytest.raises(ImportFileError) as caught:
        read_xlsx_rows(data)
    assert "C2" in str(caught.value) and "数式" in str(caught.value)


def test_the_reader_names_columns_by_their_excel_letter_and_reads_values_as_typed():
    data = xlsx_bytes(
        [
            ("指標名", "指標コード", "年度", "実績値", "備考"),
            ("名前", "G1-M1-K1", 2025, 12.5, "'=1+1"),
            (None, None, None, None, None),
            ("名前", "G1-M1-K2", "2025", 1234567, None),
        ]
    )
    rows = read_xlsx_rows(data)
    assert [row.line for row in rows] == [2, 4]
    assert rows[0].cells == {"code": "G1-M1-K1", "fiscal_year": "2025", "value": "12.5", "note": "=1+1"}
    assert rows[0].columns["value"] == "D列（実績値）"
    assert rows[1].cells["value"] == "1234567" and rows[1].cells["note"] is None


def test_a_workbook_without_the_required_headers_is_refused():
    data = xlsx_bytes([("コード", "値"), ("G1-M1-K1", 1)])
    with pytest.raises(ImportFileError, match="見出し"):
        read_xlsx_rows(data)


@override_settings(MAX_UPLOAD_BYTES=5 * 1024 * 1024)
def test_the_size_message_states_the_real_size_and_the_limit_however_close_they_are():
    assert "（5,242,881バイト、上限は5,242,880バイト）" in refused(b"x" * (5 * 1024 * 1024 + 1), "a.csv")
    assert "（5.5 MB、上限は5.0 MB）" in refused(b"x" * (5 * 1024 * 1024 + 512 * 1024), "a.csv")


def test_a_sheet_whose_xml_is_too_large_is_refused_from_the_zip_directory(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_SHEET_XML_BYTES", 2_000)
    rows = [("指標コード", "年度", "実績値")] + [("G1-M1-K1", 2025, n) for n in range(200)]
    message = refused(xlsx_bytes(rows))
    assert "シートが大きすぎます（xl/worksheets/sheet1.xml" in message and "上限2 KB" in message
