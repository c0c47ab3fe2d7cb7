"""The writes of the yearly cycle: entering figures, submitting, reviewing, fiscal-year windows, metadata.

Each function is atomic and leaves a simple-history row per change with the user and a reason, so the
indicator page can show who changed what, when and why. Access checks belong to the views (accounts.access);
state rules (what may follow what) live here, and are always checked against the states as stored when the
write runs, read under lock (lock_cycle), never against what a page showed.
"""

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, pgettext_lazy
from simple_history.utils import bulk_update_with_history

from goals.history import history_reason, save_with_history
from goals.models import Department, Strategy
from kpis import versioning
from kpis.cycle import checks, notify, progress
from kpis.models import ActualValue, ExpectedValue, FiscalYear, Indicator, ReturnNote, Submission
from kpis.rules import stored as stored_results
from lib import reasons
from lib.numbers import format_decimal
from lib.text import clean_text

Status = ActualValue.Status
Quality = ActualValue.Quality


# --- States and their locks --------------------------------------------------------------------------


class StateChanged(Exception):
    """The year or the submission is not, or no longer, in a state that allows this; str() says why.

    The views answer 409: the request was sound, but the state it was made against has moved on.
    """


def lock_cycle(
    *, strategy: Strategy, department: Department, fiscal_year: int
) -> tuple[FiscalYear, Submission]:
    """The year's window and the department's submission as they are now, kept so until the transaction ends.

    Every write of figures or states calls this first, inside its transaction, and decides from what it returns,
    never from what a page showed: on PostgreSQL both rows stay locked (SELECT … FOR UPDATE), on SQLite
    the IMMEDIATE transaction already holds the database's write lock. One order for every writer (year,
    then submission, then figures) means two transactions never wait for each other in a circle. Rows
    not stored yet come back unsaved (未開始, 未入力).
    """
    year = _locked_year(strategy, fiscal_year)
    # order_by("pk"): the default ordering joins Department, which FOR UPDATE would lock too.
    submission = (
        Submission.objects.select_for_update()
        .filter(department=department, strategy=strategy, fiscal_year=fiscal_year)
        .order_by("pk")
        .first()
    ) or Submission(department=department, strategy=strategy, fiscal_year=fiscal_year)
    submission.strategy, submission.department = strategy, department
    return year, submission


def _locked_year(strategy: Strategy, year: int) -> FiscalYear:
    # order_by("pk"): the default ordering joins Strategy, which FOR UPDATE would lock too.
    found = FiscalYear.objects.select_for_update().filter(strategy=strategy, year=year).order_by("pk").first()
    found = found or FiscalYear(strategy=strategy, year=year)
    found.strategy = strategy
    return found


def check_seen(current, seen_state: str | None, what: str) -> None:
    """The page showed another state than the one stored now: someone acted first."""
    if seen_state is not None and seen_state != current.state:
        raise StateChanged(
            _("この画面を開いた後に、他の人が%(what)sを「%(state)s」にしました。画面を確認してください。")
            % {"what": what, "state": current.get_state_display()}
        )


# --- Yearly figures ----------------------------------------------------------------------------------

KEEP, OVERWRITE = "keep", "overwrite"
# A RowInput's データ時点 or 速報・確定 left as stored: callers that have no input for them (a row of an
# old import file, a command) must not turn a provisional figure final by saving its value.
AS_STORED = "as_stored"


@dataclass(frozen=True)
class RowInput:
    """What was posted for one row of the entry screen, and what the page showed of it.

    `version` and `shown` (content_mark of the row as drawn) describe the page; `choice` and `contested`
    answer a conflict the page showed: KEEP or OVERWRITE, for the stored row with that stored_mark.
    """

    indicator: Indicator
    version: int  # 0 when no figure was stored when the page was shown
    value: Decimal | None
    note: str = ""
    cause_analysis: str = ""
    next_step: str = ""
    shown: str | None = None  # None: not known (a caller without a page); every difference is a change
    choice: str = ""
    contested: str = ""
    data_period: int | None | str = AS_STORED  # None: the indicator's usual データ時点
    quality: str = AS_STORED

    def content(self) -> tuple:
        return (self.value, self.note, self.cause_analysis, self.next_step, self.data_period, self.quality)

    def over(self, stored: ActualValue | None) -> "RowInput":
        """This row with the fields left AS_STORED filled in from the stored row (or a new row's defaults)."""
        data_period, quality = (
            (None, Quality.FINAL) if stored is None else (stored.data_period, stored.quality)
        )
        return replace(
            self,
            data_period=data_period if self.data_period == AS_STORED else self.data_period,
            quality=quality if self.quality == AS_STORED else self.quality,
        )


