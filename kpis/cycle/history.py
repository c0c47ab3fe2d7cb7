"""An indicator's change history, read from django-simple-history as field-level changes.

The indicator, its actual values and its expected values each keep their own history table; this merges
the three into one list of "who changed which field from what to what, when and why", newest first, in a
fixed number of queries however long the history is.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import groupby

from django.utils import timezone
from django.utils.translation import gettext as _

from goals.models import Department
from kpis.models import ActualValue, ExpectedValue, Indicator
from lib.fiscal import fiscal_year_label, month_label
from lib.negatives import triangle_negatives
from lib.numbers import format_decimal
from lib.reasons import shown_reason

# Bookkeeping and identity fields say which row changed, not what changed in it; the plan's structure
# (goal, measure, order) belongs to load_plan and shows on the page as the indicator's places.
SKIPPED = {
    "id",
    "strategy",
    "indicator",
    "fiscal_year",
    "version",
    "entered_at",
    "entered_by",
    "goal",
    "measure",
    "order",
}
MISSING = "−"


@dataclass(frozen=True)
class Change:
    when: datetime  # aware, in the current time zone (Asia/Tokyo)
    who: str
    subject: str  # 「指標」, 「2025年度（令和7年度） 実績値」…
    field: str  # the field's verbose name, or 「（新規作成）」/「（削除）」
    before: str
    after: str
    why: str  # in the reader's language when the application wrote it (lib.reasons)
    kind: str  # "+" created, "~" changed, "-" deleted


def _who(record) -> str:
    user = record.history_user
    if user is None:
        return _("（システム）")
    return user.get_full_name() or user.get_username()


def _display(field, value, departments: dict[int, str]) -> str:
    if value is None or value == "":
        return MISSING
    if field.name == "department":
        return departments.get(value, str(value))
    if field.name in ("data_period", "revised_from_year"):
        return fiscal_year_label(value)
    if field.name == "continues":
        return _earlier_indicator(value)
    if field.name in ("latest_publication", "next_publication"):
        return month_label(value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("はい") if value else _("いいえ")
    if isinstance(value, Decimal):
        return format_decimal(value, triangle=triangle_negatives())
    return str(value)


def _earlier_indicator(pk: int) -> str:
    """The indicator of an earlier plan an indicator continues, as people know it (a rare change: one query)."""
    earlier = Indicator.objects.select_related("strategy").filter(pk=pk).first()
    return f"{earlier.strategy.name} {earlier.code} {earlier.name}" if earlier else str(pk)


def _fields(history_model):
    """The tracked fields worth showing, in model order, with the attribute that holds each value."""
    return [
        (field, field.attname)
        for field in history_model._meta.fields
        if not field.name.startswith("history_") and field.name not in SKIPPED
    ]


def _changes(records, subject_of, departments, summary_of=None) -> list[Change]:
    """Field-level changes between consecutive versions of each object."""
    changes = []
    if not records:
        return changes
    fields = _fields(type(records[0]))
    records = sorted(records, key=lambda r: (r.id, r.history_date, r.history_id))
    for _object_id, versions in groupby(records, key=lambda r: r.id):
        previous = None
        for record in versions:
            common = {
                "when": timezone.localtime(record.history_date),
                "who": _who(record),
                "subject": subject_of(record),
                "why": shown_reason(record.history_change_reason),
                "kind": record.history_type,
            }
            if record.history_type == "-":
                changes.append(Change(field=_("（削除）"), before="", after="", **common))
            elif previous is None and summary_of is not None:
                changes.append(
                    Change(field=_("（新規作成）"), before=MISSING, after=summary_of(record), **common)
                )
            else:
                for field, attname in fields:
                    before = None if previous is None else getattr(previous, attname)
                    after = getattr(record, attname)
                    if previous is not None and before == after:
                        continue
                    if previous is None and after in (None, ""):
                        continue  # a new row: list only what it was created with
                    changes.append(
                        Change(
                            field=str(field.verbose_name),
                            before=_display(field, before, departments) if previous else MISSING,
                            after=_display(field, after, departments),
                            **common,
                        )
                    )
            previous = record
    return changes


def indicator_history(indicator: Indicator) -> list[Change]:
    """Every recorded change to the indicator, its actual values and expected values, newest first.

    Four queries: the three history tables (with their users) and the department names.
    """
    own = list(Indicator.history.filter(id=indicator.pk).select_related("history_user"))
    actuals = list(ActualValue.history.filter(indicator_id=indicator.pk).select_related("history_user"))
    expected = list(ExpectedValue.history.filter(indicator_id=indicator.pk).select_related("history_user"))
    # All of them (a town has tens): an empty pk__in would skip the query and change the count.
    departments = dict(Department.objects.values_list("pk", "name"))

    # The indicator's creation is one line (its code and name); a figure's creation lists what it holds.
    changes = _changes(own, lambda r: _("指標"), departments, summary_of=lambda r: f"{r.code} {r.name}")
    changes += _changes(actuals, lambda r: f"{fiscal_year_label(r.fiscal_year)} {_('実績値')}", departments)
    changes += _changes(expected, lambda r: f"{fiscal_year_label(r.fiscal_year)} {_('期待値')}", departments)
    changes.sort(key=lambda c: c.when, reverse=True)
    return changes
