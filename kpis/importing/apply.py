"""Write a clean ImportBatch: all rows or none, in one transaction, with history.

The batch was checked when it was prepared, but a preview can stand for an hour: inside the transaction
the fiscal years, the departments' submissions and the stored values are locked (in that order) and every
change is asked again whether the user may make it now (prepare.refusal), so that a submission sent or
a value approved since the preview is never changed by a confirmation.
"""

from dataclasses import dataclass

from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from accounts import access
from goals.history import history_reason
from kpis import versioning
from kpis.cycle.services import submission_start
from kpis.importing.prepare import ImportBatch, refusal, row_error
from kpis.importing.rows import DATA_FIELDS, RowError
from kpis.models import ActualValue, FiscalYear, Submission
from kpis.rules import stored as stored_results


class ImportConflict(Exception):
    """The stored values changed between checking and writing; str() is the message."""


class ImportRefused(Exception):
    """Rows the user may no longer change (a submission sent, a year closed since the check); .errors."""

    def __init__(self, errors: list[RowError]):
        super().__init__(
            _(
                "確認の後に年度または提出の状態が変わったため、取り込めない行があります。何も登録していません。"
            )
        )
        self.errors = errors


def apply_import(batch: ImportBatch, *, user=None, reason: str, approve: bool = False) -> int:
    """Write a checked batch all or nothing, with history; returns the number of values written.

    New values are drafts; a changed value becomes a draft, or keeps its status when the user's edits do
    (access.import_keeps_status); approve=True (the planning office only) makes every value approved.
    ImportRefused or ImportConflict when the batch no longer holds, and nothing is written.
    """
    if not batch.ok:
        raise ValueError("An import batch with errors cannot be applied.")
    if approve and user is not None and not access.can_import_as_approved(user):
        raise PermissionError(_("承認済みとして取り込めるのは政策企画課だけです。"))
    if not batch.changes:
        return 0
    try:
        with transaction.atomic():
            states = _lock_states(batch)
            _check_again(batch, user, states)
            created, updated = _records(batch, states, user=user, approve=approve)
            _write(created, updated, user=user, reason=reason)
            _start_submissions(states, user=user)
    except IntegrityError as error:
        raise ImportConflict(
            _("確認の後に他の利用者が同じ指標・年度の値を登録しました。もう一度取り込んでください。")
        ) from error
    except OperationalError as error:
        if not _is_lock_contention(error):
            raise
        raise ImportConflict(
            _("他の利用者の保存と重なったため取り込めませんでした。もう一度確定してください。")
        ) from error
    return len(created) + len(updated)


@dataclass
class _States:
    """What the changes are checked against again, read under row locks."""

    fiscal_years: dict[int, FiscalYear]
    submissions: dict[tuple[int, int], Submission]  # every (department, year) the batch touches
    values: dict[int, ActualValue]  # the stored values the batch changes, by pk


