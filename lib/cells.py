"""Writing openpyxl cells safely and readably: text that is never a formula, numbers with fitting formats,
shared styles, Japanese-aware column widths and row heights, and the A3 print setup.

Nothing here knows the plan or its indicators; the workbooks built on it pass in values and colours.
"""

import gc
import unicodedata
from collections import defaultdict
from contextlib import contextmanager
from copy import copy
from decimal import Decimal

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, MergedCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.merge import MergedCellRange
from openpyxl.worksheet.worksheet import Worksheet

from lib.csvsafe import neutralise_formula
from lib.numbers import MISSING

# Excel refuses (with a repair prompt) a cell holding more text than this.
MAX_CELL_TEXT = 32767

THIN = Side(style="thin", color="9AA4AE")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill(fill_type="solid", fgColor="DCE6F0")
TITLE_FONT = Font(bold=True, size=14)
BOLD = Font(bold=True)
DEMO_FONT = Font(bold=True, color="B00020", size=12)
WRAP = Alignment(wrap_text=True, vertical="top")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
RIGHT = Alignment(horizontal="right", vertical="top")
MISSING_ALIGNMENT = Alignment(horizontal="center", vertical="top")


# --- building ----------------------------------------------------------------------------------------


@contextmanager
def many_cells():
    """Build a large workbook with the cyclic garbage collector paused: openpyxl keeps an object per cell,
    and every full pass of the collector walks all of them again, while none is garbage before the
    workbook is saved (a third of the review workbook's time at 30× the real plan). Whatever cycles the
    build leaves are collected after it, as usual."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


# --- values and styles -------------------------------------------------------------------------------


def safe_text(value) -> str:
    """User text as a cell may hold it: no control characters, never a formula, not too long."""
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    return neutralise_formula(text)[:MAX_CELL_TEXT]


def apply_style(cell, **attributes):
    """Set a cell's styles through a per-workbook cache: openpyxl hashes every style it is given, which
    costs more than everything else for thousands of rows."""
    cache = _style_cache(cell)
    key = tuple((name, value if isinstance(value, str) else id(value)) for name, value in attributes.items())
    cached = cache.get(key)
    if cached is None:
        for name, value in attributes.items():
            setattr(cell, name, value)
        # Keep the style objects alive so that their ids in the key stay theirs.
        cache[key] = (copy(cell._style), tuple(attributes.values()))
    else:
        cell._style = copy(cached[0])
    return cell


def _style_cache(cell) -> dict:
    return cell.parent.parent.__dict__.setdefault("_style_cache", {})


def _styled(cell, font=None, fill=None, alignment=None, border=None, number_format=None):
    """apply_style for the cells put_text and put_number write, by far the most: the same cache, under a
    key that costs less to make."""
    cache = _style_cache(cell)
    key = (id(font), id(fill), id(alignment), id(border), number_format)
    cached = cache.get(key)
    if cached is None:
        apply_style(cell, **styles(font, fill, alignment, border, number_format))
        cache[key] = (copy(cell._style), (font, fill, alignment, border))
    else:
        cell._style = copy(cached[0])
    return cell


def styles(font=None, fill=None, alignment=None, border=None, number_format=None) -> dict:
    """The given styles as keyword arguments for apply_style (those left out are not set), always in this
    order: the order they are first set in decides their numbers in the file."""
    given = {
        "font": font,
        "fill": fill,
        "alignment": alignment,
        "border": border,
        "number_format": number_format,
    }
    return {name: value for name, value in given.items() if value is not None}


def _holding(ws: Worksheet, row: int, column: int, value, data_type: str):
    """The cell at (row, column) holding `value`, a str made safe (safe_text) or a Decimal, as it is: for
    the review workbook's 200,000 cells, ws.cell's checks and openpyxl's checks of the value again (the
    same characters safe_text took out) cost as much as the rest of writing a cell."""
    cell = ws._cells.get((row, column))
    if cell is None:
        cell = ws._cells[row, column] = Cell(ws, row=row, column=column)
    cell._value = value
    cell.data_type = data_type
    return cell


def put_text(ws: Worksheet, row: int, column: int, value, font=None, alignment=WRAP, fill=None, border=None):
    """A string cell (never a formula, whatever the text starts with)."""
    cell = _holding(ws, row, column, "" if value is None else safe_text(value), "s")
    return _styled(cell, font, fill, alignment, border)


def number_format(places: int) -> str:
    return "#,##0" if places <= 0 else "#,##0." + "0" * places


def triangle_format(fmt: str) -> str:
    """The format with negatives written 「△3」 (the cell keeps the number -3): #,##0 → #,##0;"△"#,##0."""
    return f'{fmt};"△"{fmt}'


