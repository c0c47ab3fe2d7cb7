"""The table of a department's indicators shared by the entry and review screens."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from accounts import access
from kpis.cycle import checks, services
from kpis.cycle.forms import EntryRowForm
from kpis.models import ActualValue, Indicator, NextStep, ReturnNote, Submission
from kpis.rules.achievement import YearResult
from kpis.rules.evaluation import scale_for, year_evaluations
from kpis.rules.publication import MissingFigure, figure_state
from lib.fiscal import fiscal_year_label
from lib.negatives import triangle_negatives
from lib.numbers import MISSING, format_decimal


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
    warnings: list[str] = field(default_factory=list)
    # The 指摘 of the submission's latest 差戻し (attach_return_notes), and on the review page the input
    # for a new one (a BoundField of ReturnForm) while the submission may be returned.
    return_note: ReturnNote | None = None
    note_field: object = None
    # Last year's stored figure (None when `previous` is the baseline): marked when not yet approved.
    previous_record: ActualValue | None = None

    @property
    def href(self) -> str:
        """The link to this row from the list of questioned rows at the top of its page."""
        return f"#row-{self.indicator.pk}"

    @property
    def missing(self) -> MissingFigure | None:
        """None when the year has a figure; else 公表待ち or 未入力 (kpis.rules.publication)."""
        return figure_state(self.indicator, self.actual)

    @property
    def explained(self) -> bool:
        """A warned figure carries a word of explanation (要因分析 or 備考)."""
        return bool(self.actual and (self.actual.cause_analysis.strip() or self.actual.note.strip()))

    def conflict_lines(self) -> list[tuple[str, str, str]]:
        """(field, stored, typed) for each field where the stored row and this person's input differ."""
        stored, typed = _shown_content(self.conflict.stored), _shown_content(self.conflict.typed)
        return [
            (str(label), before, after)
            for label, before, after in zip(CONTENT_LABELS, stored, typed, strict=True)
            if before != after
        ]

    def changes_since_return(self) -> list[tuple[str, str, str]]:
        """(field, at the return, now) for each field changed since the 差戻し; [] when nothing changed."""
        # A ReturnNote keeps the four fields staff explain a figure with; データ時点 and 速報・確定 are not among them.
        then, now = _shown_content(self.return_note)[:4], _shown_content(self.actual)[:4]
        return [
            (str(label), before, after)
            for label, before, after in zip(CONTENT_LABELS[:4], then, now, strict=True)
            if before != after
        ]

    def conflict_erases(self) -> str:
        """The stored fields an overwrite would empty, 「実績値、要因分析」, or "" when none."""
        stored, typed = _shown_content(self.conflict.stored), _shown_content(self.conflict.typed)
        return "、".join(
            str(label)
            for label, before, after in zip(CONTENT_LABELS, stored, typed, strict=True)
            if after == MISSING and before != MISSING
        )


def figure_rows(
    user, strategy, year, department, *, only=None, editable=False, data=None, conflicts=()
) -> list[Row]:
    """The department's indicators with this year's figures, in a fixed number of queries.

    `only`: the ids of the indicators to show (one page of the entry screen); None: all of them.
    `editable`: rows the user may change carry an EntryRowForm bound to `data` (None: unbound).
    `conflicts`: after a save, the rows refused because someone saved them first: only these keep what
    was typed (with the choice to make); every other row shows what is stored now.
    """
    shown = department_indicators(strategy, department)
    if only is not None:
        shown = shown.filter(pk__in=list(only))
    evaluations = year_evaluations(shown, strategy, year)
    indicators = [e.indicator for e in evaluations]
    scale = scale_for(strategy)
    thresholds = checks.thresholds_of(strategy)
    records = [e.record(year) for e in evaluations]
    names = _entered_by_names(records)
    conflict_of = {c.typed.indicator.pk: c for c in conflicts}
    rows = []
    for indicator, evaluation, actual in zip(indicators, evaluations, records, strict=True):
        previous, previous_is_baseline = checks.previous(indicator, evaluation, year)
        result = evaluation.year(year)
        row = Row(
            indicator=indicator,
            result=result,
            grade_name=scale.name_of(result.grade),
            previous=previous,
            previous_is_baseline=previous_is_baseline,
            previous_record=None if previous_is_baseline else evaluation.record(year - 1),
            actual=actual,
            entered_by=names.get(actual.entered_by_id, "") if actual else "",
            conflict=conflict_of.get(indicator.pk),
        )
        row.warnings = checks.warning_texts(indicator, result, previous, row.grade_name, thresholds)
        if editable and access.can_edit_actual(user, actual):
            row_data = _to_answer(data, row.conflict) if conflicts else data
            row.form = EntryRowForm(
                row_data, indicator=indicator, fiscal_year=year, initial=EntryRowForm.initial_for(actual)
            )
        rows.append(row)
    return rows


def department_indicators(strategy, department):
    """A department's indicators in the plan, in the order its screens list them."""
    return Indicator.objects.of_strategy(strategy).filter(department=department)


def attach_return_notes(rows: list[Row], submission: Submission) -> dict[int, ReturnNote]:
    """Give each row the 指摘 of the submission's latest 差戻し (one query; none when there can be none).
    Returns every note of that return by indicator id, the rows not shown included."""
    notes = {note.indicator_id: note for note in ReturnNote.objects.of_last_return(submission)}
    for row in rows:
        row.return_note = notes.get(row.indicator.pk)
    return notes


@dataclass(frozen=True)
class QuestionedElsewhere:
    """An indicator questioned at the last 差戻し whose row is on another page of the entry screen."""

    indicator: Indicator
    return_note: ReturnNote
    href: str


def _entered_by_names(records) -> dict[int, str]:
    user_ids = {r.entered_by_id for r in records if r is not None and r.entered_by_id}
    return {u.pk: u.get_full_name() or u.username for u in get_user_model().objects.filter(pk__in=user_ids)}


def _to_answer(data, conflict: services.Conflict | None):
    """A row in conflict keeps what was typed and asks again about the stored row shown now; others: None."""
    if conflict is None:
        return None
    data = data.copy()
    prefix = f"i{conflict.typed.indicator.pk}"
    data[f"{prefix}-contested"] = conflict.mark
    data.pop(f"{prefix}-choice", None)
    return data


CONTENT_LABELS = (_("実績値"), _("備考"), _("要因分析"), _("今後の方向性"), _("データ時点"), _("速報・確定"))
QUALITY_LABELS = dict(ActualValue.Quality.choices)


def _shown_content(row) -> tuple[str, ...]:
    """A stored ActualValue's or a typed RowInput's content as the page writes it ("−" for empty)."""
    if row is None:
        return (MISSING,) * 6
    next_step = NextStep(row.next_step).label if row.next_step in NextStep.values else row.next_step
    data_period = getattr(row, "data_period", None)
    quality = getattr(row, "quality", "") or ActualValue.Quality.FINAL
    return (
        format_decimal(row.value, triangle=triangle_negatives()),
        row.note or MISSING,
        row.cause_analysis or MISSING,
        str(next_step) or MISSING,
        fiscal_year_label(data_period) if isinstance(data_period, int) else MISSING,
        str(QUALITY_LABELS.get(quality, quality)),
    )