@dataclass(frozen=True)
class Conflict:
    """Someone saved the row after the page was shown, and this person changed it too: nothing written.

    `unanswered`: the page already showed this very conflict and no choice was made.
    """

    typed: RowInput
    stored: ActualValue | None  # None: the stored row has been deleted meanwhile
    unanswered: bool = False

    @property
    def mark(self) -> str:
        return stored_mark(self.stored)


@dataclass
class SaveResult:
    saved: list[ActualValue]
    conflicts: list[Conflict]
    submission: Submission


def _content(actual: ActualValue | None) -> tuple:
    if actual is None:
        return (None, "", "", "", None, Quality.FINAL)
    return (
        actual.value,
        actual.note,
        actual.cause_analysis,
        actual.next_step,
        actual.data_period,
        actual.quality,
    )


def _key(content: tuple) -> tuple:
    """What two contents are compared by: numbers by value (1.50 = 1.5), texts as the forms clean them."""
    value, note, cause_analysis, next_step, data_period, quality = content
    return (
        "" if value is None else format_decimal(value),
        clean_text(note).strip(),
        clean_text(cause_analysis).strip(),
        next_step or "",
        "" if data_period is None else str(data_period),
        quality or Quality.FINAL,
    )


MAX_DATA_LAG = 10


def data_period_error(fiscal_year: int, data_period: int | None) -> str | None:
    """Why a figure reported for `fiscal_year` cannot measure `data_period`; None when it can.

    A figure measures its own year or an earlier one (a statistic published late), at most MAX_DATA_LAG
    years earlier: never a later one.
    """
    if data_period is None:
        return None
    if data_period > fiscal_year:
        return _("データ時点（%(period)s年度）は、報告する年度（%(year)s年度）より後にはできません。") % {
            "period": data_period,
            "year": fiscal_year,
        }
    if fiscal_year - data_period > MAX_DATA_LAG:
        return _("データ時点（%(period)s年度）が報告する年度（%(year)s年度）より%(lag)s年以上前です。") % {
            "period": data_period,
            "year": fiscal_year,
            "lag": MAX_DATA_LAG + 1,
        }
    return None


def _same(a: tuple, b: tuple) -> bool:
    return _key(a) == _key(b)


def content_mark(content: tuple) -> str:
    """A short fingerprint of a row's content; the entry page carries it to say what it showed."""
    text = json.dumps(_key(content), ensure_ascii=False)
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def shown_mark(actual: ActualValue | None) -> str:
    """content_mark of a stored row (of an empty one when none is stored)."""
    return content_mark(_content(actual))


def stored_mark(actual: ActualValue | None) -> str:
    """The stored row's version and content: what a person's answer to a conflict is about."""
    return f"{_version(actual)}-{shown_mark(actual)}"


def _version(actual: ActualValue | None) -> int:
    return actual.version if actual is not None else 0


def _decide(row: RowInput, stored: ActualValue | None) -> int | Conflict | None:
    """For one posted row: None (nothing to write), the version to write over, or a Conflict.

    Only a row the person changed is ever written or in conflict: a row posted as the page showed it
    takes what is stored now, whoever saved it. A changed row whose stored figure moved on since the
    page was drawn (a new version, or a content the page did not show) is written only when the person,
    shown both, chose OVERWRITE for exactly that stored row; an empty input thus never erases a stored
    value by accident.
    """
    if _same(_content(stored), row.content()):
        return None
    if row.shown is not None and content_mark(row.content()) == row.shown:
        return None
    if row.choice == KEEP:
        return None
    moved = _version(stored) != row.version or (row.shown is not None and shown_mark(stored) != row.shown)
    if not moved:
        return row.version
    answered = row.contested == stored_mark(stored)
    if row.choice == OVERWRITE and answered:
        return _version(stored)
    return Conflict(row, stored, unanswered=answered)


