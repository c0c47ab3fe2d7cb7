"""The data rows of a CSV file (UTF-8 with or without BOM, or CP932), as RawRows."""

import csv
import io

from django.utils.translation import gettext as _

from kpis.importing.rows import ImportFileError, RawRow, map_header


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
    if "\x00" in text:
        raise ImportFileError(_("CSVファイルではありません（バイナリデータが含まれています）。"))
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise ImportFileError(_("CSVとして読めません: %(error)s") % {"error": error}) from error
    if not records or not any(cell.strip() for cell in records[0]):
        raise ImportFileError(_("ファイルが空か、1行目に見出しがありません。"))
    header = records[0]
    mapping = map_header(header)
    columns = {name: header[index].strip() for name, index in mapping.items()}
    rows = []
    # A row number as a spreadsheet shows it: one per record, blank lines included.
    for line, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        cells = {name: record[index] if index < len(record) else None for name, index in mapping.items()}
        rows.append(RawRow(line=line, cells=cells, columns=columns))
    return rows
