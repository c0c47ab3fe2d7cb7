"""Text and CSV that spreadsheets open safely: Japanese-readable, never run as a formula."""

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

from django.http import StreamingHttpResponse

# A cell starting with one of these is taken as a formula by Excel and LibreOffice (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Rows written per piece of a streamed CSV.
ROWS_PER_PIECE = 500


def neutralise_formula(value):
    """Prefix user text that a spreadsheet would run as a formula with an apostrophe; other values pass."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_pieces(
    header: Sequence[str], rows: Iterable[Sequence], size: int = ROWS_PER_PIECE, *, neutralised: bool = False
) -> Iterator[str]:
    """The CSV's text in pieces of `size` rows: a BOM first, so Excel opens it in Japanese; CRLF; every text
    cell neutralised, None an empty cell (`neutralised`: the caller has already made every cell so)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    batch = []
    yield "\ufeff" + buffer.getvalue()
    for row in rows:
        batch.append(
            row if neutralised else ["" if cell is None else neutralise_formula(cell) for cell in row]
        )
        if len(batch) >= size:
            yield _written(buffer, writer, batch)
            batch = []
    if batch:
        yield _written(buffer, writer, batch)


def _written(buffer: io.StringIO, writer, rows: list) -> str:
    buffer.seek(0)
    buffer.truncate()
    writer.writerows(rows)
    return buffer.getvalue()


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """UTF-8 with a BOM, so Excel opens it in Japanese; every text cell neutralised."""
    return "".join(csv_pieces(header, rows)).encode("utf-8")


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> StreamingHttpResponse:
    """The CSV streamed as csv_bytes writes it. `rows` is read while the client reads: pass rows already
    made (a list) when making them needs the request's language or settings."""
    pieces = (piece.encode("utf-8") for piece in csv_pieces(header, rows))
    response = StreamingHttpResponse(pieces, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