@dataclass(frozen=True)
class _Writer:
    """Writes posted rows as one person's save: `UPDATE … WHERE version = n`, one history row each."""

    user: object
    fiscal_year: int
    keep_status: bool
    reason: str
    now: datetime

    def write(self, row: RowInput, stored: ActualValue | None, version: int) -> ActualValue | Conflict:
        if stored is None:
            return self._create(row)
        claimed = ActualValue.objects.filter(pk=stored.pk, version=version).update(version=F("version") + 1)
        if not claimed:
            return Conflict(row, _stored_row(row.indicator, self.fiscal_year))
        stored.value, stored.note = row.value, row.note
        stored.cause_analysis, stored.next_step = row.cause_analysis, row.next_step
        stored.data_period, stored.quality = row.data_period, row.quality
        stored.version = version + 1
        stored.entered_by, stored.entered_at = self.user, self.now
        if not self.keep_status:
            stored.status = Status.DRAFT
        save_with_history(stored, user=self.user, reason=self.reason)
        return stored

    def _create(self, row: RowInput) -> ActualValue | Conflict:
        actual = ActualValue(
            indicator=row.indicator,
            fiscal_year=self.fiscal_year,
            value=row.value,
            note=row.note,
            cause_analysis=row.cause_analysis,
            next_step=row.next_step,
            data_period=row.data_period,
            quality=row.quality,
            status=Status.DRAFT,
            entered_by=self.user,
            entered_at=self.now,
            version=1,
        )
        try:
            with transaction.atomic():
                save_with_history(actual, user=self.user, reason=self.reason)
        except IntegrityError:
            # Created by a writer that does not take the cycle's locks, between our read and our write.
            return Conflict(row, _stored_row(row.indicator, self.fiscal_year))
        return actual


def _stored_row(indicator: Indicator, fiscal_year: int) -> ActualValue | None:
    return (
        ActualValue.objects.select_related("entered_by")
        .filter(indicator=indicator, fiscal_year=fiscal_year)
        .first()
    )


def submission_for(*, department: Department, strategy: Strategy, fiscal_year: int) -> Submission:
    """The stored submission, or an unsaved 未入力 one."""
    found = Submission.objects.filter(
        department=department, strategy=strategy, fiscal_year=fiscal_year
    ).first()
    return found or Submission(department=department, strategy=strategy, fiscal_year=fiscal_year)


def takes_figures(fiscal_year: FiscalYear) -> bool:
    """Figures are written only while the year is open or closed (corrections): never before, never locked."""
    return fiscal_year.state in (FiscalYear.State.OPEN, FiscalYear.State.CLOSED)


@transaction.atomic
def actual_save(
    *,
    user,
    strategy: Strategy,
    department: Department,
    fiscal_year: int,
    rows: Sequence[RowInput],
    keep_status: bool = False,
    reason: str = "",
    may_edit: Callable[[FiscalYear, Submission], bool] | None = None,
) -> SaveResult:
    """Save the rows the person changed as drafts; a row someone else saved meanwhile is reported, not written.

    The year and the submission are read locked and checked first (`may_edit`: the caller's access rule,
    asked again of the states as they are now); StateChanged when they no longer allow the save. Each
    write is `UPDATE … WHERE id = … AND version = n`, so of two saves from the same version only the first
    changes the row, on SQLite and PostgreSQL alike. keep_status (the planning office correcting a figure
    under review) leaves the row's status as it is; otherwise a changed row is a draft again. Nothing
    changed: nothing is written, not even the submission's 入力開始.
    """
    year, submission = lock_cycle(strategy=strategy, department=department, fiscal_year=fiscal_year)
    if not takes_figures(year) or (may_edit is not None and not may_edit(year, submission)):
        raise StateChanged(
            _(
                "年度または提出の状態が変わったため、保存していません（年度：%(year)s、提出：%(submission)s）。"
            )
            % {"year": year.get_state_display(), "submission": submission.get_state_display()}
        )
    writer = _Writer(
        user, fiscal_year, keep_status, reason or gettext_noop("実績値の入力（下書き保存）"), timezone.now()
    )
    stored_rows = {
        a.indicator_id: a
        for a in ActualValue.objects.select_related("entered_by").filter(
            indicator__in=[row.indicator for row in rows], fiscal_year=fiscal_year
        )
    }
    for typed in rows:
        error = data_period_error(fiscal_year, None if typed.data_period == AS_STORED else typed.data_period)
        if error:
            raise ValidationError(f"{typed.indicator.code}: {error}", code="data_period")
    saved, conflicts = [], []
    for typed in rows:
        stored = stored_rows.get(typed.indicator.pk)
        row = typed.over(stored)
        decision = _decide(row, stored)
        if isinstance(decision, int):
            decision = writer.write(row, stored, decision)
        if isinstance(decision, Conflict):
            conflicts.append(decision)
        elif decision is not None:
            saved.append(decision)
    if saved:
        submission_start(user=user, submission=submission)
    return SaveResult(saved, conflicts, submission)


