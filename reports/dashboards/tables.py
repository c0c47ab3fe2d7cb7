"""The indicator table: plain rows with their stored results, sorted and paged by the database, and its CSV."""

from decimal import Decimal

import django_tables2 as tables
from django.db.models import Case, DecimalField, F, Func, IntegerField, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kpis.models import INDICATOR_ORDER, ActualValue, Indicator
from kpis.rules.achievement import Aggregation, YearResult
from kpis.rules.scale import Scale
from lib.fiscal import fiscal_year_label
from lib.negatives import triangle_negatives
from lib.numbers import format_decimal
from lib.templatetags.figures import grade_badge
from reports.dashboards.presenters import grade_rank

MISSING = "−"

# The result fields of a row (queries.table_rows), as kpis.rules.achievement.YearResult names them.
RESULT_FIELDS = ("expected", "actual", "compared", "rate", "grade")


def shown_places(record: dict) -> int:
    """Decimals of a computed figure (the expected value), as Indicator.shown_places decides them."""
    return Indicator.places_to_show(record["places"], record["baseline"], record["target"])


def plan_order() -> list:
    """The table's tie-breaker and its 「コード」 order: the plan's order (kpis.models.INDICATOR_ORDER)."""
    return [F(name) for name in INDICATOR_ORDER] + [F("id")]


def _as_number(name: str) -> Func:
    """A stored result (kept as its exact text, lib.fields.ExactDecimalField) as a number the database sorts
    by: exactly on PostgreSQL; on SQLite through its floating point, which orders them as the Decimals do
    unless two differ only beyond their 15th significant digit."""
    return Func(F(name), template="CAST(%(expressions)s AS NUMERIC)", output_field=DecimalField())


def _sort_key(value):
    """Missing values after every number (ascending), whatever their sign."""
    return (value is None, value if value is not None else Decimal(0))


def rows_in_memory(rows, computed: dict[int, YearResult], rank: dict[str, int]) -> list[dict]:
    """The table's rows as a list sorted in memory, for the rare page where some results are not stored
    (`computed`: theirs, computed on read): each row with the keys the columns' `order_by` name, which the
    database computes when it sorts (IndicatorTable.order_*)."""
    listed = []
    for position, row in enumerate(rows):
        result = computed.get(row["id"])
        if result is not None:
            row.update({name: getattr(result, name) for name in RESULT_FIELDS})
        row.update(
            position=position,
            baseline_sort=_sort_key(row["baseline"]),
            target_sort=_sort_key(row["target"]),
            expected_sort=_sort_key(row["expected"]),
            actual_sort=_sort_key(row["compared"]),
            rate_sort=_sort_key(row["rate"]),
            grade_rank=rank[row["grade"]],
            department_sort=row["department_name"] or "",
            status_sort=row["status"] or "",
        )
        listed.append(row)
    return listed


class NumberColumn(tables.Column):
    """A Decimal shown like everywhere else (thousands separators, 「−」 when missing), sorted by value.

    `places`: the decimals to show, of a record (a computed expected value: `shown_places`)."""

    def __init__(self, *args, places=lambda record: record["places"], **kwargs):
        kwargs.setdefault("attrs", {"th": {"class": "num"}, "td": {"class": "num"}})
        kwargs.setdefault("empty_values", ())
        super().__init__(*args, **kwargs)
        self.places = places

    def render(self, value, record):
        if value is None:
            return MISSING
        shown = format_decimal(value, self.places(record), triangle=triangle_negatives())
        return format_html('{}<span class="unit">{}</span>', shown, record["unit"])


