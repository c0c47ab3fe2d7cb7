"""Small helpers for the dashboard templates.

The visibility tags only ask accounts.access: the rules themselves live there, never here.
"""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from accounts.access import can_read_dashboards
from kpis.rules.achievement import NOT_EVALUABLE
from kpis.templatetags.late_figures import missing_state, quality_mark
from lib.templatetags.figures import figure, grade_badge

register = template.Library()


@register.simple_tag
def dashboards_visible(user) -> bool:
    """Whether the nav shows the dashboards: public ones, or a signed-in user with a role."""
    return can_read_dashboards(user)


@register.filter
def band_name(scale, label) -> str:
    """The grade's name (順調…), 「評価不能」 for −."""
    if label == NOT_EVALUABLE:
        return _("評価不能")
    return scale.name_of(label) if scale else ""


@register.simple_tag
def grade(scale, label):
    """A grade badge with its letter and name, from the strategy's scale."""
    return grade_badge(label, band_name(scale, label))


@register.simple_tag(takes_context=True)
def department_cells(context, indicator, cells, scale, internal: bool) -> SafeString:
    """The department table's cells of one indicator, year by year: 実績値 with its quality mark, 評価 and,
    for internal readers, 状態 (the figure's status, else 公表待ち or 未入力).

    Written here rather than by a template loop: a page holds 50 rows of up to 30 cells, and the template
    engine's cost per tag was most of the page's time. The badges and status labels repeat, so each is
    drawn once per page (kept in the render context)."""
    drawn = context.render_context.setdefault("department_cells", {})
    missing = None
    html = []
    for cell in cells:
        result, record = cell["result"], cell["record"]
        html.append(
            format_html(
                '<td class="num">{}{}</td><td>{}</td>',
                figure(result.compared, indicator.decimal_places, indicator.unit, indicator.note),
                quality_mark(record),
                _once(drawn, ("grade", result.grade), grade, scale, result.grade),
            )
        )
        if not internal:
            continue
        if record:
            html.append(
                _once(drawn, ("status", record.status), _status, record.status, record.get_status_display)
            )
        else:
            missing = missing or missing_state(indicator)
            html.append(_once(drawn, ("missing", missing), _status, missing.code, missing.__str__))
    return mark_safe("".join(html))


def _once(drawn: dict, key, draw, *args):
    """draw(*args), drawn once for each key."""
    if key not in drawn:
        drawn[key] = draw(*args)
    return drawn[key]


def _status(code: str, label) -> SafeString:
    """A 状態 cell; `label`: a callable, called only when the cell is first drawn."""
    return format_html('<td><span class="status status-{}">{}</span></td>', code, label())
