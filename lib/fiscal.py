"""Fiscal years (年度, April–March) and their Japanese era names."""

import datetime
import re

from django.utils.translation import gettext as _

# (first fiscal year of the era, era name): fiscal years take the era in force on 1 April.
ERAS = [(2019, "令和", "Reiwa"), (1989, "平成", "Heisei")]


def era_year(fiscal_year: int) -> tuple[str, str, int]:
    for start, name, romaji in ERAS:
        if fiscal_year >= start:
            return name, romaji, fiscal_year - start + 1
    raise ValueError(f"fiscal year {fiscal_year} is before 平成")


def wareki(fiscal_year: int) -> str:
    """令和7年度 (元年 for the first year of an era)."""
    name, _romaji, n = era_year(fiscal_year)
    return f"{name}{'元' if n == 1 else n}年度"


def fiscal_year_label(fiscal_year: int) -> str:
    """2025年度（令和7年度）, or FY2025 (Reiwa 7) in English."""
    _name, romaji, n = era_year(fiscal_year)
    # The English catalogue uses %(era_en)s instead of %(wareki)s.
    # xgettext:no-python-format
    return _("%(year)s年度（%(wareki)s）") % {
        "year": fiscal_year,
        "wareki": wareki(fiscal_year),
        "era_en": f"{romaji} {n}",
    }


def wareki_with_seireki(fiscal_year: int) -> str:
    """令和7年度（2025）, the workbook's year header."""
    return f"{wareki(fiscal_year)}（{fiscal_year}）"


def fiscal_year_of(day: datetime.date) -> int:
    return day.year if day.month >= 4 else day.year - 1


_ERA_START = {name: start for start, name, _romaji in ERAS}
_YEAR_PATTERNS = (
    re.compile(r"(?P<year>\d{4})(?:年度?)?"),
    re.compile(r"(?:FY|ＦＹ)\s*(?P<year>\d{4})", re.IGNORECASE),
    re.compile(r"(?P<era>令和|平成)\s*(?P<n>\d{1,2}|元)\s*(?:年度?)?"),
    # 2025年度（令和7年度）, as the app shows years: both halves must agree.
    re.compile(r"(?P<year>\d{4})年度?\s*[（(]\s*(?P<era>令和|平成)\s*(?P<n>\d{1,2}|元)\s*年度?\s*[）)]"),
)
_DIGITS = str.maketrans({chr(ord("０") + digit): str(digit) for digit in range(10)})


def parse_fiscal_year(text) -> int:
    """2025, ２０２５, 2025年度, 令和7年度, 2025年度（令和7年度） → 2025; ValueError with a message otherwise."""
    cleaned = str(text if text is not None else "").translate(_DIGITS).replace("\u3000", " ").strip()
    for pattern in _YEAR_PATTERNS:
        match = pattern.fullmatch(cleaned)
        if match is None:
            continue
        groups = match.groupdict()
        from_era = None
        if groups.get("era"):
            n = 1 if groups["n"] == "元" else int(groups["n"])
            if n < 1:
                break
            from_era = _ERA_START[groups["era"]] + n - 1
        if groups.get("year") and from_era is not None and int(groups["year"]) != from_era:
            raise ValueError(_("西暦と和暦が一致しません: %(text)s") % {"text": text})
        return int(groups["year"]) if groups.get("year") else from_era
    raise ValueError(_("年度として読めません（例: 2025、令和7年度）: %(text)s") % {"text": text})