def submission_start(*, user, submission: Submission) -> Submission:
    """未入力 → 入力中: the one step every route that writes a department's figures takes after writing.

    The entry screen (actual_save), an import (kpis.importing.apply: the web screens and import_actuals)
    and the admin call it inside their transaction, on the submission as lock_cycle read it, so the
    review's counts and states and the entry page agree whichever route wrote. Any other state is left
    as it is: a returned submission stays 差戻し, a submitted one (the planning office correcting) stays
    提出済. A submission stored meanwhile by a writer without the lock is an IntegrityError for the caller.
    """
    if submission.state != Submission.State.NOT_STARTED:
        return submission
    submission.state = Submission.State.IN_PROGRESS
    with transaction.atomic():
        save_with_history(submission, user=user, reason=gettext_noop("入力開始"))
    return submission


def _department_actuals(submission: Submission) -> list[ActualValue]:
    return list(
        ActualValue.objects.filter(
            indicator__strategy=submission.strategy,
            indicator__department=submission.department,
            fiscal_year=submission.fiscal_year,
        )
    )


def _set_status(actuals: Iterable[ActualValue], status: str, *, user, reason: str, keep_approved=False):
    # Status only: the version guards what staff typed, so a review does not make open pages stale.
    changed = [a for a in actuals if a.status != status and not (keep_approved and a.is_approved)]
    for actual in changed:
        actual.status = status
        actual._history_user = user
        actual._change_reason = history_reason(reason)
    if changed:
        bulk_update_with_history(
            changed, ActualValue, ["status"], default_user=user, default_change_reason=history_reason(reason)
        )
        versioning.changed()  # a bulk update sends no model signals: the version and the results are told
        stored_results.refresh({a.indicator_id for a in changed})


def missing_indicators(submission: Submission) -> list[Indicator]:
    """The department's indicators without an actual value for the year, in plan order; a figure whose
    source has not published it yet (公表待ち, kpis.rules.publication) is not missing."""
    return missing_and_awaiting(submission)[0]


def awaiting_indicators(submission: Submission) -> list[Indicator]:
    """The department's indicators whose figure for the year is 公表待ち: not entered, the source not yet
    published (kpis.rules.publication); a submission goes without them."""
    return missing_and_awaiting(submission)[1]


def missing_and_awaiting(submission: Submission) -> tuple[list[Indicator], list[Indicator]]:
    """missing_indicators and awaiting_indicators, from one read of the indicators not entered."""
    return progress.missing_and_awaiting(submission.strategy, submission.department, submission.fiscal_year)


def _locked(submission: Submission) -> tuple[FiscalYear, Submission]:
    return lock_cycle(
        strategy=submission.strategy, department=submission.department, fiscal_year=submission.fiscal_year
    )


@transaction.atomic
def submission_submit(*, user, submission: Submission, seen_state: str | None = None) -> Submission:
    """提出 of the submission as stored now: every indicator needs a value; its figures go to review.

    StateChanged when the year is not open or the submission is already with the planning office (or no
    longer in `seen_state`, the state the page showed); ValidationError naming the missing indicators, or
    the figures with a plausibility warning (kpis.cycle.checks) that carry no 要因分析 or 備考.
    """
    year, current = _locked(submission)
    if year.state != FiscalYear.State.OPEN:
        raise StateChanged(
            _("年度が「%(state)s」のため提出できません。") % {"state": year.get_state_display()}
        )
    check_seen(current, seen_state, _("この提出"))
    if current.state in (Submission.State.SUBMITTED, Submission.State.APPROVED):
        raise StateChanged(_("この提出はすでに提出済みまたは承認済みです。"))
    missing = missing_indicators(current)
    if missing:
        raise ValidationError(
            _("実績値が未入力の指標があるため提出できません：%(codes)s")
            % {"codes": "、".join(f"{i.code} {i.name}" for i in missing)},
            code="incomplete",
        )
    unexplained = checks.unexplained_message(
        checks.warned_indicators(current.strategy, current.fiscal_year, current.department)
    )
    if unexplained:
        raise ValidationError(unexplained, code="unexplained")
    _set_status(
        _department_actuals(current),
        Status.SUBMITTED,
        user=user,
        reason=pgettext_lazy("history reason", "提出"),
        keep_approved=True,
    )
    current.state = Submission.State.SUBMITTED
    current.submitted_by, current.submitted_at = user, timezone.now()
    save_with_history(current, user=user, reason=pgettext_lazy("history reason", "提出"))
    transaction.on_commit(lambda: notify.notice_submitted(current.pk))
    return current


