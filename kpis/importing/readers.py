"""A file's rows, read by its extension."""

from django.utils.translation import gettext as _

from kpis.importing.csv_reader import read_csv_rows
from kpis.importing.rows import ImportFileError, RawRow
from kpis.importing.xlsx_reader import read_xlsx_rows


def read_rows(filename: str, data: bytes) -> list[RawRow]:
    """The rows of an uploaded or named file, read by its extension (.csv or .xlsx)."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension == "csv":
        return read_csv_rows(data)
    if extension == "xlsx":
        return read_xlsx_rows(data)
    raise ImportFileError(
        _("取り込めるのは CSV（.csv）または Excel（.xlsx）のファイルです: %(name)s") % {"name": filename}
    )
