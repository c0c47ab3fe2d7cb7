"""The data rows of a CSV file (UTF-8 with or without BOM, or CP932), as RawRows.

Records are read one at a time and the reading stops at the row limit (lib.uploads.MAX_ROWS), so a file
of a million short lines costs no more than one at the limit. Every problem of the file is an
ImportFileError in Japanese naming the row: a NUL character, a field over the csv module's size limit.
"""

import csv
import io

from django.utils.translation import gettext as _

from kpis.importing.rows import ImportFileError, RawRow, map_header, nul_in_file, too_many_rows
from lib.uploads import MAX_ROWS


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    for encoding in ("utf-8", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(
        _("文字コードを判別できません。UTF-8 または Shift_JIS（CP932）のCSVで保存してください。")
    )


def read_csv_rows(data: bytes) -> list[RawRow]:
    """The data rows of a CSV (UTF-8 with or without BOM, or CP932) under its header row."""
    try:
        text = _decode(data)
    except UnicodeDecodeError as error:
        raise ImportFileError(
            _("UTF-8（BOM付き）として読めない文字があります（%(position)sバイト目）。")
            % {"position": error.start + 4}
        ) from error
    records = _records(text)
    header = next(records, None)
    if not header or not any(cell.strip() for cell in header):
        raise ImportFileError(_("ファイルが空か、1行目に見出しがありません。"))
    mapping = map_header(header)
    columns = {name: header[index].strip() for name, index in mapping.items()}
    rows = []
    # A row number as a spreadsheet shows it: one per record, blank lines included.
    for line, record in enumerate(records, start=2):
        if line - 1 > MAX_ROWS:
            raise too_many_rows()
        if not any(cell.strip() for cell in record):
            continue
        cells = {name: record[index] if index < len(record) else None for name, index in mapping.items()}
        rows.append(RawRow(line=line, cells=cells, columns=columns))
    return rows


def _records(text: str):
    """The CSV records one by one; ImportFileError naming the row for a NUL or an unreadable record."""
    reader = csv.reader(io.StringIO(text, newline=""))
    line = 0
    while True:
        line += 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise _unreadable(line, error) from error
        if any("\x00" in cell for cell in record):
            raise nul_in_file(_("%(line)s行目") % {"line": line})
        yield record


def _unreadable(line: int, error: csv.Error) -> ImportFileError:
    if "field larger than field limit" in str(error):
        return ImportFileError(
            _("%(line)s行目に長すぎる欄があります（1つの欄は%(limit)s文字まで）。")
            % {"line": line, "limit": f"{csv.field_size_limit():,}"}
        )
    return ImportFileError(
        _('%(line)s行目をCSVとして読めません（「"」で囲んだ欄が閉じているか確かめてください）。')
        % {"line": line}
    )
