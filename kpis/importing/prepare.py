"""Check every row of an import against the plan and say what would change, writing nothing.

An import is three steps, each in its own module: a reader (kpis.importing.readers) turns a file into
RawRows; prepare_import (here) validates all of them and gives an ImportBatch of changes and errors;
kpis.importing.apply writes a clean batch in one transaction, with history. The import command and the
upload page both go through these three steps.

A row obeys the rules of the entry screen (kpis.cycle.views.entry): its cells are read as the entry form
reads them (numbers by lib.numbers, texts cleaned of control characters, the same length limits), and it
may change only what the same user could change there at that moment (refusal, below; apply_import asks
it again under row locks).
"""

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext as _

from accounts import access
from kpis.cycle import services
from kpis.cycle.forms import EntryRowForm
from kpis.importing.rows import DATA_FIELDS, HEADER_ALIASES, MAX_REPORTED_ERRORS, RawRow, RowError, blank
from kpis.models import ActualValue, FiscalYear, Indicator, NextStep, Submission
from lib.fiscal import fiscal_year_label, parse_fiscal_year
from lib.numbers import MISSING, NumberFormatError, format_decimal, parse_decimal
from lib.text import CONTROL_CHARACTERS, clean_text

# The entry form's limits, so that a text too long to type there cannot be imported either.
TEXT_LIMITS = {name: EntryRowForm.base_fields[name].max_length for name in ("note", "cause_analysis")}
MAX_MESSAGE_TEXT = 200  # characters of a cell quoted in a message
MAX_YEAR_TEXT = 30  # 「2021年度（令和3年度）」 and room to spare
# What a new figure holds before the file's cells are applied: the model's defaults.
NEW_RECORD = {name: ActualValue._meta.get_field(name).get_default() for name in DATA_FIELDS}
QUALITY_TEXTS = {
    "p": ActualValue.Quality.PROVISIONAL,
    "r": ActualValue.Quality.REVISED,
    **{value: value for value in ActualValue.Quality.values},
    # The labels in Japanese whatever the page's language (the template's list offers these).
    "速報": ActualValue.Quality.PROVISIONAL,
    "確定": ActualValue.Quality.FINAL,
    "改定": ActualValue.Quality.REVISED,
}


@dataclass
class Change:
    line: int
    indicator: Indicator
    fiscal_year: int
    record: ActualValue | None  # None: a new value
    fields: dict[str, tuple[object, object]]  # field → (before, after), only the fields that change
    columns: dict[str, str] = field(default_factory=dict)  # field → the column as the file names it


@dataclass
class ImportBatch:
    changes: list[Change] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def shown_errors(self) -> list[RowError]:
        """The first errors, as many as a page or a terminal lists (MAX_REPORTED_ERRORS)."""
        return self.errors[:MAX_REPORTED_ERRORS]

    @property
    def more_errors(self) -> int:
        """How many errors are not among shown_errors."""
        return max(len(self.errors) - MAX_REPORTED_ERRORS, 0)


