"""The table of a department's indicators shared by the entry and review screens."""

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model

from accounts import access
from kpis.cycle import services
from kpis.cycle.forms import EntryRowForm
from kpis.models import ActualValue, Indicator
from kpis.rules.achievement import YearResult
from kpis.rules.evaluation import Evaluation, evaluate_all, scale_for


@dataclass
class Row:
    """One indicator on the entry or review screen."""

    indicator: Indicator
    result: YearResult
    previous: Decimal | None
    previous_is_baseline: bool
    actual: ActualValue | None
    entered_by: str
    grade_name: str
    form: EntryRowForm | None = None
    conflict: services.Conflict | None = None


def figure_rows(user, strategy, year, department, *, editable=False, data=None, conflicts=()) -> list[Row]:
    """The department's indicators with this year's figures, in a fixed number of queries.

    `editable`: rows the user may change carry an EntryRowForm bound to `data` (None: unbound).
    `conflicts`: rows refused by the optimistic lock, shown with both values.
    """
    indicators = list(Indicator.objects.with_figures().of_strategy(strategy).filter(department=department))
    scale = scale_for(strategy)
    evaluations = evaluate_all(indicators, strategy, scale=scale)
    records = [e.record(year) for e in evaluations]
    names = _entered_by_names(records)
    conflict_of = {c.typed.indicator.pk: c for c in conflicts}
    if data is not None and conflicts:
        data = _with_stored_versions(data, indicators, records)
    rows = []
    for indicator, evaluation, actual in zip(indicators, evaluations, records, strict=True):
        previous, previous_is_baseline = _previous(indicator, evaluation, year)
        result = evaluation.year(year)
        row = Row(
            indicator=indicator,
            result=result,
            grade_name=scale.name_of(result.grade),
            previous=previous,
            previous_is_baseline=previous_is_baseline,
            actual=actual,
            entered_by=names.get(actual.entered_by_id, "") if actual else "",
            conflict=conflict_of.get(indicator.pk),
        )
        if editable and access.can_edit_actual(user, actual):
            row.form = EntryRowForm(data, indicator=indicator, initial=EntryRowForm.initial_for(actual))
        rows.append(row)
    return rows


def _entered_by_names(records) -> dict[int, str]:
    user_ids = {r.entered_by_id for r in records if r is not None and r.entered_by_id}
    return {u.pk: u.get_full_name() or u.username for u in get_user_model().objects.filter(pk__in=user_ids)}


def _with_stored_versions(data, indicators, records):
    """Re-shown after a refused row: the inputs carry the stored versions now, so a second save
    overwrites deliberately, after both values have been seen."""
    data = data.copy()
    for indicator, actual in zip(indicators, records, strict=True):
        data[f"i{indicator.pk}-version"] = str(actual.version if actual else 0)
    return data


def _previous(indicator: Indicator, evaluation: Evaluation, year: int) -> tuple[Decimal | None, bool]:
    """Last year's figure, or the baseline when the baseline year is last year: (value, is_baseline)."""
    if indicator.baseline_year == year - 1:
        return indicator.baseline_value, True
    record = evaluation.record(year - 1)
    return (record.value if record else None), False
