"""The data rows of an uploaded .xlsx, as RawRows for kpis.importing.prepare.prepare_import.

The container is inspected first (lib.uploads); openpyxl then reads cell VALUES only, never evaluating
formulas: a formula in a column that is imported is refused, naming the cell, since what it computes
cannot be checked. Messages name columns by Excel's letters (「I列（実績値）」).

Excel writes a control character in a text cell as an escape (_x000D_, _x0000_); those are read back as
the characters they stand for, so that the importer cleans them as the forms do and a NUL is refused
naming its cell.
"""

import io
import re
import zipfile
from datetime import date, datetime, time
from decimal import Decimal

import openpyxl
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from kpis.importing.rows import (
    DATA_FIELDS,
    ImportFileError,
    RawRow,
    blank,
    map_header,
    nul_in_file,
    too_many_rows,
)
from lib.csvsafe import FORMULA_PREFIXES
from lib.uploads import MAX_ROWS, MAX_SHEET_COLUMNS, UploadRefused, inspect_xlsx

HEADER_SEARCH_ROWS = 10  # a title row or two may stand above the header
MAX_REPORTED_CELLS = 5


def read_xlsx_rows(data: bytes) -> list[RawRow]:
    """The rows under the header of the first sheet that has one; ImportFileError for a bad file."""
    try:
        inspect_xlsx(data)
    except UploadRefused as refused:
        raise ImportFileError(str(refused)) from refused
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except Exception as error:  # any parser error of an untrusted file is "cannot read it"
        raise _unreadable(data) from error
    try:
        return _read_workbook(workbook)
    except ImportFileError:
        raise
    except Exception as error:
        raise _unreadable(data) from error
    finally:
        workbook.close()


# A character XML 1.0 forbids, raw or as a character reference: the usual reason a sheet does not parse.
_NUL_IN_XML = re.compile(rb"\x00|&#0+;|&#[xX]0+;")
_CONTROL_IN_XML = re.compile(
    rb"[\x01-\x08\x0b\x0c\x0e-\x1f]|&#0*(?:[1-8]|1[124-9]|2[0-9]|3[01]);|&#[xX]0*(?:[1-8bBcCeEfF]|1[0-9a-fA-F]);"
)


def _unreadable(data: bytes) -> ImportFileError:
    """Why openpyxl could not read the file: a NUL or another control character in its XML, or else "broken"."""
    found = _forbidden_character(data)
    if found is not None:
        character, part = found
        if character == "nul":
            return nul_in_file(part)
        return ImportFileError(
            _(
                "ファイル（%(part)s）にXMLで使えない制御文字が含まれています。その文字を削除して保存し直してください。"
            )
            % {"part": part}
        )
    return ImportFileError(
        _("Excel（.xlsx）ファイルとして読めません（壊れているか、安全でない内容を含みます）。")
    )


