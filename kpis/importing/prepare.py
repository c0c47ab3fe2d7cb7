"""Check every row of an import against the plan and say what would change, writing nothing.

An import is three steps, each in its own module: a reader (kpis.importing.readers) turns a file into
RawRows; prepare_import (here) validates all of them and gives an ImportBatch of changes and errors;
kpis.importing.apply writes a clean batch in one transaction, with history. The import command and the
upload page both go through these three steps.
"""

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext as _

from accounts import access
from kpis.importing.rows import DATA_FIELDS, HEADER_ALIASES, RawRow, RowError, blank
from kpis.models import ActualValue, FiscalYear, Indicator, NextStep
from lib.fiscal import parse_fiscal_year
from lib.numbers import MISSING, NumberFormatError, format_decimal, parse_decimal


@dataclass
class Change:
    line: int
    indicator: Indicator
    fiscal_year: int
    record: ActualValue | None  # None: a new value
    fields: dict[str, tuple[object, object]]  # field → (before, after), only the fields that change


@dataclass
class ImportBatch:
    changes: list[Change] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def prepare_import(
    rows: Iterable[RawRow],
    *,
    strategy,
    user=None,
    department_ids: set[int] | None = None,
) -> ImportBatch:
    """Check every row against the plan and say what would change; writes nothing.

    user=None acts as the planning office (the command on the server). An empty cell leaves the
    stored field as it is. department_ids (staff) limits the rows to those departments' indicators.
    """
    rules = _rules_for(strategy, user, department_ids)
    first_lines: dict[tuple[int, int], int] = {}
    batch = ImportBatch()
    for row in rows:
        if _is_empty(row):
            continue
        check = _check_row(row, rules)
        _check_first_of_its_key(check, first_lines)
        if not check.errors:
            _check_change(check, rules)
        if check.errors:
            batch.errors.extend(check.errors)
        elif check.change is None:
            batch.unchanged += 1
        else:
            batch.changes.append(check.change)
    batch.errors.sort(key=lambda e: e.line)
    return batch


@dataclass(frozen=True)
class _Rules:
    """What every row of one import is checked against: the plan, its years and the user's rights."""

    indicators: dict[str, Indicator]  # by upper-case code, each with its actuals prefetched
    plan_years: list[int]
    locked: set[int]
    closed_to_staff: set[int]
    department_ids: set[int] | None
    may_change_approved: bool
    next_steps: dict[str, str]


def _rules_for(strategy, user, department_ids: set[int] | None) -> _Rules:
    """The rules for one import, made once: every query the check makes is made here."""
    may_change_approved = user is None or access.can_change_approved_figures(user)
    indicators = {
        indicator.code.upper(): indicator
        for indicator in Indicator.objects.filter(strategy=strategy).prefetch_related("actuals")
    }
    states = dict(FiscalYear.objects.filter(strategy=strategy).values_list("year", "state"))
    locked = {year for year, state in states.items() if state == FiscalYear.State.LOCKED}
    # Staff enter figures only while the planning office has the year open; the office itself any time.
    closed_to_staff = (
        set()
        if may_change_approved
        else {year for year in strategy.plan_years if states.get(year) != FiscalYear.State.OPEN}
    )
    return _Rules(
        indicators=indicators,
        plan_years=strategy.plan_years,
        locked=locked,
        closed_to_staff=closed_to_staff,
        department_ids=department_ids,
        may_change_approved=may_change_approved,
        next_steps=_next_steps(),
    )


@dataclass
class _RowCheck:
    """One row's findings: the indicator, year and new field values it names, or what is wrong with it."""

    row: RawRow
    indicator: Indicator | None = None
    fiscal_year: int | None = None
    after: dict[str, object] = field(default_factory=dict)  # field → new value, in DATA_FIELDS order
    errors: list[RowError] = field(default_factory=list)
    change: Change | None = None  # set once the row is clean and changes something

    def error(self, name: str, message: str) -> None:
        column = self.row.columns.get(name, HEADER_ALIASES[name][1])
        self.errors.append(RowError(self.row.line, column, message))


class _Invalid(Exception):
    """One cell that cannot be imported; str() is the message."""


def _is_empty(row: RawRow) -> bool:
    return all(blank(text) for text in row.cells.values())


def _check_row(row: RawRow, rules: _Rules) -> _RowCheck:
    """Read the row's code, year and field values, noting each cell that is wrong."""
    check = _RowCheck(row)
    try:
        check.indicator = _indicator(row.cells.get("code"), rules)
        # Another department's indicator stays on the check: a second row of it is a duplicate too.
        _check_department(check.indicator, rules)
    except _Invalid as problem:
        check.error("code", str(problem))
    try:
        check.fiscal_year = _fiscal_year(row.cells.get("fiscal_year"), rules)
    except _Invalid as problem:
        check.error("fiscal_year", str(problem))
    for name in DATA_FIELDS:
        if blank(row.cells.get(name)):
            continue  # an empty cell leaves the stored field as it is
        try:
            check.after[name] = _field_value(name, row.cells[name], rules)
        except _Invalid as problem:
            check.error(name, str(problem))
    return check


