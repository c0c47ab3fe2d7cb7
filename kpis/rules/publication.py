"""Figures that arrive late: whether a missing figure is 公表待ち (its source publishes later) or 未入力.

The one place that decides it; every page, the to-do lists, the reminder mails, the submit check, the
workbook and the API ask here.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kpis.models import ActualValue, Indicator
from lib.fiscal import month_label


@dataclass(frozen=True)
class MissingFigure:
    """The state of a figure not entered: 公表待ち until `next_publication`, else 未入力."""

    next_publication: datetime.date | None = None

    @property
    def awaiting(self) -> bool:
        return self.next_publication is not None

    @property
    def code(self) -> str:
        """ "awaiting" or "missing": for CSS classes and the API."""
        return "awaiting" if self.awaiting else "missing"

    @property
    def label(self) -> str:
        if self.awaiting:
            return _("公表待ち（次回公表: %(month)s）") % {"month": month_label(self.next_publication)}
        return _("未入力")

    def __str__(self) -> str:
        return self.label


def _month_not_over(month: datetime.date, today: datetime.date) -> bool:
    """A publication announced for a month may come on its last day: it is awaited until the month ends."""
    return (month.year, month.month) >= (today.year, today.month)


def awaiting_publication(indicator: Indicator, today: datetime.date | None = None) -> bool:
    """The indicator's source publishes its next figure in a month not over yet."""
    month = indicator.next_publication
    return month is not None and _month_not_over(month, today or timezone.localdate())


def missing_state(indicator: Indicator, today: datetime.date | None = None) -> MissingFigure:
    """The state of the indicator's figure for a year that has none (no row, or a row without a value)."""
    return missing_by_month(indicator.next_publication, today)


def missing_by_month(
    next_publication: datetime.date | None, today: datetime.date | None = None
) -> MissingFigure:
    """missing_state from the indicator's next publication month alone (for rows read without a model)."""
    if next_publication is not None and _month_not_over(next_publication, today or timezone.localdate()):
        return MissingFigure(next_publication)
    return MissingFigure()


def figure_state(
    indicator: Indicator, record: ActualValue | None, today: datetime.date | None = None
) -> MissingFigure | None:
    """None when the year has a figure; else its MissingFigure (公表待ち or 未入力)."""
    if record is not None and record.value is not None:
        return None
    return missing_state(indicator, today)


def awaiting_q(prefix: str = "", today: datetime.date | None = None) -> Q:
    """The same rule as awaiting_publication, as a filter on indicators (`prefix`: "indicator__" from figures)."""
    today = today or timezone.localdate()
    return Q(**{f"{prefix}next_publication__gte": today.replace(day=1)})


def awaiting_figures(indicators, years, today: datetime.date | None = None) -> dict[tuple[int, int], list]:
    """(department id, year) → [(indicator, its MissingFigure)] for the figures of `indicators` (a queryset)
    in `years` that are not entered and 公表待ち: two queries (one when none of them awaits a publication)."""
    today = today or timezone.localdate()
    waiting = list(indicators.filter(awaiting_q(today=today)))
    if not waiting or not years:
        return {}
    entered = set(
        ActualValue.objects.filter(
            indicator__in=waiting, fiscal_year__in=years, value__isnull=False
        ).values_list("indicator_id", "fiscal_year")
    )
    cells: dict[tuple[int, int], list] = {}
    for indicator in waiting:
        for year in years:
            if (indicator.pk, year) not in entered:
                cells.setdefault((indicator.department_id, year), []).append(
                    (indicator, missing_state(indicator, today))
                )
    return cells
