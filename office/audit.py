"""The audit log: every recorded change of every tracked model, newest first, as people read it.

Each model with django-simple-history keeps its own history table. The log pages through all of them at
once (a UNION of their dates and ids), then reads only the page's rows: per kind of record its versions
and the versions before them, per many-to-many field its recorded members, per related model the objects
the page names. The query count depends on the kinds of record a page shows, never on how long the
history is.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.contrib.auth.models import Group, Permission, User
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.db.models import OuterRef, Q, Subquery, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from simple_history.models import HistoricalRecords

from lib.fiscal import fiscal_year_label
from lib.negatives import triangle_negatives
from lib.numbers import MISSING, format_decimal
from lib.reasons import shown_reason
from office.services import ROLE_LABELS

ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
# Where a record without a page of its own links to: the first of these it points at that has one.
LINK_THROUGH = ("indicator", "goal", "meeting", "department")


def tracked_models() -> list[type[models.Model]]:
    """Every model whose changes are recorded, by app and name."""
    found = [m for m in apps.get_models() if hasattr(m._meta, "simple_history_manager_attribute")]
    return sorted(found, key=lambda m: (m._meta.app_label, m._meta.model_name))


def kind_of(model) -> str:
    return model._meta.label_lower


def kind_choices() -> list[tuple[str, str]]:
    return [(kind_of(m), str(m._meta.verbose_name)) for m in tracked_models()]


def _history(model):
    return getattr(model, model._meta.simple_history_manager_attribute)


@dataclass(frozen=True)
class Filters:
    kind: str = ""
    user_id: int | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _filtered(model, filters: Filters):
    records = _history(model).all()
    if filters.user_id is not None:
        records = records.filter(history_user_id=filters.user_id)
    if filters.date_from is not None:
        records = records.filter(history_date__gte=_start_of(filters.date_from))
    if filters.date_to is not None:
        records = records.filter(history_date__lt=_start_of(filters.date_to + datetime.timedelta(days=1)))
    return records


def log_keys(filters: Filters):
    """(date, history id, kind) of every matching record, newest first: one query per page, one to count."""
    models_ = [m for m in tracked_models() if not filters.kind or kind_of(m) == filters.kind]
    if not models_:
        return _history(User).none().values_list("history_date", "history_id")
    parts = [
        _filtered(model, filters)
        .order_by()
        .annotate(audit_kind=Value(kind_of(model), output_field=models.CharField()))
        .values_list("history_date", "history_id", "audit_kind")
        for model in models_
    ]
    keys = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return keys.order_by("-history_date", "-history_id")


# --- One page of the log --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str


@dataclass
class Entry:
    when: datetime.datetime
    who: str
    kind: str  # the model's verbose name: 「実績値」
    record: str  # 「G1-M1-K1 2025: 350」
    url: str
    action: str  # "created", "changed", "deleted"
    reason: str
    changes: list[FieldChange] = field(default_factory=list)


def entries(keys: Iterable[tuple]) -> list[Entry]:
    """The log lines of one page of log_keys, in the same order."""
    keys = list(keys)
    by_kind = defaultdict(list)
    for _date, history_id, kind in keys:
        by_kind[kind].append(history_id)
    pages = {kind: _KindPage(apps.get_model(kind), ids) for kind, ids in by_kind.items()}
    related = _Related()
    for page in pages.values():
        page.ask(related)
    related.fetch()
    return [pages[kind].entry(history_id, related) for _date, history_id, kind in keys]


def _who(user) -> str:
    if user is None:
        return _("（システム）")
    return user.get_full_name() or user.get_username()


class _KindPage:
    """The page's records of one model, with the versions before them and their many-to-many members."""

    def __init__(self, model, history_ids: list[int]):
        self.model = model
        history = _history(model)
        earlier = history.filter(id=OuterRef("id")).filter(
            Q(history_date__lt=OuterRef("history_date"))
            | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
        )
        previous_id = Subquery(earlier.order_by("-history_date", "-history_id").values("history_id")[:1])
        self.records = {
            r.history_id: r
            for r in history.filter(history_id__in=history_ids)
            .select_related("history_user")
            .annotate(previous_id=previous_id)
        }
        wanted = {r.previous_id for r in self.records.values() if r.previous_id is not None}
        self.previous = {r.history_id: r for r in history.filter(history_id__in=wanted)} if wanted else {}
        self.m2m_fields = list(_m2m_models(model))
        self.members = self._members([*self.records.values(), *self.previous.values()])
        self.fields = [
            f
            for f in model._meta.concrete_fields
            if f.editable and not f.primary_key and hasattr(history.model, f.attname)
        ]
        ids = {r.id for r in self.records.values()}
        self.live = set(model._default_manager.filter(pk__in=ids).values_list("pk", flat=True))

    def _members(self, records) -> dict[tuple[str, int], set[int]]:
        """{(field name, history id): the related ids the version held}, one query per m2m field."""
        found = defaultdict(set)
        ids = [r.history_id for r in records]
        for m2m in self.m2m_fields:
            history_m2m = _m2m_models(self.model)[m2m]
            target = m2m.m2m_reverse_field_name()
            rows = history_m2m.objects.filter(history_id__in=ids).values_list("history_id", target)
            for history_id, target_id in rows:
                found[(m2m.name, history_id)].add(target_id)
        return found

    def ask(self, related: "_Related") -> None:
        for record in [*self.records.values(), *self.previous.values()]:
            for f in self.fields:
                if isinstance(f, models.ForeignKey):
                    related.want(f.related_model, getattr(record, f.attname))
        for (name, _history_id), targets in self.members.items():
            for target in targets:
                related.want(self.model._meta.get_field(name).related_model, target)

    def entry(self, history_id: int, related: "_Related") -> Entry:
        record = self.records[history_id]
        previous = self.previous.get(record.previous_id)
        instance = self._instance(record, related)
        action = ACTIONS[record.history_type]
        return Entry(
            when=timezone.localtime(record.history_date),
            who=_who(record.history_user),
            kind=str(self.model._meta.verbose_name),
            record=_label(instance),
            url="" if action == "deleted" or record.id not in self.live else _link(instance, related),
            action=action,
            reason=shown_reason(record.history_change_reason),
            changes=[] if action == "deleted" else self._changes(record, previous, related),
        )

    def _instance(self, record, related: "_Related"):
        """The object as that version held it, its related objects attached (so str() reads no row)."""
        instance = self.model(
            **{f.attname: getattr(record, f.attname) for f in self.fields + [self.model._meta.pk]}
        )
        for f in self.fields:
            if isinstance(f, models.ForeignKey):
                target = related.get(f.related_model, getattr(record, f.attname))
                if target is not None:
                    f.set_cached_value(instance, target)
        return instance

    def _changes(self, record, previous, related: "_Related") -> list[FieldChange]:
        if previous is None:
            # A first version: what the record was created with, or held when its history began.
            before = MISSING if record.history_type == "+" else _("（記録なし）")
            return [
                FieldChange(field_label(f), before, display(f, getattr(record, f.attname), related))
                for f in self.fields
                if getattr(record, f.attname) not in (None, "")
            ] + [
                FieldChange(field_label(m2m), before, self._shown_members(m2m, record, related))
                for m2m in self.m2m_fields
                if self.members.get((m2m.name, record.history_id))
            ]
        names = {f.name for f in self.fields}
        delta = record.diff_against(previous, included_fields=names)
        changes = [
            FieldChange(
                field_label(self.model._meta.get_field(change.field)),
                display(self.model._meta.get_field(change.field), change.old, related),
                display(self.model._meta.get_field(change.field), change.new, related),
            )
            for change in sorted(delta.changes, key=lambda c: self._order(c.field))
        ]
        for m2m in self.m2m_fields:
            before = self.members.get((m2m.name, previous.history_id), set())
            after = self.members.get((m2m.name, record.history_id), set())
            if before != after:
                changes.append(
                    FieldChange(
                        field_label(m2m),
                        self._shown_members(m2m, previous, related),
                        self._shown_members(m2m, record, related),
                    )
                )
        return changes

    def _order(self, name: str) -> int:
        return next((i for i, f in enumerate(self.fields) if f.name == name), len(self.fields))

    def _shown_members(self, m2m, record, related: "_Related") -> str:
        targets = self.members.get((m2m.name, record.history_id), set())
        labels = sorted(_label(related.get(m2m.related_model, pk)) for pk in targets)
        return "、".join(labels) or MISSING


