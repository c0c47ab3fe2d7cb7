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


_LABEL_HALVES = re.compile(r"(?P<first>.+?)\s*[（(](?P<second>.+)[）)]")


def fiscal_year_lines(fiscal_year: int) -> tuple[str, str]:
    """The label's two halves, 「2025年度」 and 「令和7年度」 (FY2025, Reiwa 7), for places short of room
    (chart axes, a narrow table's years) that write it on two lines: the same words as everywhere else."""
    label = fiscal_year_label(fiscal_year)
    match = _LABEL_HALVES.fullmatch(label)
    return (match["first"], match["second"]) if match else (label, "")


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


_ERA_FIRST_DAYS = [(datetime.date(2019, 5, 1), "令和"), (datetime.date(1989, 1, 8), "平成")]


def wareki_date(day: datetime.date) -> str:
    """令和8年7月31日 (元年 for an era's first calendar year), the day as towns print it."""
    for first_day, name in _ERA_FIRST_DAYS:
        # An era's first calendar year is 元年, the year it began in (令和元年 = 2019 from 1 May).
        if day >= first_day:
            n = day.year - first_day.year + 1
            return f"{name}{'元' if n == 1 else n}年{day.month}月{day.day}日"
    raise ValueError(f"{day} is before 平成")


def _date_parts(day: datetime.date) -> dict:
    # The English catalogue uses %(month_en)s (and no 和暦) instead of the month's number.
    return {
        "year": day.year,
        "month": day.month,
        "day": day.day,
        "wareki": wareki_date(day),
        "month_en": _MONTHS_EN[day.month - 1],
    }


_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def date_label(day: datetime.date) -> str:
    """2026年7月31日（令和8年7月31日）, or 31 July 2026 in English: a day in both calendars."""
    # xgettext:no-python-format
    return _("%(year)s年%(month)s月%(day)s日（%(wareki)s）") % _date_parts(day)


def short_date_label(day: datetime.date) -> str:
    """2026年7月31日, or 31 July 2026 in English: the day without its 和暦, inside a label already long."""
    # xgettext:no-python-format
    return _("%(year)s年%(month)s月%(day)s日") % _date_parts(day)


def deadline_label(deadline: datetime.date, today: datetime.date) -> str:
    """2026年7月31日（令和8年7月31日）（締切まであと5日）: the deadline as every page and the to-do list show it."""
    return _("%(day)s（%(countdown)s）") % {
        "day": date_label(deadline),
        "countdown": deadline_countdown(deadline, today),
    }


def deadline_countdown(deadline: datetime.date, today: datetime.date) -> str:
    """締切まであと5日 / 本日が締切です / 締切を3日過ぎています."""
    days = (deadline - today).days
    if days > 0:
        return _("締切まであと%(days)s日") % {"days": days}
    if days == 0:
        return _("本日が締切です")
    return _("締切を%(days)s日過ぎています") % {"days": -days}


def month_label(day: datetime.date) -> str:
    """2027年3月, or March 2027 in English: a month (a publication date given to the month)."""
    # xgettext:no-python-format
    return _("%(year)s年%(month)s月") % _date_parts(day)


_MONTH_PATTERNS = (
    re.compile(r"(?P<year>\d{4})\s*[-/.]\s*(?P<month>\d{1,2})"),
    re.compile(r"(?P<year>\d{4})\s*年\s*(?P<month>\d{1,2})\s*月"),
    re.compile(r"(?P<era>令和|平成)\s*(?P<n>\d{1,2}|元)\s*年\s*(?P<month>\d{1,2})\s*月"),
)


def parse_month(text) -> datetime.date | None:
    """2027-03, 2027/3, 2027年3月, 令和9年3月 (full-width digits too) → the month's first day; "" → None.

    ValueError with a message otherwise. Eras count calendar years here: 令和9年 is 2027.
    """
    cleaned = str(text if text is not None else "").translate(_DIGITS).replace("\u3000", " ").strip()
    if not cleaned:
        return None
    for pattern in _MONTH_PATTERNS:
        match = pattern.fullmatch(cleaned)
        if match is None:
            continue
        groups = match.groupdict()
        if groups.get("era"):
            n = 1 if groups["n"] == "元" else int(groups["n"])
            year = _ERA_START[groups["era"]] + n - 1
        else:
            year = int(groups["year"])
        month = int(groups["month"])
        if 1 <= month <= 12 and 1989 <= year <= 2200:
            return datetime.date(year, month, 1)
        break
    raise ValueError(_("年月として読めません（例: 2027年3月、2027-03）: %(text)s") % {"text": text})


def data_period_label(fiscal_year: int) -> str:
    """令和3年度データ, or FY2021 data in English: the period a figure measures, beside the year it is for."""
    # The English catalogue uses %(year)s instead of %(wareki)s.
    # xgettext:no-python-format
    return _("%(wareki)sデータ") % {"wareki": wareki(fiscal_year), "year": fiscal_year}