def _reviewable(submission: Submission, seen_state: str | None) -> Submission:
    """The submission locked as stored now, in a year not locked, still in the state the page showed."""
    year, current = _locked(submission)
    if year.is_locked:
        raise StateChanged(_("この年度は確定（ロック）されているため審査できません。"))
    if current.pk is None:
        raise StateChanged(_("まだ提出がありません。"))
    check_seen(current, seen_state, _("この提出"))
    return current


@transaction.atomic
def submission_approve(*, user, submission: Submission, seen_state: str | None = None) -> Submission:
    """承認: every figure of the department and year becomes approved (read-only to staff)."""
    current = _reviewable(submission, seen_state)
    if current.state != Submission.State.SUBMITTED:
        raise StateChanged(
            _("提出済みの提出だけを承認できます（現在：%(state)s）。")
            % {"state": current.get_state_display()}
        )
    _set_status(
        _department_actuals(current),
        Status.APPROVED,
        user=user,
        reason=pgettext_lazy("history reason", "承認"),
    )
    current.state = Submission.State.APPROVED
    current.reviewed_by, current.reviewed_at = user, timezone.now()
    save_with_history(current, user=user, reason=pgettext_lazy("history reason", "承認"))
    return current


@transaction.atomic
def submission_return(
    *,
    user,
    submission: Submission,
    comment: str,
    seen_state: str | None = None,
    row_comments: Mapping[Indicator, str] | None = None,
) -> Submission:
    """差戻し with a comment the department sees, and 指摘 on single indicators (`row_comments`, each kept
    as a ReturnNote with the row as it is now); its figures are drafts again, editable.

    A return says why: the overall comment, at least one 指摘, or both (ValidationError otherwise).
    """
    comment = clean_text(comment).strip()
    notes = {i: clean_text(text).strip() for i, text in (row_comments or {}).items()}
    notes = {i: text for i, text in notes.items() if text}
    if not comment and not notes:
        raise ValidationError(RETURN_NEEDS_A_REASON, code="required")
    current = _reviewable(submission, seen_state)
    if current.state not in (Submission.State.SUBMITTED, Submission.State.APPROVED):
        raise StateChanged(
            _("提出済みまたは承認済みの提出だけを差し戻せます（現在：%(state)s）。")
            % {"state": current.get_state_display()}
        )
    _check_own_indicators(current, notes)
    actuals = _department_actuals(current)
    _set_status(actuals, Status.DRAFT, user=user, reason=pgettext_lazy("history reason", "差戻し"))
    current.state = Submission.State.RETURNED
    current.comment = comment
    current.reviewed_by, current.reviewed_at = user, timezone.now()
    save_with_history(current, user=user, reason=_return_reason(comment, notes))
    _write_return_notes(current, notes, actuals, user=user)
    transaction.on_commit(lambda: notify.notice_returned(current.pk))
    return current


RETURN_NEEDS_A_REASON = gettext_lazy(
    "差戻しの理由を入力してください。全体のコメントか、指標ごとの指摘の少なくとも一つが必要です。"
)


def _check_own_indicators(submission: Submission, notes: Mapping[Indicator, str]) -> None:
    """A 指摘 is about one of the submission's own indicators, never another department's."""
    foreign = [
        i
        for i in notes
        if i.strategy_id != submission.strategy_id or i.department_id != submission.department_id
    ]
    if foreign:
        raise ValidationError(
            _("この担当課の指標ではないため指摘できません：%(codes)s")
            % {"codes": "、".join(i.code for i in foreign)},
            code="foreign",
        )


def _return_reason(comment: str, notes: Mapping[Indicator, str]) -> str:
    """The history reason of a 差戻し, in Japanese whoever returns it (lib.reasons shows it translated)."""
    if not notes:
        return reasons.RETURNED % {"comment": comment}
    codes = "、".join(i.code for i in notes)
    return reasons.RETURNED_WITH_NOTES % {"codes": codes, "comment": comment}