def places_for(value: Decimal, decimal_places: int | None) -> int:
    """The indicator's display places, or the value's own decimals (as the `num` filter shows it)."""
    if decimal_places is not None:
        return decimal_places
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def put_number(
    ws: Worksheet,
    row: int,
    column: int,
    value,
    decimal_places: int | None = None,
    fmt=None,
    font=None,
    fill=None,
    border=None,
    triangle: bool = False,
):
    """A numeric cell with a format that fits the value; 「−」 when there is no value; with `triangle`,
    a negative value shows as 「△3」."""
    if value is None:
        return _styled(_holding(ws, row, column, MISSING, "s"), font, fill, MISSING_ALIGNMENT, border)
    value = Decimal(value)
    normal = value.normalize()
    # normalize() may give 1E+3: quantize back to an integer exponent so Excel reads a plain number.
    cell = _holding(
        ws, row, column, normal.quantize(Decimal(1)) if normal.as_tuple().exponent > 0 else normal, "n"
    )
    fmt = fmt or number_format(places_for(value, decimal_places))
    if triangle:
        fmt = triangle_format(fmt)
    return _styled(cell, font, fill, RIGHT, border, fmt)


def header_cell(ws: Worksheet, row: int, column: int, text: str):
    return put_text(ws, row, column, text, font=BOLD, alignment=CENTER, fill=HEADER_FILL, border=BORDER)


# --- coloured bands ----------------------------------------------------------------------------------


def excel_colour(colour: str) -> str:
    """#1a7f37 → 1A7F37, as openpyxl takes colours."""
    return colour.lstrip("#").upper()


def band_style(colour: str, text_colour: str, cache: dict = {}) -> tuple:  # noqa: B006 — a deliberate cache
    """The fill and bold font for a cell on a coloured band (#RRGGBB each); (None, None) for no colour."""
    fill, text = excel_colour(colour), excel_colour(text_colour)
    if len(fill) != 6:
        return None, None
    if (fill, text) not in cache:
        cache[fill, text] = (PatternFill(fill_type="solid", fgColor=fill), Font(bold=True, color=text))
    return cache[fill, text]


def put_band(ws: Worksheet, row: int, column: int, text: str, colour: str, text_colour: str, border=BORDER):
    """A short centred label on its band's fill colour, in the text colour that reads on it."""
    fill, font = band_style(colour, text_colour)
    return put_text(ws, row, column, text, font=font, alignment=CENTER, fill=fill, border=border)


# --- merged cells ------------------------------------------------------------------------------------


def merge(ws: Worksheet, start_row: int, start_column: int, end_row: int, end_column: int):
    """ws.merge_cells, the same cells and styles at a fraction of the cost: openpyxl rebuilds and hashes a
    border and a protection for every cell of every range, while a sheet merges ranges of a few shapes
    (the same size, the same styles at its corners) again and again. The first range of each shape is
    merged by openpyxl and the styles it gave each cell kept; the next ones get those styles."""
    corner = ws._cells.get((start_row, start_column))
    end = ws._cells.get((end_row, end_column))
    shape = (
        end_row - start_row,
        end_column - start_column,
        tuple(corner._style) if corner is not None else None,
        tuple(end._style) if end is not None else None,
    )
    cache = ws.parent.__dict__.setdefault("_merge_cache", {})
    if shape not in cache:
        ws.merge_cells(start_row=start_row, start_column=start_column, end_row=end_row, end_column=end_column)
        cache[shape] = [
            [copy(ws._cells[row, column]._style) for column in range(start_column, end_column + 1)]
            for row in range(start_row, end_row + 1)
        ]
        return
    cells = CellRange(min_col=start_column, min_row=start_row, max_col=end_column, max_row=end_row)
    ws.merged_cells.add(MergedCellRange(ws, cells.coord))
    for row_styles, row in zip(cache[shape], range(start_row, end_row + 1), strict=True):
        for style, column in zip(row_styles, range(start_column, end_column + 1), strict=True):
            cell = (
                ws._cells[row, column]
                if (row, column) == (start_row, start_column)
                else MergedCell(ws, row, column)
            )
            cell._style = copy(style)
            ws._cells[row, column] = cell


