"""Fiscal years (年度, April–March) and their Japanese era names."""

import datetime

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
