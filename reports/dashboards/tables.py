"""The indicator table: evaluated rows (plain dicts), sortable by their evaluated values, and its CSV."""

from decimal import Decimal

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kpis.models import ActualValue
from kpis.rules.evaluation import Evaluation
from kpis.rules.scale import Scale
from lib.fiscal import fiscal_year_label
from lib.negatives import triangle_negatives
from lib.numbers import format_decimal
from lib.templatetags.figures import grade_badge
from reports.dashboards.presenters import grade_rank

MISSING = "−"


def _sort_key(value):
    """Missing values after every number (ascending), whatever their sign."""
    return (value is None, value if value is not None else Decimal(0))


def indicator_rows(
    evaluations: list[Evaluation], year: int, scale: Scale, statuses: dict[int, str]
) -> list[dict]:
    """One dict per indicator with its plan data and its evaluated figures for `year`.

    The indicators come from queries.table_indicators (their goal's, measure's and department's names,
    `repost` and `digital` annotated); `statuses`: the
    status of each one's figure for `year` by indicator id (queries.figure_statuses), empty for readers
    who do not see statuses."""
    rank = grade_rank(scale)
    labels = dict(ActualValue.Status.choices)
    rows = []
    for position, evaluation in enumerate(evaluations):
        indicator = evaluation.indicator
        result = evaluation.year(year)
        status = statuses.get(indicator.pk, "")
        rows.append(
            {
                "position": position,
                "code": indicator.code,
                "kind": indicator.kind,
                "name": indicator.name,
                "unit": indicator.unit,
                "places": indicator.decimal_places,
                "shown_places": indicator.shown_places,
                "goal": indicator.goal_code,
                "goal_number": indicator.goal_number,
                "measure": indicator.measure_code or "",
                "department": indicator.department_name or "",
                "baseline": indicator.baseline_value,
                "baseline_sort": _sort_key(indicator.baseline_value),
                "baseline_year": indicator.baseline_year,
                "target": indicator.target_value,
                "target_sort": _sort_key(indicator.target_value),
                "target_year": indicator.target_year,
                "expected": result.expected,
                "expected_sort": _sort_key(result.expected),
                "actual": result.actual,
                "compared": result.compared,
                "actual_sort": _sort_key(result.compared),
                "cumulative": indicator.aggregation == "cumulative",
                "rate": result.rate,
                "rate_sort": _sort_key(result.rate),
                "grade": result.grade,
                "grade_name": scale.name_of(result.grade),
                "grade_rank": rank[result.grade],
                "status": str(labels[status]) if status else "",
                "status_sort": status,
                "digital": indicator.digital,
                "repost": indicator.repost,
            }
        )
    return rows


class NumberColumn(tables.Column):
    """A Decimal shown like everywhere else (thousands separators, 「−」 when missing), sorted by value.

    `places`: the record's key of the decimals to show (a computed expected value: "shown_places")."""

    def __init__(self, *args, places: str = "places", **kwargs):
        kwargs.setdefault("attrs", {"th": {"class": "num"}, "td": {"class": "num"}})
        kwargs.setdefault("empty_values", ())
        super().__init__(*args, **kwargs)
        self.places = places

    def render(self, value, record):
        if value is None:
            return MISSING
        shown = format_decimal(value, record[self.places], triangle=triangle_negatives())
        return format_html('{}<span class="unit">{}</span>', shown, record["unit"])