# --- sizes and printing ------------------------------------------------------------------------------


def display_width(text: str) -> int:
    """Columns a text needs: full-width (Japanese) characters count as 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WFA" else 1 for ch in text)


def cell_width(cell, measured: dict[str, int] | None = None) -> int:
    """Columns a cell's value needs; `measured`: the widths of texts met before (the same come back row
    after row)."""
    if cell.value is None:
        return 0
    if isinstance(cell.value, int | Decimal | float):
        digits = len(f"{Decimal(cell.value):,f}")
        return digits + 1
    text = str(cell.value)
    if measured is None:
        return max(display_width(line) for line in text.split("\n"))
    if text not in measured:
        measured[text] = max(display_width(line) for line in text.split("\n"))
    return measured[text]


def fit_columns(ws: Worksheet, first_row: int, caps: dict[int, int], minimum: int = 6, maximum: int = 60):
    """Widths that fit Japanese text from `first_row` down; long text columns are capped and wrap."""
    widths: dict[int, int] = defaultdict(int)
    spanning = _merged_spans(ws)
    measured: dict[str, int] = {}
    for (row, column), cell in _cells_from(ws, first_row):
        if cell.value is None or isinstance(cell, MergedCell) or (row, column) in spanning:
            continue  # a text merged across columns takes their joint width, and widens none of them
        widths[column] = max(widths[column], cell_width(cell, measured))
    for column, width in sorted(widths.items()):
        cap = caps.get(column, maximum)
        ws.column_dimensions[get_column_letter(column)].width = max(minimum, min(cap, width + 2))


def _cells_from(ws: Worksheet, first_row: int, last_row: int | None = None):
    """((row, column), cell) of the cells written from `first_row` (to `last_row`): unlike ws.iter_rows,
    without creating an empty cell for every gap."""
    last_row = ws.max_row if last_row is None else last_row
    return (item for item in ws._cells.items() if first_row <= item[0][0] <= last_row)


def _merged_spans(ws: Worksheet) -> dict[tuple[int, int], tuple[int, int]]:
    """The first cell (row, column) of every range merged across columns → (its first column, its last)."""
    return {
        (r.min_row, r.min_col): (r.min_col, r.max_col)
        for r in ws.merged_cells.ranges
        if r.max_col > r.min_col
    }


def _lines(text: str, usable: int) -> int:
    """The lines a text takes wrapped in a width of `usable` characters."""
    return sum(-(-max(1, display_width(part)) // usable) for part in text.split("\n"))


def fit_rows(ws: Worksheet, first_row: int, last_row: int, line_height: float = 15.0):
    """Row heights for wrapped text: neither Excel nor LibreOffice grows them when opening a file."""
    spanning = _merged_spans(ws)
    widths: dict[tuple[int, int], int] = {}
    wrapping: dict[int, bool] = {}  # by alignment: most cells share a few
    measured: dict[tuple[str, int], int] = {}  # the same texts come back row after row
    lines: dict[int, int] = defaultdict(lambda: 1)
    for (row, column), cell in _cells_from(ws, first_row, last_row):
        text = cell.value
        if not isinstance(text, str) or not text:
            continue
        alignment = cell._style.alignmentId
        if alignment not in wrapping:
            wrapping[alignment] = bool(cell.alignment and cell.alignment.wrap_text)
        if not wrapping[alignment]:
            continue
        columns = spanning.get((row, column), (column, column))
        if columns not in widths:
            width = sum(
                ws.column_dimensions[get_column_letter(each)].width or 8.43
                for each in range(columns[0], columns[1] + 1)
            )
            widths[columns] = max(1, int(width * 0.9) - 1)  # LibreOffice's fonts run a little wider
        key = (text, widths[columns])
        if key not in measured:
            measured[key] = _lines(*key)
        lines[row] = max(lines[row], measured[key])
    for row, count in lines.items():
        if count > 1:
            ws.row_dimensions[row].height = round(count * line_height + 2, 1)


def print_setup(ws: Worksheet, title_rows: str | None):
    """A3 landscape, fitted to the page width, header rows on every page, page numbers in the footer."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A3
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    if title_rows:
        ws.print_title_rows = title_rows
    ws.oddHeader.left.text = "&A"
    ws.oddFooter.center.text = "&P / &N"