def prepare_import(
    rows: Iterable[RawRow],
    *,
    strategy,
    user=None,
    department_ids: set[int] | None = None,
) -> ImportBatch:
    """Check every row against the plan and say what would change; writes nothing.

    user=None is the import command run on the server without --user: the planning office's rights, in
    any plan year that is not locked. An empty cell leaves the stored field as it is. department_ids
    (staff) limits the rows to those departments' indicators.
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


def refusal(user, fiscal_year: FiscalYear, submission: Submission | None, record: ActualValue | None):
    """Why this user may not change this row now, as (field, message); None when the entry screen would
    take it. submission None: an indicator no department owns; record None: no value stored yet."""
    if not access.can_import_figures(user, fiscal_year, submission):
        return _closed_to(user, fiscal_year, submission)
    if not access.can_import_over(user, record):
        return "value", _("承認済みの値は政策企画課だけが変更できます。")
    return None


def _closed_to(user, fiscal_year: FiscalYear, submission: Submission | None) -> tuple[str, str]:
    """The reason can_import_figures gave no, in the words of the entry screen."""
    year, state = fiscal_year.year, fiscal_year.state
    if state == FiscalYear.State.LOCKED:
        return "fiscal_year", _("%(year)s年度は確定（ロック）済みのため変更できません。") % {"year": year}
    if state == FiscalYear.State.NOT_OPEN and user is not None and access.is_planning(user):
        return "fiscal_year", _(
            "%(year)s年度は入力受付中ではありません（年度の受付・締切・確定の画面で受付を開始すると入力できます）。"
        ) % {"year": year}
    if state == FiscalYear.State.NOT_OPEN:
        return "fiscal_year", _(
            "%(year)s年度は入力受付中ではありません（政策企画課が受付を開始すると入力できます）。"
        ) % {"year": year}
    if state == FiscalYear.State.CLOSED:
        return "fiscal_year", _(
            "%(year)s年度は入力受付中ではありません（締切後の修正は政策企画課に依頼してください）。"
        ) % {"year": year}
    if submission is not None and submission.state == Submission.State.SUBMITTED:
        return "code", _(
            "%(department)sの%(year)s年度の実績は提出済みのため変更できません（差戻しを受けると入力できます）。"
        ) % {"department": submission.department.name, "year": year}
    if submission is not None and submission.state == Submission.State.APPROVED:
        return "code", _("%(department)sの%(year)s年度の実績は承認済みのため変更できません。") % {
            "department": submission.department.name,
            "year": year,
        }
    return "code", _("この指標の%(year)s年度の実績は、現在変更できません。") % {"year": year}


@dataclass(frozen=True)
class _Rules:
    """What every row of one import is checked against: the plan, its years and the user's rights."""

    user: object
    indicators: dict[str, Indicator]  # by upper-case code, with department and actuals
    plan_years: list[int]
    fiscal_years: dict[int, FiscalYear]  # every plan year; an unsaved 未開始 one for a year without a row
    submissions: dict[tuple[int, int], Submission]  # the stored ones, by (department, year)
    department_ids: set[int] | None
    next_steps: dict[str, str]
    decisions: dict = field(default_factory=dict)  # refusal's answers, by what they depend on

    def refusal(self, indicator: Indicator, year: int, record: ActualValue | None) -> tuple[str, str] | None:
        """refusal() for this row, asked once per department, year and kind of stored value."""
        key = (indicator.department_id, year, None if record is None else record.is_approved)
        if key not in self.decisions:
            self.decisions[key] = refusal(
                self.user, self.fiscal_years[year], self.submission_of(indicator, year), record
            )
        return self.decisions[key]

    def submission_of(self, indicator: Indicator, year: int) -> Submission | None:
        """The department's stored submission for the year, an unsaved 未入力 one, None without a department."""
        if indicator.department_id is None:
            return None
        found = self.submissions.get((indicator.department_id, year))
        if found is None:
            found = Submission(
                department=indicator.department, strategy_id=indicator.strategy_id, fiscal_year=year
            )
        return found