def _m2m_models(model) -> dict:
    """{m2m field: the model that records its members per version} of a tracked model."""
    return {
        m2m: HistoricalRecords.m2m_models[m2m]
        for m2m in model._meta.many_to_many
        if m2m in HistoricalRecords.m2m_models
    }


class _Related:
    """The objects a page names, by model: one query per model (and one more for deleted ones)."""

    def __init__(self):
        self.wanted = defaultdict(set)
        self.found: dict[type, dict] = {}

    def want(self, model, pk) -> None:
        if pk is not None:
            self.wanted[model].add(pk)

    def fetch(self) -> None:
        for model, pks in self.wanted.items():
            queryset = model._default_manager.filter(pk__in=pks)
            if model is Permission:
                queryset = queryset.select_related("content_type")
            objects = {obj.pk: obj for obj in queryset}
            missing = pks - objects.keys()
            if missing and hasattr(model._meta, "simple_history_manager_attribute"):
                # A deleted object is named as its last recorded version.
                for version in _history(model).filter(id__in=missing).order_by("id", "history_date"):
                    ghost = model(
                        **{
                            f.attname: getattr(version, f.attname)
                            for f in model._meta.concrete_fields
                            if hasattr(version, f.attname)
                        }
                    )
                    ghost._audit_deleted = True
                    objects[version.id] = ghost
            self.found[model] = objects

    def get(self, model, pk):
        return self.found.get(model, {}).get(pk)