def _lock_states(batch: ImportBatch) -> _States:
    """Lock (FOR UPDATE, in this order) the fiscal years, the submissions and the stored values."""
    strategy_id = batch.changes[0].indicator.strategy_id
    years = sorted({change.fiscal_year for change in batch.changes})
    # The models' default orderings join other tables, which FOR UPDATE would lock too: order by pk.
    stored_years = {
        f.year: f
        for f in FiscalYear.objects.select_for_update()
        .filter(strategy_id=strategy_id, year__in=years)
        .order_by("pk")
    }
    fiscal_years = {
        year: stored_years.get(year) or FiscalYear(strategy_id=strategy_id, year=year) for year in years
    }
    departments = {c.indicator.department_id: c.indicator.department for c in batch.changes}
    departments.pop(None, None)
    stored = {
        (s.department_id, s.fiscal_year): s
        for s in Submission.objects.select_for_update()
        .filter(strategy_id=strategy_id, fiscal_year__in=years, department_id__in=departments)
        .order_by("pk")
    }
    submissions = {}
    for change in batch.changes:
        department_id = change.indicator.department_id
        if department_id is None:
            continue
        key = (department_id, change.fiscal_year)
        submission = stored.get(key) or Submission(
            department_id=department_id, strategy_id=strategy_id, fiscal_year=change.fiscal_year
        )
        submission.department = departments[department_id]  # for the messages, without a query each
        submissions[key] = submission
    ids = [change.record.pk for change in batch.changes if change.record is not None]
    values = {a.pk: a for a in ActualValue.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    return _States(fiscal_years, submissions, values)


def _check_again(batch: ImportBatch, user, states: _States) -> None:
    """Every change is still one the user may make, on the value the preview showed."""
    errors = []
    for change in batch.changes:
        current = None
        if change.record is not None:
            current = states.values.get(change.record.pk)
            if current is None or current.version != change.record.version:
                raise ImportConflict(
                    _("確認の後に他の利用者が値を変更しました。もう一度取り込んでください。")
                )
        refused = refusal(
            user,
            states.fiscal_years[change.fiscal_year],
            states.submissions.get((change.indicator.department_id, change.fiscal_year)),
            current,
        )
        if refused is not None:
            errors.append(row_error(change.line, change.columns, *refused))
    if errors:
        raise ImportRefused(errors)


def _records(
    batch: ImportBatch, states: _States, *, user, approve: bool
) -> tuple[list[ActualValue], list[ActualValue]]:
    """The changes applied to new values and to the locked stored ones (unsaved): (created, updated).

    The batch's own records stay as the preview read them: a failed write leaves nothing to undo.
    """
    keep_status = access.import_keeps_status(user)
    now = timezone.now()
    created, updated = [], []
    for change in batch.changes:
        if change.record is None:
            record = ActualValue(indicator=change.indicator, fiscal_year=change.fiscal_year)
            created.append(record)
        else:
            record = states.values[change.record.pk]
            updated.append(record)
        for name, (_before, after) in change.fields.items():
            setattr(record, name, after)
        record.status = _status(record, new=change.record is None, approve=approve, keep_status=keep_status)
        record.entered_by = user
        record.entered_at = now
    return created, updated


def _status(record: ActualValue, *, new: bool, approve: bool, keep_status: bool) -> str:
    """As the entry screen saves: a new value is a draft, a changed one a draft unless the user keeps it."""
    if approve:
        return ActualValue.Status.APPROVED
    if not new and keep_status:
        return record.status
    return ActualValue.Status.DRAFT


def _write(created: list[ActualValue], updated: list[ActualValue], *, user, reason: str) -> None:
    """Save every record, each stored one a version on, with history."""
    reason = history_reason(reason)
    fields = [*DATA_FIELDS, "status", "entered_by", "entered_at", "version"]
    for record in updated:
        record.version += 1
        # One UPDATE per row: bulk_update's CASE expressions cost seconds for a few thousand rows.
        ActualValue.objects.filter(pk=record.pk).update(**{name: getattr(record, name) for name in fields})
    if updated:
        # fields=[]: the rows are written above; this makes their history rows only.
        bulk_update_with_history(updated, ActualValue, [], default_user=user, default_change_reason=reason)
    if created:
        bulk_create_with_history(created, ActualValue, default_user=user, default_change_reason=reason)
    versioning.changed()  # the writes above send no model signals: the version and the results are told
    stored_results.refresh({record.indicator_id for record in [*created, *updated]})


def _start_submissions(states: _States, *, user) -> None:
    """未入力 → 入力中 for every department the import wrote figures for, by the entry screen's own step
    (services.submission_start). A submission created meanwhile by someone else is an IntegrityError:
    the import is retried."""
    for submission in states.submissions.values():
        submission_start(user=user, submission=submission)


def _is_lock_contention(error: OperationalError) -> bool:
    """A deadlock or serialisation failure (PostgreSQL), or a lock wait that timed out (SQLite)."""
    code = getattr(error.__cause__, "sqlstate", None) or getattr(error.__cause__, "pgcode", None)
    return code in ("40P01", "40001") or "database is locked" in str(error)