def _rules_for(strategy, user, department_ids: set[int] | None) -> _Rules:
    """The rules for one import, made once: every query the check makes is made here."""
    indicators = {
        indicator.code.upper(): indicator
        for indicator in Indicator.objects.filter(strategy=strategy)
        .select_related("department")
        .prefetch_related("actuals")
    }
    stored = {f.year: f for f in FiscalYear.objects.filter(strategy=strategy)}
    fiscal_years = {
        year: stored.get(year) or FiscalYear(strategy=strategy, year=year) for year in strategy.plan_years
    }
    submissions = {
        (s.department_id, s.fiscal_year): s
        for s in Submission.objects.filter(strategy=strategy).select_related("department")
    }
    return _Rules(
        user=user,
        indicators=indicators,
        plan_years=strategy.plan_years,
        fiscal_years=fiscal_years,
        submissions=submissions,
        department_ids=department_ids,
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
        self.errors.append(row_error(self.row.line, self.row.columns, name, message))


def row_error(line: int, columns: dict[str, str], name: str, message: str) -> RowError:
    """The error of one cell, its column named as the file names it, the message readable on a page."""
    return RowError(line, columns.get(name, HEADER_ALIASES[name][1]), shown(message))


def shown(text: str) -> str:
    """A text as a message may quote it: control characters as U+XXXX, at most MAX_MESSAGE_TEXT long."""
    text = CONTROL_CHARACTERS.sub(lambda match: f"[U+{ord(match.group()):04X}]", text)
    return text if len(text) <= MAX_MESSAGE_TEXT else text[: MAX_MESSAGE_TEXT - 1] + "…"


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
            value = _field_value(name, row.cells[name], rules, check)
        except _Invalid as problem:
            check.error(name, str(problem))
            continue
        if value is not None:  # None: a text of nothing but control characters, as empty as a blank cell
            check.after[name] = value
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
    """The fiscal year the row names, if it is one of the plan's (whether it is open: refusal)."""
    if blank(text):
        raise _Invalid(_("年度が空です。"))
    try:
        year = parse_fiscal_year(text)
    except ValueError as problem:
        raise _Invalid(str(problem)) from problem
    if year not in rules.plan_years:
        raise _Invalid(
            _("計画期間（%(first)s〜%(last)s年度）の外の年度です: %(year)s")
            % {"first": rules.plan_years[0], "last": rules.plan_years[-1], "year": year}
        )
    return year


def _field_value(name: str, text: str, rules: _Rules, check: _RowCheck) -> object:
    """The value to store for one non-empty data cell; None for a text that is empty once cleaned.

    A value may end with the indicator's unit ("120人"), as on the entry screen.
    """
    indicator = check.indicator
    if name == "value":
        return _number(text, indicator.unit if indicator is not None else None)
    if name == "next_step":
        return _next_step(text, rules.next_steps)
    if name == "data_period":
        return _data_period(text, check.fiscal_year)
    if name == "quality":
        return _quality(text)
    return _text(name, text)


def _data_period(text: str, fiscal_year: int | None) -> int:
    """データ時点 as the entry form reads it (2021, 令和3年度): never after the row's year (services)."""
    cleaned = clean_text(str(text)).strip()
    if len(cleaned) > MAX_YEAR_TEXT:
        raise _Invalid(_("年度として長すぎます（%(length)s文字）。") % {"length": len(cleaned)})
    try:
        period = parse_fiscal_year(cleaned)
    except ValueError as problem:
        raise _Invalid(str(problem)) from problem
    if not 1989 <= period <= 2200:
        raise _Invalid(_("1989年度（平成元年度）から2200年度までの年度を入力してください。"))
    error = services.data_period_error(fiscal_year, period) if fiscal_year is not None else None
    if error:
        raise _Invalid(error)
    return period


def _quality(text: str) -> str:
    """速報・確定 by its label (速報, 確定, 改定), the symbol tables print (p, r) or the stored value."""
    key = unicodedata.normalize("NFKC", str(text)).strip().lower()
    quality = QUALITY_TEXTS.get(key)
    if quality is None:
        raise _Invalid(
            _("速報・確定は 速報（p）／確定／改定（r） のいずれかです: %(text)s")
            % {"text": shown(str(text).strip())}
        )
    return quality


def _text(name: str, text: str) -> str | None:
    """A text as the entry form keeps it: control characters cleaned (lib.text), stripped, within its limit."""
    cleaned = clean_text(str(text)).strip()
    limit = TEXT_LIMITS[name]
    if len(cleaned) > limit:
        raise _Invalid(
            _("%(limit)s文字までです（%(length)s文字あります）。")
            % {"limit": f"{limit:,}", "length": f"{len(cleaned):,}"}
        )
    return cleaned or None


def _number(text: str, unit: str | None) -> Decimal | None:
    try:
        return parse_decimal(text, unit=unit)
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
    """Compare a clean row with the stored value; a row that changes something must be one the user may
    change now (refusal). A row that changes nothing is only counted."""
    indicator, year = check.indicator, check.fiscal_year
    record = _stored(indicator, year)
    fields = _changed_fields(record, check.after)
    if not fields:
        return
    refused = rules.refusal(indicator, year, record)
    if refused is not None:
        check.error(*refused)
        return
    check.change = Change(check.row.line, indicator, year, record, fields, check.row.columns)


def _stored(indicator: Indicator, fiscal_year: int) -> ActualValue | None:
    """The indicator's stored value for the year, from the prefetched actuals (no query)."""
    return next((a for a in indicator.actuals.all() if a.fiscal_year == fiscal_year), None)


def _changed_fields(record: ActualValue | None, after: dict[str, object]) -> dict[str, tuple[object, object]]:
    """field → (before, after) for the fields whose new value differs from the stored one (a new value's
    fields start from the model's defaults)."""
    fields = {}
    for name, new in after.items():
        old = getattr(record, name) if record is not None else NEW_RECORD[name]
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
    if name == "quality" and value in ActualValue.Quality.values:
        return str(ActualValue.Quality(value).label)
    if name == "data_period" and isinstance(value, int):
        return fiscal_year_label(value)
    text = str(value).replace("\n", " ")
    return text if len(text) <= 40 else text[:39] + "…"