def _label(obj) -> str:
    if obj is None:
        return MISSING
    if isinstance(obj, Group) and obj.name in ROLE_LABELS:
        return str(ROLE_LABELS[obj.name])
    if isinstance(obj, User):
        return _who(obj)
    try:
        return str(obj)
    except (AttributeError, ObjectDoesNotExist, TypeError, ValueError):
        return f"{obj._meta.verbose_name} #{obj.pk}"


def _link(instance, related: "_Related") -> str:
    if isinstance(instance, User):
        return reverse("office:role_edit", args=[instance.pk])
    if instance._meta.label_lower == "kpis.gradeband":
        return reverse("office:grade_bands")
    if hasattr(instance, "get_absolute_url"):
        return instance.get_absolute_url()
    for name in LINK_THROUGH:
        try:
            target_field = instance._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        target = related.get(target_field.related_model, getattr(instance, target_field.attname))
        if (
            target is not None
            and not getattr(target, "_audit_deleted", False)
            and hasattr(target, "get_absolute_url")
        ):
            return target.get_absolute_url()
    return ""


# Fields holding a fiscal year, shown as 「2025年度（令和7年度）」.
YEAR_FIELDS = {"fiscal_year", "year", "baseline_year", "target_year", "first_year", "last_year"}


def field_label(field) -> str:
    """The field's name on screen; a relation named by no verbose_name takes its model's (「総合戦略」)."""
    if field.is_relation and field.verbose_name == field.name.replace("_", " "):
        return str(field.related_model._meta.verbose_name)
    return str(field.verbose_name)


def display(field, value, related: "_Related") -> str:
    """One stored value as the screens show it: choices by label, numbers with separators, 「−」 for none."""
    if value is None or value == "":
        return MISSING
    if isinstance(field, models.ForeignKey):
        return _label(related.get(field.related_model, value))
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("はい") if value else _("いいえ")
    if isinstance(value, Decimal):
        return format_decimal(value, triangle=triangle_negatives())
    if isinstance(value, datetime.datetime):
        return date_format(timezone.localtime(value), "Y/m/d H:i")
    if isinstance(value, datetime.date):
        return date_format(value, "Y/m/d")
    if field.name in YEAR_FIELDS:
        return fiscal_year_label(value)
    return str(value)
