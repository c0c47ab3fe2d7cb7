"""What every reader gives the importer: rows of cells under a recognised header, and the errors."""

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from lib.uploads import MAX_ROWS

HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "code": ("code", "指標コード"),
    "fiscal_year": ("fiscal_year", "年度"),
    "value": ("value", "実績値"),
    "note": ("note", "備考"),
    "cause_analysis": ("cause_analysis", "要因分析"),
    "next_step": ("next_step", "今後の方向性"),
    # Optional: files made before these columns existed import as they did.
    "data_period": ("data_period", "データ時点"),
    "quality": ("quality", "速報・確定"),
}
REQUIRED_FIELDS = ("code", "fiscal_year", "value")
# The fields an import may change, in the order changes are shown.
DATA_FIELDS = ("value", "note", "cause_analysis", "next_step", "data_period", "quality")
# The preview and the command list this many row errors, then say how many more there are.
MAX_REPORTED_ERRORS = 100


class ImportFileError(Exception):
    """A problem with the whole file (unreadable, no header, wrong format); str() is the message."""


@dataclass(frozen=True)
class RawRow:
    line: int
    cells: dict[str, str | None]
    columns: dict[str, str]


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    message: str

    def __str__(self):
        return _("%(line)s行目 %(column)s: %(message)s") % {
            "line": self.line,
            "column": self.column,
            "message": self.message,
        }


def _header_key(text) -> str:
    return unicodedata.normalize("NFKC", str(text or "")).strip().lower()


_FIELD_OF_HEADER = {_header_key(alias): name for name, aliases in HEADER_ALIASES.items() for alias in aliases}


def map_header(cells: Sequence[str]) -> dict[str, int]:
    """Field → column index; unknown columns are ignored (templates carry name, unit, baseline…)."""
    mapping: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = _FIELD_OF_HEADER.get(_header_key(cell))
        if name is None:
            continue
        if name in mapping:
            raise ImportFileError(
                _("見出し「%(header)s」が2回あります（%(first)s列目と%(second)s列目）。")
                % {"header": str(cell).strip(), "first": mapping[name] + 1, "second": index + 1}
            )
        mapping[name] = index
    missing = [HEADER_ALIASES[name][1] for name in REQUIRED_FIELDS if name not in mapping]
    if missing:
        raise ImportFileError(
            _("1行目の見出しに「%(missing)s」がありません（必要な見出し: 指標コード, 年度, 実績値）。")
            % {"missing": "」「".join(missing)}
        )
    return mapping


def too_many_rows(where: str = "") -> ImportFileError:
    """The file (or the named sheet) has more rows than an import reads."""
    limit = f"{MAX_ROWS:,}"
    if where:
        return ImportFileError(
            _("シート「%(sheet)s」の行が多すぎます（上限%(limit)s行）。ファイルを分けて取り込んでください。")
            % {"sheet": where, "limit": limit}
        )
    return ImportFileError(
        _("ファイルの行が多すぎます（上限%(limit)s行）。ファイルを分けて取り込んでください。")
        % {"limit": limit}
    )


def nul_in_file(place: str) -> ImportFileError:
    """A NUL character, which no text of the app may hold: usually a file saved as UTF-16 or binary data."""
    return ImportFileError(
        _(
            "ファイルにNUL文字（U+0000）が含まれています（%(place)s）。"
            "UTF-8 または Shift_JIS の CSV か、.xlsx で保存し直してください。"
        )
        % {"place": place}
    )


def blank(text: str | None) -> bool:
    return text is None or not str(text).strip()
