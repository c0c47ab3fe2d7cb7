"""The writes of the yearly cycle: entering figures, submitting, reviewing, fiscal-year windows, metadata.

Each function is atomic and leaves a simple-history row per change with the user and a reason, so the
indicator page can show who changed what, when and why. Access checks belong to the views (accounts.access);
state rules (what may follow what) live here.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from goals.models import Department, Strategy
from kpis.models import ActualValue, ExpectedValue, FiscalYear, Indicator, Submission

# simple-history keeps the reason in a CharField(max_length=100).
REASON_MAX_LENGTH = 100

Status = ActualValue.Status


def _reason(text: str) -> str:
    return text.strip()[:REASON_MAX_LENGTH]


def _save_with_history(instance, *, user, reason: str, **kwargs) -> None:
    instance._history_user = user
    instance._change_reason = _reason(reason)
    instance.save(**kwargs)


# --- Yearly figures ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowInput:
    """What was typed on one row of the entry screen, and the version of the stored row it started from."""

    indicator: Indicator
    version: int  # 0 when no figure was stored when the page was shown
    value: Decimal | None
    note: str = ""
    cause_analysis: str = ""
    next_step: str = ""

    def content(self) -> tuple:
        return (self.value, self.note, self.cause_analysis, self.next_step)


@dataclass(frozen=True)
class Conflict:
    """Someone saved the row first: the stored figure stays, the typed one is shown beside it."""

    typed: RowInput
    stored: ActualValue


@dataclass
class SaveResult:
    saved: list[ActualValue]
    conflicts: list[Conflict]
    submission: Submission


def _content(actual: ActualValue | None) -> tuple:
    if actual is None:
        return (None, "", "", "")
    return (actual.value, actual.note, actual.cause_analysis, actual.next_step)


def _same(a: tuple, b: tuple) -> bool:
    # Decimals compare by value (1.50 == 1.5); texts as typed.
    return a == b


def _untouched_since(stored: ActualValue, row: RowInput) -> bool:
    """True when what was posted is exactly what the row held at the version the page showed.

    A person who saves the whole page has not changed a row someone else edited meanwhile: that is not
    a conflict, the row is simply left alone.
    """
    seen = ActualValue.history.filter(id=stored.pk, version=row.version).order_by("-history_id").first()
    return seen is not None and _same(_content(seen), row.content())


def _stored_row(indicator: Indicator, fiscal_year: int) -> ActualValue:
    return ActualValue.objects.select_related("entered_by").get(indicator=indicator, fiscal_year=fiscal_year)


def submission_for(*, department: Department, strategy: Strategy, fiscal_year: int) -> Submission:
    """The stored submission, or an unsaved 未入力 one."""
    found = Submission.objects.filter(
        department=department, strategy=strategy, fiscal_year=fiscal_year
    ).first()
    return found or Submission(department=department, strategy=strategy, fiscal_year=fiscal_year)


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
) -> SaveResult:
    """Save the typed rows as drafts; a row whose version is stale is refused and reported, not written.

    The write is `UPDATE … WHERE id = … AND version = n`, so of two saves from the same version only the
    first changes the row, on SQLite and PostgreSQL alike. keep_status (the planning office correcting a
    figure under review) leaves the row's status as it is; otherwise a changed row is a draft again.
    """
    reason = reason or _("実績値の入力（下書き保存）")
    stored_rows = {
        a.indicator_id: a
        for a in ActualValue.objects.select_related("entered_by").filter(
            indicator__in=[row.indicator for row in rows], fiscal_year=fiscal_year
        )
    }
    now = timezone.now()
    saved, conflicts = [], []
    for row in rows:
        stored = stored_rows.get(row.indicator.pk)
        if _same(_content(stored), row.content()):
            continue
        if stored is None:
            actual = ActualValue(
                indicator=row.indicator,
                fiscal_year=fiscal_year,
                value=row.value,
                note=row.note,
                cause_analysis=row.cause_analysis,
                next_step=row.next_step,
                status=Status.DRAFT,
                entered_by=user,
                entered_at=now,
                version=1,
            )
            try:
                with transaction.atomic():
                    _save_with_history(actual, user=user, reason=reason)
            except IntegrityError:
                # Someone created the row between our read and our write.
                conflicts.append(Conflict(row, _stored_row(row.indicator, fiscal_year)))
                continue
            saved.append(actual)
            continue
        if stored.version != row.version:
            if not _untouched_since(stored, row):
                conflicts.append(Conflict(row, stored))
            continue
        claimed = ActualValue.objects.filter(pk=stored.pk, version=row.version).update(
            version=F("version") + 1
        )
        if not claimed:
            conflicts.append(Conflict(row, _stored_row(row.indicator, fiscal_year)))
            continue
        stored.value, stored.note = row.value, row.note
        stored.cause_analysis, stored.next_step = row.cause_analysis, row.next_step
        stored.version = row.version + 1
        stored.entered_by, stored.entered_at = user, now
        if not keep_status:
            stored.status = Status.DRAFT
        _save_with_history(stored, user=user, reason=reason)
        saved.append(stored)

    submission = submission_for(department=department, strategy=strategy, fiscal_year=fiscal_year)
    if submission.pk is None or submission.state == Submission.State.NOT_STARTED:
        submission.state = Submission.State.IN_PROGRESS
        _save_with_history(submission, user=user, reason=_("入力開始"))
    return SaveResult(saved, conflicts, submission)


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
        actual._change_reason = _reason(reason)
    if changed:
        bulk_update_with_history(
            changed, ActualValue, ["status"], default_user=user, default_change_reason=_reason(reason)
        )


def missing_indicators(submission: Submission) -> list[Indicator]:
    """The department's indicators without an actual value for the year, in plan order."""
    entered = ActualValue.objects.filter(fiscal_year=submission.fiscal_year, value__isnull=False).values(
        "indicator_id"
    )
    return list(
        Indicator.objects.of_strategy(submission.strategy)
        .filter(department=submission.department)
        .exclude(pk__in=entered)
    )


