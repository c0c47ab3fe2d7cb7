"""Template tags for figures that arrive late: {% load late_figures %}.

`missing_state`: 「公表待ち（次回公表: 2027年3月）」 or 「未入力」 for a year without a figure (kpis.rules.publication);
`quality_mark`: the symbol statistical tables print beside a provisional (p) or revised (r) figure;
`data_period`: 「令和3年度データ」 under a figure that measures an earlier year than it is reported for;
`unapproved_mark`: 「入力中」「提出済」 beside a figure not yet approved;
`revised_mark`: 「2026年度から（中間見直し）」 beside a target revised mid-term.
"""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from kpis.models import ActualValue
from kpis.rules.publication import MissingFigure
from kpis.rules.publication import missing_state as state_of
from lib.fiscal import data_period_label, month_label

register = template.Library()


@register.simple_tag
def missing_state(indicator) -> MissingFigure:
    """The state of the indicator's missing figure; use as {% missing_state indicator as state %}."""
    return state_of(indicator)


@register.simple_tag
def quality_mark(record) -> str:
    """<sup>p</sup> beside a provisional figure, <sup>r</sup> beside a revised one; "" otherwise."""
    if record is None or getattr(record, "value", None) is None or not record.quality_symbol:
        return ""
    return format_html(
        '<sup class="quality-mark" title="{}">{}</sup>', record.get_quality_display(), record.quality_symbol
    )


@register.simple_tag
def data_period(record) -> str:
    """「令和3年度データ」 when the figure measures another year than the one it is reported for; else ""."""
    if record is None or getattr(record, "value", None) is None:
        return ""
    measured = record.measured_year
    if measured == record.fiscal_year:
        return ""
    return format_html('<br><small class="data-period">{}</small>', data_period_label(measured))


@register.filter
def month(day) -> str:
    """A publication month: 2027年3月 (March 2027)."""
    return month_label(day) if day else "−"


@register.filter
def data_period_of(fiscal_year, indicator) -> str:
    """令和3年度データ: the period the indicator's figure for `fiscal_year` measures."""
    return data_period_label(indicator.data_period_of(int(fiscal_year)))


@register.simple_tag
def unapproved_mark(record) -> SafeString | str:
    """「入力中」「提出済」 beside a figure not yet approved, where it stands beside approved ones (`record`: an
    ActualValue or None)."""
    if getattr(record, "value", None) is None or record.status == ActualValue.Status.APPROVED:
        return ""
    return format_html(
        ' <span class="status status-{} unapproved-mark" title="{}">{}</span>',
        record.status,
        _("承認前の値です"),
        record.get_status_display(),
    )


@register.simple_tag
def revised_mark(indicator) -> SafeString | str:
    """The year a mid-term revision (中間見直し) of the indicator applies from, beside its target."""
    year = getattr(indicator, "revised_from_year", None)
    if not year:
        return ""
    return format_html(
        ' <span class="badge revised">{}</span>', _("%(year)s年度から（中間見直し）") % {"year": year}
    )
