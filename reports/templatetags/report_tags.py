"""Small helpers for the dashboard templates.

The visibility tags only ask accounts.access: the rules themselves live there, never here.
"""

from django import template
from django.utils.translation import gettext as _

from accounts.access import can_read_dashboards
from kpis.rules.achievement import NOT_EVALUABLE
from lib.templatetags.figures import grade_badge

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