@transaction.atomic
def submission_submit(*, user, submission: Submission) -> Submission:
    """提出: every indicator needs a value; its figures go to the planning office."""
    if submission.state in (Submission.State.SUBMITTED, Submission.State.APPROVED):
        raise ValidationError(_("この提出はすでに提出済みまたは承認済みです。"), code="state")
    missing = missing_indicators(submission)
    if missing:
        raise ValidationError(
            _("実績値が未入力の指標があるため提出できません：%(codes)s")
            % {"codes": "、".join(f"{i.code} {i.name}" for i in missing)},
            code="incomplete",
        )
    _set_status(
        _department_actuals(submission), Status.SUBMITTED, user=user, reason=_("提出"), keep_approved=True
    )
    submission.state = Submission.State.SUBMITTED
    submission.submitted_by, submission.submitted_at = user, timezone.now()
    _save_with_history(submission, user=user, reason=_("提出"))
    return submission


@transaction.atomic
def submission_approve(*, user, submission: Submission) -> Submission:
    """承認: every figure of the department and year becomes approved (read-only to staff)."""
    if submission.state != Submission.State.SUBMITTED:
        raise ValidationError(_("提出済みの提出だけを承認できます。"), code="state")
    _set_status(_department_actuals(submission), Status.APPROVED, user=user, reason=_("承認"))
    submission.state = Submission.State.APPROVED
    submission.reviewed_by, submission.reviewed_at = user, timezone.now()
    _save_with_history(submission, user=user, reason=_("承認"))
    return submission


@transaction.atomic
def submission_return(*, user, submission: Submission, comment: str) -> Submission:
    """差戻し with a comment the department sees; its figures are drafts again, editable."""
    comment = comment.strip()
    if not comment:
        raise ValidationError(_("差戻しの理由（コメント）を入力してください。"), code="required")
    if submission.state not in (Submission.State.SUBMITTED, Submission.State.APPROVED):
        raise ValidationError(_("提出済みまたは承認済みの提出だけを差し戻せます。"), code="state")
    _set_status(_department_actuals(submission), Status.DRAFT, user=user, reason=_("差戻し"))
    submission.state = Submission.State.RETURNED
    submission.comment = comment
    submission.reviewed_by, submission.reviewed_at = user, timezone.now()
    _save_with_history(submission, user=user, reason=_("差戻し：%(comment)s") % {"comment": comment})
    return submission


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
def fiscal_year_set_state(*, user, fiscal_year: FiscalYear, state: str, reason: str = "") -> FiscalYear:
    """Open, close or lock a year; leaving a locked year needs a written reason, kept in its history."""
    if state not in _NEXT_STATES[fiscal_year.state]:
        raise ValidationError(
            _("%(from)sから%(to)sには変更できません。")
            % {"from": fiscal_year.get_state_display(), "to": FiscalYear.State(state).label},
            code="state",
        )
    reason = reason.strip()
    if fiscal_year.is_locked and not reason:
        raise ValidationError(_("確定した年度を再開するには理由を入力してください。"), code="reason")
    default = {
        FiscalYear.State.OPEN: _("入力受付開始"),
        FiscalYear.State.CLOSED: _("入力締切"),
        FiscalYear.State.LOCKED: _("確定（ロック）"),
    }[state]
    fiscal_year.state = state
    _save_with_history(fiscal_year, user=user, reason=reason or default)
    return fiscal_year


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
        _save_with_history(indicator, user=user, reason=reason or _("指標情報の編集"))
    stored = {e.fiscal_year: e for e in indicator.expected_values.all()}
    for year, value in expected.items():
        current = stored.get(year)
        if value is None and current is not None:
            current._history_user, current._change_reason = user, _reason(reason or _("期待値の削除"))
            current.delete()
        elif value is not None and current is None:
            _save_with_history(
                ExpectedValue(indicator=indicator, fiscal_year=year, value=value),
                user=user,
                reason=reason or _("期待値の設定"),
            )
        elif value is not None and current.value != value:
            current.value = value
            _save_with_history(current, user=user, reason=reason or _("期待値の変更"))
    return indicator
