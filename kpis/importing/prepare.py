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
from kpis.importing.rows import HEADER_ALIASES, RawRow, RowError, blank
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


def _clean_code(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().upper()


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
    may_change_approved = user is None or access.is_planning(user)
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
    plan_years = strategy.plan_years
    seen: dict[tuple[int, int], int] = {}
    plan = ImportBatch()
    next_steps = _next_steps()

    for row in rows:
        if all(blank(text) for text in row.cells.values()):
            continue
        errors: list[RowError] = []

        def error(name: str, message: str, row=row, errors=errors) -> None:
            errors.append(RowError(row.line, row.columns.get(name, HEADER_ALIASES[name][1]), message))

        indicator = None
        code_text = row.cells.get("code")
        if blank(code_text):
            error("code", _("指標コードが空です。"))
        else:
            indicator = indicators.get(_clean_code(str(code_text)))
            if indicator is None:
                error("code", _("この計画にない指標コードです: %(code)s") % {"code": str(code_text).strip()})
            elif department_ids is not None and indicator.department_id not in department_ids:
                error(
                    "code", _("担当課の指標ではないため取り込めません: %(code)s") % {"code": indicator.code}
                )

        fiscal_year = None
        year_text = row.cells.get("fiscal_year")
        if blank(year_text):
            error("fiscal_year", _("年度が空です。"))
        else:
            try:
                fiscal_year = parse_fiscal_year(year_text)
            except ValueError as problem:
                error("fiscal_year", str(problem))
            else:
                if fiscal_year not in plan_years:
                    error(
                        "fiscal_year",
                        _("計画期間（%(first)s〜%(last)s年度）の外の年度です: %(year)s")
                        % {"first": plan_years[0], "last": plan_years[-1], "year": fiscal_year},
                    )
                    fiscal_year = None
                elif fiscal_year in locked:
                    error(
                        "fiscal_year",
                        _("%(year)s年度は確定（ロック）済みのため変更できません。") % {"year": fiscal_year},
                    )
                    fiscal_year = None
                elif fiscal_year in closed_to_staff:
                    error(
                        "fiscal_year",
                        _(
                            "%(year)s年度は入力受付中ではありません（政策企画課が受付を開始すると入力できます）。"
                        )
                        % {"year": fiscal_year},
                    )
                    fiscal_year = None

        after: dict[str, object] = {}
        if not blank(row.cells.get("value")):
            try:
                after["value"] = parse_decimal(row.cells["value"])
            except NumberFormatError as problem:
                error("value", str(problem))
        for name in ("note", "cause_analysis"):
            if not blank(row.cells.get(name)):
                after[name] = str(row.cells[name]).strip()
        if not blank(row.cells.get("next_step")):
            step = next_steps.get(unicodedata.normalize("NFKC", str(row.cells["next_step"])).strip())
            if step is None:
                error(
                    "next_step",
                    _("今後の方向性は %(choices)s のいずれかです: %(text)s")
                    % {"choices": _next_step_labels(), "text": str(row.cells["next_step"]).strip()},
                )
            else:
                after["next_step"] = step

        if indicator is not None and fiscal_year is not None:
            key = (indicator.pk, fiscal_year)
            if key in seen:
                error(
                    "code",
                    _("%(code)s の%(year)s年度は%(first)s行目にもあります（同じ指標・年度は1行だけ）。")
                    % {"code": indicator.code, "year": fiscal_year, "first": seen[key]},
                )
            else:
                seen[key] = row.line

        if errors:
            plan.errors.extend(errors)
            continue

        record = next((a for a in indicator.actuals.all() if a.fiscal_year == fiscal_year), None)
        fields = {}
        for name, new in after.items():
            old = getattr(record, name) if record is not None else (None if name == "value" else "")
            if old != new:
                fields[name] = (old, new)
        if not fields:
            plan.unchanged += 1
            continue
        if record is not None and record.is_approved and not may_change_approved:
            error("value", _("承認済みの値は政策企画課だけが変更できます。"))
            plan.errors.extend(errors)
            continue
        plan.changes.append(Change(row.line, indicator, fiscal_year, record, fields))

    plan.errors.sort(key=lambda e: e.line)
    return plan


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