def _forbidden_character(data: bytes) -> tuple[str, str] | None:
    """("nul" or "control", the part's name) for the first XML part holding such a character; else None.

    Only after a failed parse, on a container lib.uploads has already bounded (its declared sizes).
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for entry in archive.infolist():
                if not entry.filename.lower().endswith(".xml"):
                    continue
                content = archive.read(entry)
                if _NUL_IN_XML.search(content):
                    return "nul", entry.filename
                if _CONTROL_IN_XML.search(content):
                    return "control", entry.filename
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, ValueError):
        return None
    return None


def _read_workbook(workbook) -> list[RawRow]:
    sheets = [workbook.active] + [ws for ws in workbook.worksheets if ws is not workbook.active]
    first_problem = None
    for ws in sheets:
        if ws is None or not hasattr(ws, "iter_rows"):
            continue
        try:
            return _read_sheet(ws)
        except _NoHeader as problem:
            first_problem = first_problem or problem.error
    raise first_problem or ImportFileError(_("ファイルにシートがありません。"))


class _NoHeader(Exception):
    def __init__(self, error: ImportFileError):
        super().__init__(str(error))
        self.error = error


def _read_sheet(ws) -> list[RawRow]:
    """The data rows of one sheet; _NoHeader if none of its first rows is a header."""
    declared_rows = ws.max_row if isinstance(ws.max_row, int) else 0
    if declared_rows > MAX_ROWS + HEADER_SEARCH_ROWS:
        raise too_many_rows(ws.title)
    if hasattr(ws, "reset_dimensions"):
        # openpyxl would stop at the declared last row; a file that understates it must not hide rows.
        ws.reset_dimensions()
    rows = ws.iter_rows(min_row=1, max_col=MAX_SHEET_COLUMNS)
    header_line, header, mapping = _find_header(rows, ws.title)
    # The same iterator goes on from the row under the header.
    return _read_data(rows, ws.title, header_line, mapping, _column_names(header, mapping))


def _find_header(rows, sheet: str) -> tuple[int, list[str], dict[str, int]]:
    """(line, texts, field → column index) of the first header among the first rows; else _NoHeader."""
    first_error = None
    for line, cells in enumerate(rows, start=1):
        if line > HEADER_SEARCH_ROWS:
            break
        texts = [_header_text(cell) for cell in cells]
        if not any(texts):
            continue
        try:
            return line, texts, map_header(texts)
        except ImportFileError as error:
            first_error = first_error or error
    raise _NoHeader(
        first_error or ImportFileError(_("シート「%(sheet)s」に見出し行がありません。") % {"sheet": sheet})
    )


def _column_names(header: list[str], mapping: dict[str, int]) -> dict[str, str]:
    """Field → the column as messages name it: 「I列（実績値）」."""
    return {
        name: _("%(letter)s列（%(header)s）")
        % {"letter": get_column_letter(index + 1), "header": header[index]}
        for name, index in mapping.items()
    }


def _read_data(
    rows, sheet: str, header_line: int, mapping: dict[str, int], columns: dict[str, str]
) -> list[RawRow]:
    """The rows under the header that carry data; ImportFileError naming any formula or error cell."""
    result: list[RawRow] = []
    formulas: list[str] = []
    for line, cells in enumerate(rows, start=header_line + 1):
        if line - header_line > MAX_ROWS:
            raise too_many_rows(sheet)
        values = _row_values(cells, line, mapping, formulas)
        # A template row left as it came (code and year only) carries nothing to import.
        if any(not blank(values.get(name)) for name in DATA_FIELDS):
            result.append(RawRow(line=line, cells=values, columns=columns))
    if formulas:
        raise _formula_cells(formulas)
    return result


def _row_values(cells, line: int, mapping: dict[str, int], formulas: list[str]) -> dict[str, str | None]:
    """Field → the text of its cell in one row; a formula or error cell is added to formulas instead."""
    values: dict[str, str | None] = {}
    for name, index in mapping.items():
        cell = cells[index] if index < len(cells) else None
        if cell is None or cell.value is None:
            values[name] = None
            continue
        coordinate = f"{get_column_letter(index + 1)}{line}"
        if cell.data_type == "f":
            formulas.append(f"{coordinate}（{str(cell.value)[:30]}）")
            continue
        if cell.data_type == "e":
            formulas.append(f"{coordinate}（{cell.value}）")
            continue
        text = cell_text(cell.value)
        if "\x00" in text:
            raise nul_in_file(_("%(line)s行目 %(cell)sセル") % {"line": line, "cell": coordinate})
        values[name] = text
    return values


def _formula_cells(formulas: list[str]) -> ImportFileError:
    shown = "、".join(formulas[:MAX_REPORTED_CELLS])
    more = len(formulas) - MAX_REPORTED_CELLS
    return ImportFileError(
        _("数式やエラー値のセルは取り込めません。値を直接入力してください: %(cells)s") % {"cells": shown}
        + (_("ほか%(count)sセル") % {"count": more} if more > 0 else "")
    )


def _header_text(cell) -> str:
    value = getattr(cell, "value", None)
    if value is None or getattr(cell, "data_type", None) == "f":
        return ""
    return str(value).strip()


def cell_text(value) -> str:
    """A cell's value as the text a person typed, for parse_decimal and friends."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # The shortest repr (0.1, not 0.1000000000000000055…), written out without an exponent.
        return format(Decimal(repr(value)), "f")
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    text = _unescape(str(value))
    # Our exports write a leading apostrophe before text a spreadsheet would run; read it back as typed.
    if text.startswith("'") and text[1:2] and text[1:2] in FORMULA_PREFIXES:
        return text[1:]
    return text


_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape(text: str) -> str:
    """OOXML's escapes (_x000D_ for a carriage return, _x005F_ for "_") read as the characters they stand for."""
    if "_x" not in text:
        return text
    return _ESCAPE.sub(lambda match: chr(int(match[1], 16)), text)
