"""Small helpers for the dashboard templates.

The visibility tags only ask accounts.access: the rules themselves live there, never here.
"""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from accounts.access import can_read_dashboards
from kpis.rules.achievement import NOT_EVALUABLE
from kpis.templatetags.late_figures import missing_state, quality_mark, revised_mark, unapproved_mark
from lib.templatetags.figures import figure, figure_drawer, fy_short, grade_badge, rate

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
def department_row(context, row, scale, internal: bool) -> SafeString:
    """A row of the department table (reports.dashboards.presenters.department_rows): the indicator, its
    目標値 with its revision mark, then `department_cells`.

    Written here rather than by a template loop: a page holds 50 rows of up to 30 cells, and the template
    engine's cost per tag was most of the page's time."""
    indicator = row["evaluation"].indicator
    return format_html(
        '<tr><th scope="row"><a href="{}">{}</a><br><span class="code">{}</span></th><td class="num">{}{}</td>'
        "{}</tr>",
        indicator.get_absolute_url(),
        indicator.name,
        indicator.code,
        figure(indicator.target_value, indicator.decimal_places, indicator.unit),
        revised_mark(indicator),
        department_cells(context, indicator, row["cells"], scale, internal),
    )


def department_cells(context, indicator, cells, scale, internal: bool) -> SafeString:
    """The department table's cells of one indicator, year by year: 実績値 with its quality mark, 評価 and,
    for internal readers, 状態 (the figure's status, else 公表待ち or 未入力). The badges and status labels
    repeat, so each is drawn once per page (kept in the render context)."""
    drawn = context.render_context.setdefault("department_cells", {})
    compared = figure_drawer(indicator.decimal_places, indicator.unit, indicator.note)
    missing = None
    html = []
    for cell in cells:
        result, record = cell["result"], cell["record"]
        html.append(
            f'<td class="num">{compared(result.compared)}{quality_mark(record)}</td>'
            f"<td>{_once(drawn, ('grade', result.grade), grade, scale, result.grade)}</td>"
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


@register.simple_tag(takes_context=True)
def year_table_rows(context, indicator, cells, scale) -> SafeString:
    """The rows of an indicator's year table (includes/year_table.html): its baseline, then one row a year
    of {result, record} cells (reports.dashboards.presenters.year_cells) with 期待値, 実績値 and its marks,
    達成率 and 評価.

    Written here rather than by a template loop, as `department_cells`: a goal page holds twelve of these
    tables. Year labels and badges repeat, so each is drawn once per page."""
    drawn = context.render_context.setdefault("year_table_rows", {})
    places, unit = indicator.decimal_places, indicator.unit
    baseline = indicator.baseline_value
    html = [
        format_html(
            '<tr><th scope="row">{}</th><td class="num">−</td><td class="num">{}{}</td>'
            '<td class="num">−</td><td>−</td></tr>',
            _once(drawn, ("year", indicator.baseline_year), fy_short, indicator.baseline_year),
            figure(baseline, places, unit),
            format_html("<br><small>{}</small>", _("（基準値）")) if baseline is not None else "",
        )
    ]
    expected = figure_drawer(indicator.shown_places, unit)
    compared = figure_drawer(places, unit, indicator.note)
    for cell in cells:
        result, record = cell["result"], cell["record"]
        html.append(
            format_html(
                '<tr><th scope="row">{}</th><td class="num">{}</td><td class="num">{}{}{}{}</td>'
                '<td class="num">{}</td><td>{}</td></tr>',
                _once(drawn, ("year", result.fiscal_year), fy_short, result.fiscal_year),
                expected(result.expected),
                compared(result.compared),
                quality_mark(record),
                unapproved_mark(record),
                _awaiting(indicator)
                if result.compared is None and getattr(record, "value", None) is None
                else "",
                rate(result.rate),
                _once(drawn, ("grade", result.grade), grade, scale, result.grade),
            )
        )
    return mark_safe("".join(html))


@register.simple_tag(takes_context=True)
def plan_row_cells(context, row, year, scale, internal: bool) -> SafeString:
    """The goal page's plan table: the cells of one KPI row (reports.dashboards.presenters.plan_rows), from
    its name to its 評価 and, for internal readers, its 状態. Drawn here, as `year_table_rows`."""
    drawn = context.render_context.setdefault("plan_row_cells", {})
    indicator, result, record = row["evaluation"].indicator, row["result"], row["record"]
    places, unit = indicator.decimal_places, indicator.unit
    department = indicator.department
    html = [
        format_html(
            '<td><a href="{}">{}</a>{}<br><span class="code">{}</span></td><td class="department">{}</td>'
            '<td class="num">{}</td><td class="num">{}</td><td class="num">{}{}</td><td class="num">{}{}</td>'
            '<td class="num">{}</td><td>{}</td>',
            indicator.get_absolute_url(),
            indicator.name,
            format_html('<span class="repost">{}</span>', _("【再掲】"))
            if row["placement"].is_repost
            else "",
            indicator.code,
            format_html('<a href="{}?fy={}">{}</a>', department.get_absolute_url(), year, department.name)
            if department
            else "−",
            figure(indicator.baseline_value, places, unit),
            figure(result.expected, indicator.shown_places, unit),
            figure(result.compared, places, unit, indicator.note),
            quality_mark(record),
            figure(indicator.target_value, places, unit),
            revised_mark(indicator),
            rate(result.rate),
            _once(drawn, ("grade", result.grade), grade, scale, result.grade),
        )
    ]
    if internal:
        if record:
            state = _once(drawn, ("status", record.status), record.get_status_display)
        else:
            missing = missing_state(indicator)
            state = _once(drawn, ("missing", missing), _missing_state, missing)
        html.append(format_html('<td class="nowrap">{}</td>', state))
    return mark_safe("".join(html))


def _missing_state(missing) -> SafeString:
    return format_html('<span class="figure-state figure-state-{}">{}</span>', missing.code, missing)


def _awaiting(indicator) -> SafeString | str:
    """「公表待ち」 under a missing figure whose source has not published it yet; "" otherwise."""
    state = missing_state(indicator)
    if not state.awaiting:
        return ""
    return format_html('<br><small class="figure-state figure-state-awaiting">{}</small>', state)