def _write_return_notes(
    submission: Submission, notes: Mapping[Indicator, str], actuals: Sequence[ActualValue], *, user
) -> None:
    """One ReturnNote per questioned row, stamped with the return's time, holding the row as it is now."""
    stored = {a.indicator_id: a for a in actuals}
    for indicator, text in notes.items():
        actual = stored.get(indicator.pk)
        note = ReturnNote(
            submission=submission,
            indicator=indicator,
            comment=text,
            returned_at=submission.reviewed_at,
            written_by=user,
            value=actual.value if actual else None,
            note=actual.note if actual else "",
            cause_analysis=actual.cause_analysis if actual else "",
            next_step=actual.next_step if actual else "",
            version=_version(actual),
        )
        save_with_history(note, user=user, reason=gettext_noop("差戻しの指摘"))


# --- Fiscal-year windows -----------------------------------------------------------------------------

_NEXT_STATES = {
    FiscalYear.State.NOT_OPEN: {FiscalYear.State.OPEN},
    FiscalYear.State.OPEN: {FiscalYear.State.CLOSED, FiscalYear.State.LOCKED},
    FiscalYear.State.CLOSED: {FiscalYear.State.OPEN, FiscalYear.State.LOCKED},
    FiscalYear.State.LOCKED: {FiscalYear.State.OPEN, FiscalYear.State.CLOSED},
}


def fiscal_year_for(*, strategy: Strategy, year: int) -> FiscalYear | None:
    """The stored window, an unsaved 未開始 one for a plan year without a row, None outside the plan."""
    found = FiscalYear.objects.filter(strategy=strategy, year=year).first()
    if found is None and year in strategy.plan_years:
        found = FiscalYear(strategy=strategy, year=year)
    return found


def fiscal_years_of(strategy: Strategy) -> list[FiscalYear]:
    """Every plan year's window in one query; a year without a row is 未開始."""
    stored = {f.year: f for f in FiscalYear.objects.filter(strategy=strategy)}
    return [stored.get(year) or FiscalYear(strategy=strategy, year=year) for year in strategy.plan_years]


def allowed_states(fiscal_year: FiscalYear) -> list[str]:
    return [s for s in FiscalYear.State.values if s in _NEXT_STATES[fiscal_year.state]]


@transaction.atomic
def fiscal_year_set_state(
    *,
    user,
    fiscal_year: FiscalYear,
    state: str,
    reason: str = "",
    seen_state: str | None = None,
    deadline: date | None = None,
) -> FiscalYear:
    """Open, close or lock the year as stored now; leaving a locked year needs a written reason, kept in its
    history. Opening needs a 締切日 (`deadline`, or the one the year already has). StateChanged when the
    move is not allowed from the current state (or the page showed another state, `seen_state`);
    ValidationError when the reason or the deadline is missing or the deadline is not a sensible day.
    """
    try:
        with transaction.atomic():
            return _set_year_state(user, fiscal_year, state, reason.strip(), seen_state, deadline)
    except IntegrityError:
        # Another planner stored the year's first row meanwhile: decide again, against it.
        return _set_year_state(user, fiscal_year, state, reason.strip(), seen_state, deadline)


def _set_year_state(user, fiscal_year: FiscalYear, state: str, reason: str, seen_state, deadline):
    current = _locked_year(fiscal_year.strategy, fiscal_year.year)
    check_seen(current, seen_state, _("この年度"))
    if state not in _NEXT_STATES[current.state]:
        raise StateChanged(
            _("%(from)sから%(to)sには変更できません。")
            % {"from": current.get_state_display(), "to": FiscalYear.State(state).label}
        )
    if current.is_locked and not reason:
        raise ValidationError(_("確定した年度を再開するには理由を入力してください。"), code="reason")
    if deadline is not None:
        check_deadline(current.year, deadline)
        current.deadline = deadline
    if state == FiscalYear.State.OPEN and current.deadline is None:
        raise ValidationError(_("入力受付を開始するには締切日を入力してください。"), code="deadline")
    default = {
        FiscalYear.State.OPEN: gettext_noop("入力受付開始"),
        FiscalYear.State.CLOSED: gettext_noop("入力締切"),
        FiscalYear.State.LOCKED: gettext_noop("確定（ロック）"),
    }[state]
    current.state = state
    save_with_history(current, user=user, reason=reason or default)
    return current


