"""Write a clean ImportBatch: all rows or none, in one transaction, with history."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from accounts import access
from kpis.importing.prepare import ImportBatch
from kpis.importing.rows import DATA_FIELDS
from kpis.models import ActualValue


class ImportConflict(Exception):
    """The stored values changed between checking and writing; str() is the message."""


def apply_import(batch: ImportBatch, *, user=None, reason: str, approve: bool = False) -> int:
    """Write a checked batch all or nothing, with history; returns the number of values written.

    New and changed values become drafts (approved with approve=True, for the planning office only).
    """
    if not batch.ok:
        raise ValueError("An import batch with errors cannot be applied.")
    if approve and user is not None and not access.can_import_as_approved(user):
        raise PermissionError(_("承認済みとして取り込めるのは政策企画課だけです。"))
    if not batch.changes:
        return 0
    status = ActualValue.Status.APPROVED if approve else ActualValue.Status.DRAFT
    created, updated = _records(batch, status=status, user=user)
    _write(created, updated, user=user, reason=reason)
    return len(created) + len(updated)


def _records(batch: ImportBatch, *, status, user) -> tuple[list[ActualValue], list[ActualValue]]:
    """The batch's changes applied to new and to stored values (unsaved): (created, updated)."""
    now = timezone.now()
    created, updated = [], []
    for change in batch.changes:
        record = change.record or ActualValue(indicator=change.indicator, fiscal_year=change.fiscal_year)
        for name, (_before, after) in change.fields.items():
            setattr(record, name, after)
        record.status = status
        record.entered_by = user
        record.entered_at = now
        if change.record is None:
            created.append(record)
        else:
            updated.append(record)
    return created, updated


def _write(created: list[ActualValue], updated: list[ActualValue], *, user, reason: str) -> None:
    """Save every record in one transaction, or none; ImportConflict if another user got there first."""
    try:
        with transaction.atomic():
            if updated:
                _update(updated, user=user, reason=reason)
            if created:
                bulk_create_with_history(
                    created, ActualValue, default_user=user, default_change_reason=reason
                )
    except IntegrityError as error:
        for record in updated:
            record.version -= 1
        raise ImportConflict(
            _("確認の後に他の利用者が同じ指標・年度の値を登録しました。もう一度取り込んでください。")
        ) from error


def _update(updated: list[ActualValue], *, user, reason: str) -> None:
    """Save the changed stored values, each one version on, with history."""
    _check_versions(updated)
    for record in updated:
        record.version += 1
    bulk_update_with_history(
        updated,
        ActualValue,
        [*DATA_FIELDS, "status", "entered_by", "entered_at", "version"],
        default_user=user,
        default_change_reason=reason,
    )


def _check_versions(updated: list[ActualValue]) -> None:
    """Optimistic locking: nobody may have saved these values since the batch was checked."""
    # The default ordering joins Indicator and its nullable measure, which FOR UPDATE refuses: order by pk.
    current = dict(
        ActualValue.objects.select_for_update()
        .order_by("pk")
        .filter(pk__in=[record.pk for record in updated])
        .values_list("pk", "version")
    )
    if any(current.get(record.pk) != record.version for record in updated):
        raise ImportConflict(_("確認の後に他の利用者が値を変更しました。もう一度取り込んでください。"))
