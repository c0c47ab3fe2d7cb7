"""History that also follows a many-to-many relation changed from its other side.

django-simple-history records an m2m change as a new version of the model that declares the field. A
change made from the reverse side (``user.departments.add(department)``) reaches the same signal with the
user as its instance, which simple-history would try to record as a department. Here every department the
change touches gets its own version instead, with the reason and user set on the instance that changed.
"""

from simple_history.models import HistoricalRecords

from lib.reasons import source_text

_CARRIED = ("_change_reason", "_history_user")

# simple-history keeps the reason in a CharField(max_length=100).
REASON_MAX_LENGTH = 100


def history_reason(text) -> str:
    """A change reason as history keeps it: in the source language (a lazy message is turned into Japanese
    text whatever language the writer reads; lib.reasons shows it back in the reader's), trimmed and cut to
    the column's length."""
    return source_text(text).strip()[:REASON_MAX_LENGTH]


def save_with_history(instance, *, user, reason, **kwargs) -> None:
    """Save a model instance with one history row naming who changed it and why (`reason`: typed text, a
    `gettext_noop` message or a lazy one; kept in Japanese, see history_reason)."""
    instance._history_user = user
    instance._change_reason = history_reason(reason)
    instance.save(**kwargs)


class ReverseAwareHistoricalRecords(HistoricalRecords):
    def m2m_changed(self, instance, action, attr, pk_set, reverse, **kwargs):
        if not reverse:
            return super().m2m_changed(instance, action, attr, pk_set, reverse, **kwargs)
        if action == "pre_clear":
            # pk_set is None for a clear: remember who was affected while the rows still exist.
            instance._history_cleared = list(self.cls._default_manager.filter(**{attr: instance}))
            return None
        if action == "post_clear":
            affected = getattr(instance, "_history_cleared", [])
        elif action in ("post_add", "post_remove"):
            affected = list(self.cls._default_manager.filter(pk__in=pk_set))
        else:
            return None
        for obj in affected:
            for name in _CARRIED:
                if hasattr(instance, name):
                    setattr(obj, name, getattr(instance, name))
            super().m2m_changed(obj, action, attr, pk_set, False, **kwargs)
        return None


def record_current_state(
    apps, schema_editor, *, app_label: str, model_names, reason: str, source_app=None
) -> None:
    """A data migration's step: one history row per existing object of models whose history starts now.

    Without it the first change after the upgrade would have no "before". The row carries the state as it
    is, the given reason and no user; many-to-many members are recorded with it. `source_app` is the app of
    the models when their history lives in another one (auth's users and groups, recorded in accounts).
    """
    from django.utils import timezone

    now = timezone.now()
    for name in model_names:
        model = apps.get_model(source_app or app_label, name)
        history = apps.get_model(app_label, f"Historical{name}")
        copied = [f.attname for f in history._meta.concrete_fields if not f.name.startswith("history_")]
        rows = {
            obj.pk: history(
                **{attname: getattr(obj, attname) for attname in copied},
                history_date=now,
                history_type="~",
                history_change_reason=reason,
            )
            for obj in model._default_manager.all()
        }
        history.objects.bulk_create(rows.values())
        _record_members(apps, app_label, model, name, rows)


def _record_members(apps, app_label: str, model, name: str, rows: dict) -> None:
    for m2m in model._meta.many_to_many:
        try:
            members = apps.get_model(app_label, f"Historical{name}_{m2m.name}")
        except LookupError:
            continue
        through = m2m.remote_field.through
        own = f"{m2m.m2m_field_name()}_id"
        recorded = {f.attname for f in members._meta.concrete_fields}
        copied = [f.attname for f in through._meta.concrete_fields if f.attname in recorded]
        members.objects.bulk_create(
            members(
                history=rows[getattr(link, own)], **{attname: getattr(link, attname) for attname in copied}
            )
            for link in through.objects.all()
            if getattr(link, own) in rows
        )