def _indicator(text: str | None, rules: _Rules) -> Indicator:
    """The plan's indicator of that code."""
    if blank(text):
        raise _Invalid(_("指標コードが空です。"))
    indicator = rules.indicators.get(_clean_code(str(text)))
    if indicator is None:
        raise _Invalid(_("この計画にない指標コードです: %(code)s") % {"code": str(text).strip()})
    return indicator


def _check_department(indicator: Indicator, rules: _Rules) -> None:
    """Staff import only their departments' indicators."""
    if rules.department_ids is not None and indicator.department_id not in rules.department_ids:
        raise _Invalid(_("担当課の指標ではないため取り込めません: %(code)s") % {"code": indicator.code})


def _clean_code(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().upper()


def _fiscal_year(text: str | None, rules: _Rules) -> int:
    """The fiscal year the row names, if it is one of the plan's and open to the user."""
    if blank(text):
        raise _Invalid(_("年度が空です。"))
    try:
        year = parse_fiscal_year(text)
    except ValueError as problem:
        raise _Invalid(str(problem)) from problem
    _check_year_open(year, rules)
    return year


def _check_year_open(year: int, rules: _Rules) -> None:
    """Refuse a year outside the plan, a locked one, and (for staff) one not open for entry."""
    if year not in rules.plan_years:
        raise _Invalid(
            _("計画期間（%(first)s〜%(last)s年度）の外の年度です: %(year)s")
            % {"first": rules.plan_years[0], "last": rules.plan_years[-1], "year": year}
        )
    if year in rules.locked:
        raise _Invalid(_("%(year)s年度は確定（ロック）済みのため変更できません。") % {"year": year})
    if year in rules.closed_to_staff:
        raise _Invalid(
            _("%(year)s年度は入力受付中ではありません（政策企画課が受付を開始すると入力できます）。")
            % {"year": year}
        )


def _field_value(name: str, text: str, rules: _Rules) -> object:
    """The value to store for one non-empty data cell."""
    if name == "value":
        return _number(text)
    if name == "next_step":
        return _next_step(text, rules.next_steps)
    return str(text).strip()


def _number(text: str) -> Decimal | None:
    try:
        return parse_decimal(text)
    except NumberFormatError as problem:
        raise _Invalid(str(problem)) from problem


def _next_step(text: str, next_steps: dict[str, str]) -> str:
    step = next_steps.get(unicodedata.normalize("NFKC", str(text)).strip())
    if step is None:
        raise _Invalid(
            _("今後の方向性は %(choices)s のいずれかです: %(text)s")
            % {"choices": _next_step_labels(), "text": str(text).strip()}
        )
    return step


def _next_steps() -> dict[str, str]:
    """Accepted 今後の方向性 texts: the Japanese labels, the current language's, and the stored values.

    Built per call: the labels are translated, so a table made at import time would hold one language.
    """
    steps = {value: value for value in NextStep.values}
    with translation.override("ja"):
        steps |= {unicodedata.normalize("NFKC", str(label)): value for value, label in NextStep.choices}
    steps |= {unicodedata.normalize("NFKC", str(label)): value for value, label in NextStep.choices}
    return steps


def _next_step_labels() -> str:
    return "／".join(str(label) for label in NextStep.labels)


def _check_first_of_its_key(check: _RowCheck, first_lines: dict[tuple[int, int], int]) -> None:
    """Refuse a second row for the same indicator and year; remember the first one's line."""
    if check.indicator is None or check.fiscal_year is None:
        return
    key = (check.indicator.pk, check.fiscal_year)
    if key in first_lines:
        check.error(
            "code",
            _("%(code)s の%(year)s年度は%(first)s行目にもあります（同じ指標・年度は1行だけ）。")
            % {"code": check.indicator.code, "year": check.fiscal_year, "first": first_lines[key]},
        )
    else:
        first_lines[key] = check.row.line


def _check_change(check: _RowCheck, rules: _Rules) -> None:
    """Compare a clean row with the stored value; only the planning office changes an approved one."""
    record = _stored(check.indicator, check.fiscal_year)
    fields = _changed_fields(record, check.after)
    if not fields:
        return
    if record is not None and record.is_approved and not rules.may_change_approved:
        check.error("value", _("承認済みの値は政策企画課だけが変更できます。"))
        return
    check.change = Change(check.row.line, check.indicator, check.fiscal_year, record, fields)


def _stored(indicator: Indicator, fiscal_year: int) -> ActualValue | None:
    """The indicator's stored value for the year, from the prefetched actuals (no query)."""
    return next((a for a in indicator.actuals.all() if a.fiscal_year == fiscal_year), None)


def _changed_fields(record: ActualValue | None, after: dict[str, object]) -> dict[str, tuple[object, object]]:
    """field → (before, after) for the fields whose new value differs from the stored one."""
    fields = {}
    for name, new in after.items():
        old = getattr(record, name) if record is not None else (None if name == "value" else "")
        if old != new:
            fields[name] = (old, new)
    return fields


def describe(name: str, value) -> str:
    """A before/after value of one field as the change list shows it."""
    if value is None or value == "":
        return MISSING
    if isinstance(value, Decimal):
        return format_decimal(value)
    if name == "next_step" and value in NextStep.values:
        return str(NextStep(value).label)
    text = str(value).replace("\n", " ")
    return text if len(text) <= 40 else text[:39] + "…"