class IndicatorTable(tables.Table):
    """The rows of queries.table_rows, sorted and paged by the database (the `order_*` methods: each column's
    `order_by` keys computed in SQL, missing values after every number), or a list from `rows_in_memory`
    sorted by those keys."""

    code = tables.Column(
        verbose_name=gettext_lazy("コード"), order_by=("position",), attrs={"td": {"class": "code"}}
    )
    kind = tables.Column(verbose_name=gettext_lazy("種別"), order_by=("kind", "position"))
    name = tables.Column(
        verbose_name=gettext_lazy("指標名"), order_by=("name", "position"), attrs={"td": {"class": "name"}}
    )
    goal = tables.Column(
        verbose_name=gettext_lazy("基本目標"), accessor="goal_code", order_by=("goal_number", "position")
    )
    department = tables.Column(
        verbose_name=gettext_lazy("担当課"),
        accessor="department_name",
        order_by=("department_sort", "position"),
        attrs={"td": {"class": "nowrap"}},
    )
    baseline = NumberColumn(verbose_name=gettext_lazy("基準値"), order_by=("baseline_sort",))
    target = NumberColumn(verbose_name=gettext_lazy("目標値"), order_by=("target_sort",))
    expected = NumberColumn(
        verbose_name=gettext_lazy("期待値"), order_by=("expected_sort",), places=shown_places
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

    def __init__(self, data, *args, internal: bool, year: int, scale: Scale, **kwargs):
        self.scale = scale  # order_grade needs it, and the constructor may sort
        exclude = () if internal else ("status",)
        super().__init__(data, *args, exclude=exclude, **kwargs)
        self.year = year
        self.grade_names = {label: scale.name_of(label) for label in scale.labels}
        self.status_labels = {value: str(label) for value, label in ActualValue.Status.choices}

    # --- Sorting in the database: the keys rows_in_memory computes, in SQL --------------------------

    def _ordered(self, queryset, keys, descending: bool):
        """`keys`: column names or expressions, "position" for the plan's order; each ascending with
        missing values last, or all descending with them first, then the plan's order for ties."""
        fields = []
        for key in keys:
            for expression in (
                plan_order() if key == "position" else [F(key) if isinstance(key, str) else key]
            ):
                fields.append(
                    expression.desc(nulls_first=True) if descending else expression.asc(nulls_last=True)
                )
        return queryset.order_by(*fields, *plan_order()), True

    def order_code(self, queryset, descending):
        return self._ordered(queryset, ["position"], descending)

    def order_kind(self, queryset, descending):
        return self._ordered(queryset, ["kind", "position"], descending)

    def order_name(self, queryset, descending):
        return self._ordered(queryset, ["name", "position"], descending)

    def order_goal(self, queryset, descending):
        return self._ordered(queryset, ["goal_number", "position"], descending)

    def order_department(self, queryset, descending):
        return self._ordered(queryset, [Coalesce("department_name", Value("")), "position"], descending)

    def order_baseline(self, queryset, descending):
        return self._ordered(queryset, ["baseline"], descending)

    def order_target(self, queryset, descending):
        return self._ordered(queryset, ["target"], descending)

    def order_expected(self, queryset, descending):
        return self._ordered(queryset, [_as_number("expected")], descending)

    def order_compared(self, queryset, descending):
        return self._ordered(queryset, [_as_number("compared")], descending)

    def order_rate(self, queryset, descending):
        return self._ordered(queryset, [_as_number("rate")], descending)

    def order_grade(self, queryset, descending):
        ranks = [When(grade=label, then=Value(rank)) for label, rank in grade_rank(self.scale).items()]
        ranked = Case(*ranks, default=Value(len(ranks)), output_field=IntegerField())
        return self._ordered(queryset, [ranked, "position"], descending)

    def order_status(self, queryset, descending):
        return self._ordered(queryset, [Coalesce("status", Value("")), "position"], descending)

    # --- Cells -----------------------------------------------------------------------------------------

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

    def render_grade(self, value):
        return grade_badge(value, self.grade_name(value))

    def render_status(self, value):
        return self.status_labels.get(value) or MISSING

    def grade_name(self, grade: str | None) -> str:
        return self.grade_names.get(grade) or self.scale.name_of(grade) or _("評価不能")


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
            r["goal_code"],
            r["measure_code"] or "",
            r["department_name"] or "",
            r["unit"],
            r["baseline_year"],
            _plain(r["baseline"]),
            r["target_year"],
            _plain(r["target"]),
            label,
            _plain(r["expected"]),
            _plain(r["actual"]),
            _plain(r["compared"]) if r["aggregation"] == Aggregation.CUMULATIVE else "",
            _plain(r["rate"]),
            r["grade"],
            table.grade_name(r["grade"]),
            _("○") if r["digital"] else "",
            _("○") if r["repost"] else "",
        ]
        if internal:
            row.append(table.status_labels.get(r["status"], ""))
        rows.append(row)
    return header, rows