def check_deadline(year: int, deadline: date) -> None:
    """A 締切日 falls after the fiscal year began and within three years of its end (typing 2062 for 2026)."""
    first, last = date(year, 4, 1), date(year + 4, 3, 31)
    if not first <= deadline <= last:
        raise ValidationError(
            _("締切日は%(first)sから%(last)sまでの日付で入力してください。")
            % {"first": first.strftime("%Y/%m/%d"), "last": last.strftime("%Y/%m/%d")},
            code="deadline",
        )


@transaction.atomic
def fiscal_year_set_deadline(*, user, fiscal_year: FiscalYear, deadline: date) -> FiscalYear:
    """Move the 締切日 of a year that is open or closed (an extension), with a history row."""
    current = _locked_year(fiscal_year.strategy, fiscal_year.year)
    if current.pk is None or current.state not in (FiscalYear.State.OPEN, FiscalYear.State.CLOSED):
        raise StateChanged(
            _("締切日を変更できるのは入力受付中または締切の年度だけです（現在：%(state)s）。")
            % {"state": current.get_state_display()}
        )
    check_deadline(current.year, deadline)
    if current.deadline != deadline:
        current.deadline = deadline
        save_with_history(
            current, user=user, reason=reasons.DEADLINE_CHANGED % {"day": deadline.strftime("%Y/%m/%d")}
        )
    return current


# --- Indicator metadata ------------------------------------------------------------------------------

PLAN_FIELDS = ("baseline_year", "baseline_value", "target_year", "target_value")


class StaleEdit(Exception):
    """Someone changed the indicator after the form was shown."""


def indicator_marker(indicator: Indicator) -> str:
    """Changes whenever the indicator or one of its expected values gets a history row (form or admin)."""
    own = indicator.history.aggregate(m=Max("history_id"))["m"] or 0
    expected = (
        ExpectedValue.history.filter(indicator_id=indicator.pk).aggregate(m=Max("history_id"))["m"] or 0
    )
    return f"{own}-{expected}"


def has_approved_figures(strategy: Strategy) -> bool:
    return ActualValue.objects.filter(
        indicator__strategy=strategy, fiscal_year__in=strategy.plan_years, status=Status.APPROVED
    ).exists()


def plan_change_needs_reason(indicator: Indicator, changes: Mapping[str, object]) -> bool:
    """A baseline or target changed after a year of the strategy was approved: the reason is required."""
    changed = any(field in changes and changes[field] != getattr(indicator, field) for field in PLAN_FIELDS)
    return changed and has_approved_figures(indicator.strategy)


@transaction.atomic
def indicator_update(
    *,
    user,
    indicator: Indicator,
    changes: Mapping[str, object],
    expected: Mapping[int, Decimal | None],
    marker: str,
    reason: str = "",
) -> Indicator:
    """Change the metadata and explicit expected values of one indicator; StaleEdit if it moved on."""
    # Taking the row's write lock first makes check-then-write safe on SQLite and PostgreSQL.
    Indicator.objects.filter(pk=indicator.pk).update(code=F("code"))
    if indicator_marker(indicator) != marker:
        raise StaleEdit
    indicator.refresh_from_db()
    reason = reason.strip()
    if plan_change_needs_reason(indicator, changes) and not reason:
        raise ValidationError(
            {"reason": _("承認済みの実績がある計画の基準値・目標値を変更するには理由が必要です。")}
        )
    changed = {field: value for field, value in changes.items() if getattr(indicator, field) != value}
    if changed:
        for field, value in changed.items():
            setattr(indicator, field, value)
        indicator.full_clean(exclude=["strategy", "goal", "measure"])
        save_with_history(indicator, user=user, reason=reason or gettext_noop("指標情報の編集"))
    stored = {e.fiscal_year: e for e in indicator.expected_values.all()}
    for year, value in expected.items():
        current = stored.get(year)
        if value is None and current is not None:
            current._history_user, current._change_reason = (
                user,
                history_reason(reason or gettext_noop("期待値の削除")),
            )
            current.delete()
        elif value is not None and current is None:
            save_with_history(
                ExpectedValue(indicator=indicator, fiscal_year=year, value=value),
                user=user,
                reason=reason or gettext_noop("期待値の設定"),
            )
        elif value is not None and current.value != value:
            current.value = value
            save_with_history(current, user=user, reason=reason or gettext_noop("期待値の変更"))
    return indicator