class IndicatorTable(tables.Table):
    code = tables.Column(
        verbose_name=gettext_lazy("コード"), order_by=("position",), attrs={"td": {"class": "code"}}
    )
    kind = tables.Column(verbose_name=gettext_lazy("種別"), order_by=("kind", "position"))
    name = tables.Column(verbose_name=gettext_lazy("指標名"), attrs={"td": {"class": "name"}})
    goal = tables.Column(verbose_name=gettext_lazy("基本目標"), order_by=("goal_number", "position"))
    department = tables.Column(
        verbose_name=gettext_lazy("担当課"),
        order_by=("department", "position"),
        attrs={"td": {"class": "nowrap"}},
    )
    baseline = NumberColumn(verbose_name=gettext_lazy("基準値"), order_by=("baseline_sort",))
    target = NumberColumn(verbose_name=gettext_lazy("目標値"), order_by=("target_sort",))
    expected = NumberColumn(
        verbose_name=gettext_lazy("期待値"), order_by=("expected_sort",), places="shown_places"
    )
    compared = NumberColumn(verbose_name=gettext_lazy("実績値"), order_by=("actual_sort",))
    rate = tables.Column(
        verbose_name=gettext_lazy("達成率"),
        order_by=("rate_sort",),
        empty_values=(),
        attrs={"th": {"class": "num"}, "td": {"class": "num"}},
    )
    grade = tables.Column(
        verbose_name=gettext_lazy("評価"), order_by=("grade_rank", "position"), empty_values=()
    )
    status = tables.Column(
        verbose_name=gettext_lazy("状態"), order_by=("status_sort", "position"), empty_values=()
    )

    class Meta:
        template_name = "django_tables2/ami.html"
        # stack-narrow: on a phone each row is a card, each cell labelled with its column (static/css/dashboards.css).
        attrs = {
            "class": "data indicator-table stack-narrow",
            "role": "table",
            "thead": {"role": "rowgroup"},
            "tbody": {"role": "rowgroup"},
        }
        order_by = ("code",)
        empty_text = gettext_lazy("条件に合う指標はありません。")
        orderable = True

    def __init__(self, data, *args, internal: bool, year: int, **kwargs):
        exclude = () if internal else ("status",)
        super().__init__(data, *args, exclude=exclude, **kwargs)
        self.year = year

    def render_code(self, value, record):
        return format_html('<a href="{}">{}</a>', _indicator_url(record), value)

    def render_name(self, value, record):
        marks = [("repost", _("再掲あり"))] if record["repost"] else []
        if record["digital"]:
            marks.append(("digital", _("デジタル活用")))
        return format_html(
            '<a href="{}">{}</a>{}',
            _indicator_url(record),
            value,
            format_html_join("", ' <span class="{}">{}</span>', marks),
        )

    def render_goal(self, value, record):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("dashboards:goal", args=[value]),
            _("基本目標%(n)s") % {"n": record["goal_number"]},
        )

    def render_rate(self, value):
        return MISSING if value is None else f"{format_decimal(value, 1, triangle=triangle_negatives())}%"

    def render_grade(self, value, record):
        return grade_badge(value, record["grade_name"] or _("評価不能"))

    def render_status(self, value):
        return value or MISSING


def _indicator_url(record: dict) -> str:
    """Reversed for the page's rows only, not for each of the thousands a plan's table sorts and filters."""
    return reverse("dashboards:indicator", args=[record["code"]])


def _plain(value):
    """A number as spreadsheets read it: no thousands separators, no trailing zeros."""
    if value is None:
        return ""
    return Decimal(format_decimal(value).replace(",", ""))


def csv_rows(table: IndicatorTable, internal: bool) -> tuple[list[str], list[list]]:
    """Every filtered row (not only the page), in the table's order."""
    label = fiscal_year_label(table.year)
    header = [
        _("コード"),
        _("種別"),
        _("指標名"),
        _("基本目標"),
        _("施策の方向"),
        _("担当課"),
        _("単位"),
        _("基準年度"),
        _("基準値"),
        _("目標年度"),
        _("目標値"),
        _("年度"),
        _("期待値"),
        _("実績値"),
        _("累計値"),
        _("達成率（％）"),
        _("評価"),
        _("評価の名称"),
        _("デジタル活用"),
        _("再掲"),
    ]
    if internal:
        header.append(_("状態"))
    rows = []
    for bound in table.rows:
        r = bound.record
        row = [
            r["code"],
            r["kind"],
            r["name"],
            r["goal"],
            r["measure"],
            r["department"],
            r["unit"],
            r["baseline_year"],
            _plain(r["baseline"]),
            r["target_year"],
            _plain(r["target"]),
            label,
            _plain(r["expected"]),
            _plain(r["actual"]),
            _plain(r["compared"]) if r["cumulative"] else "",
            _plain(r["rate"]),
            r["grade"],
            r["grade_name"] or _("評価不能"),
            _("○") if r["digital"] else "",
            _("○") if r["repost"] else "",
        ]
        if internal:
            row.append(r["status"])
        rows.append(row)
    return header, rows
