"""The open data as it was written before it was read from plain rows (kpis/api/serializers.py and the CSV
writer of kpis/api/views.py, frozen): the reference the property tests compare today's bytes with.

Only the JSON's indentation of text holding a line separator other than "\n" is corrected (json_chunks)."""

import csv as _csv
import datetime
import io as _io
import json
from collections.abc import Iterable, Iterator
from decimal import Decimal
from itertools import chain as _chain
from itertools import groupby
from operator import itemgetter
from typing import NamedTuple

from django.utils import timezone

from goals.models import Strategy
from kpis.models import INDICATOR_ORDER, ActualValue, Indicator, Placement, StoredResult
from kpis.rules.achievement import NOT_EVALUABLE, YearResult
from kpis.rules.evaluation import Evaluation, evaluate_indicator, scale_for
from kpis.rules.publication import figure_state
from lib.csvsafe import neutralise_formula

# Rows read from the database per round trip while streaming (a server-side cursor on PostgreSQL).
CHUNK = 2000
# A stored result's fields in kpis.rules.achievement.YearResult's order, after its fiscal year.
RESULT_FIELDS = ("expected", "actual", "compared", "rate", "grade", "progress")

# The CSV's columns, in order. Fixed (not translated) so that files read back the same everywhere;
# 指標コード, 年度 and 実績値 are the headers import_actuals reads, so an export can be edited and imported.
CSV_COLUMNS = (
    ("code", "指標コード"),
    ("kind", "種別"),
    ("goal_code", "基本目標コード"),
    ("measure_code", "施策の方向コード"),
    ("policy_codes", "施策コード"),
    ("name", "指標名"),
    ("unit", "単位"),
    ("direction", "方向"),
    ("aggregation", "集計方法"),
    ("department_code", "担当課コード"),
    ("department_name", "担当課名"),
    ("baseline_fiscal_year", "基準年度"),
    ("baseline_value", "基準値"),
    ("target_fiscal_year", "目標年度"),
    ("target_value", "目標値"),
    ("fiscal_year", "年度"),
    ("expected", "期待値"),
    ("actual", "実績値"),
    ("data_period", "データ時点"),
    ("quality", "速報・確定"),
    ("figure_state", "値の状態"),
    ("next_publication", "次回データ公表時点"),
    ("status", "状態"),
    ("rate", "達成率"),
    ("grade", "評価"),
    ("progress_from_baseline", "基準値からの進捗率"),
)


def decimal_text(value: Decimal | None) -> str | None:
    """The exact value in plain notation ("400", "3.19", "-12"); stored trailing zeros dropped."""
    if value is None:
        return None
    if value.is_zero():
        return "0"
    return format(value.normalize(), "f")


def fixed_text(value: Decimal | None) -> str | None:
    """A computed figure with the places it was rounded to ("491.67", "100.0")."""
    return None if value is None else format(value, "f")


class Placed(NamedTuple):
    """Where the plan shows an indicator: the policy's code, and whether it is shown again there (【再掲】)."""

    policy_code: str
    is_repost: bool


class Record(NamedTuple):
    """What the export shows of a figure besides its results: its status, the period it measures and how
    final it is (and its value, which says whether it is entered at all)."""

    status: str
    value: Decimal | None
    measured_year: int
    quality: str


def _in_plan_order(queryset, prefix: str = "", *then: str):
    """Rows in their indicator's plan order, its id breaking ties (every stream below agrees on the order),
    then by `then`. `prefix`: the path to the indicator ("indicator__"), none for indicators."""
    return queryset.order_by(*(prefix + f for f in INDICATOR_ORDER), prefix + "id" if prefix else "pk", *then)


def _by_indicator(rows: Iterator[tuple], position: dict[int, int]) -> Iterator[tuple[int, list[tuple]]]:
    """(position of the indicator, its rows) from rows in plan order whose first value is the indicator's id;
    rows of an indicator written after the list of ids was read (position unknown) are left out."""
    for indicator_id, group in groupby(rows, key=itemgetter(0)):
        if indicator_id in position:
            yield position[indicator_id], list(group)


def _take(groups: Iterator[tuple[int, list[tuple]]], pending: list, at: int) -> list[tuple]:
    """The rows of the indicator at position `at` from a stream of groups; `pending` holds the group read
    ahead (a one-item list, [None] at first)."""
    while pending[0] is None or pending[0][0] < at:
        pending[0] = next(groups, (float("inf"), []))
    return pending[0][1] if pending[0][0] == at else []


def _evaluations(
    strategy: Strategy, approved_only: bool, years: list[int]
) -> Iterator[tuple[Evaluation, list]]:
    """Every indicator of the strategy with its results in `years` and where the plan shows it, read in a
    fixed number of queries whatever the plan's size, each as a stream (`.iterator()`): memory does not grow
    with the plan. The streams are in the same (plan) order and merged here; results come as stored
    (kpis.StoredResult) and as plain values, not one model object per figure."""
    indicators = Indicator.objects.filter(strategy=strategy)
    position = {pk: n for n, pk in enumerate(_in_plan_order(indicators).values_list("pk", flat=True))}
    of_plan = {"indicator__strategy": strategy}
    audience = StoredResult.Audience.PUBLIC if approved_only else StoredResult.Audience.INTERNAL
    results = _in_plan_order(
        StoredResult.objects.filter(**of_plan, audience=audience, fiscal_year__in=years), "indicator__"
    ).values_list("indicator_id", "fiscal_year", *RESULT_FIELDS)
    actuals = ActualValue.objects.filter(**of_plan, fiscal_year__in=years)
    if approved_only:
        actuals = actuals.filter(status=ActualValue.Status.APPROVED)
    statuses = _in_plan_order(actuals, "indicator__").values_list(
        "indicator_id", "fiscal_year", "status", "value", "data_period", "quality"
    )
    placements = _in_plan_order(
        Placement.objects.filter(**of_plan),
        "indicator__",
        "policy__measure__goal__number",
        "policy__measure__number",
        "policy__number",
        "order",
    ).values_list("indicator_id", "policy__code", "is_repost")
    streams = [_by_indicator(q.iterator(chunk_size=CHUNK), position) for q in (results, statuses, placements)]
    pending = [[None] for _stream in streams]
    rows = _in_plan_order(indicators.select_related("strategy", "goal", "measure", "department"))
    for indicator in rows.iterator(chunk_size=CHUNK):
        if indicator.pk not in position:
            continue  # written after the list of ids was read
        at = position[indicator.pk]
        stored, entered, placed = (_take(s, p, at) for s, p in zip(streams, pending, strict=True))
        evaluation = _evaluation(indicator, stored, entered, years, approved_only)
        yield evaluation, [Placed(code, repost) for _id, code, repost in placed]


def _evaluation(indicator: Indicator, stored: list, entered: list, years: list[int], approved_only: bool):
    results = {row[1]: YearResult(row[1], *row[2:]) for row in stored}
    if any(year not in results for year in years):
        # Not stored (a bug, or a database not yet brought up to date): evaluation computes it, and logs.
        (fetched,) = Indicator.objects.filter(pk=indicator.pk).with_figures()
        return evaluate_indicator(fetched, years, scale_for(indicator.strategy), approved_only)
    return Evaluation(
        indicator,
        results,
        {
            year: Record(status, value, indicator.data_period_of(year) if period is None else period, quality)
            for _id, year, status, value, period, quality in entered
        },
    )


def _indicator(
    evaluation: Evaluation, placements: list[Placed], years: list[int], today: datetime.date
) -> dict:
    indicator = evaluation.indicator
    department = indicator.department
    return {
        "code": indicator.code,
        "kind": indicator.kind,
        "goal_code": indicator.goal.code,
        "measure_code": indicator.measure.code if indicator.measure else None,
        "policy_codes": [p.policy_code for p in placements],
        "repost_policy_codes": [p.policy_code for p in placements if p.is_repost],
        "name": indicator.name,
        "unit": indicator.unit,
        "direction": indicator.direction,
        "aggregation": indicator.aggregation,
        "department": {"code": department.code, "name": department.name} if department else None,
        "baseline": {"fiscal_year": indicator.baseline_year, "value": decimal_text(indicator.baseline_value)},
        "target": {
            "fiscal_year": indicator.target_year,
            "value": decimal_text(indicator.target_value),
            # The first year this target applies to after a mid-term revision (中間見直し); null: since the start.
            "revised_from": indicator.revised_from_year,
        },
        "publication": {
            "latest": month_text(indicator.latest_publication),
            "next": month_text(indicator.next_publication),
            "data_lag": indicator.data_lag,
        },
        "years": [_year(evaluation, year, today) for year in years],
    }


def month_text(day: datetime.date | None) -> str | None:
    """A publication month as "2027-03"."""
    return None if day is None else f"{day:%Y-%m}"


def _year(evaluation: Evaluation, year: int, today: datetime.date) -> dict:
    result = evaluation.year(year)
    record = evaluation.record(year)
    missing = figure_state(evaluation.indicator, record, today)
    entered = missing is None
    return {
        "fiscal_year": year,
        "expected": fixed_text(result.expected),
        "actual": decimal_text(result.actual),
        # The period the figure measures and how final it is; for a missing figure, whether it is only
        # awaiting its source's publication ("awaiting", with the month) or not entered ("missing").
        "data_period": record.measured_year if entered else None,
        "quality": record.quality if entered else None,
        "figure_state": "entered" if entered else missing.code,
        "next_publication": month_text(missing.next_publication) if missing else None,
        "status": record.status if record else None,
        "rate": fixed_text(result.rate),
        "grade": None if result.grade == NOT_EVALUABLE else result.grade,
        "progress_from_baseline": fixed_text(result.progress),
    }


def document_head(strategy: Strategy, *, approved_only: bool, fiscal_year: int | None = None) -> dict:
    """The export without its indicators: the strategy, when it was made, which year and which figures."""
    return {
        "strategy": {
            "code": strategy.code,
            "name": strategy.name,
            "baseline_year": strategy.baseline_year,
            "first_year": strategy.first_year,
            "last_year": strategy.last_year,
            "plan_years": strategy.plan_years,
        },
        "generated_at": timezone.localtime().replace(microsecond=0).isoformat(),
        "fiscal_year": fiscal_year,
        "approved_only": approved_only,
    }


def indicator_items(strategy: Strategy, *, approved_only: bool, fiscal_year: int | None = None):
    """The export's indicators one by one, in plan order, each with its plan years (or `fiscal_year`).

    approved_only: unapproved figures are left out, as if not yet reported (what the public sees).
    """
    years = [fiscal_year] if fiscal_year is not None else strategy.plan_years
    today = timezone.localdate()
    for evaluation, placements in _evaluations(strategy, approved_only, years):
        yield _indicator(evaluation, placements, years, today)


def indicators_document(strategy: Strategy, *, approved_only: bool, fiscal_year: int | None = None) -> dict:
    """The whole export in memory (the export_indicators command): `document_head` and every indicator."""
    head = document_head(strategy, approved_only=approved_only, fiscal_year=fiscal_year)
    items = indicator_items(strategy, approved_only=approved_only, fiscal_year=fiscal_year)
    return {**head, "indicators": list(items)}


def json_chunks(head: dict, items: Iterable[dict]) -> Iterator[str]:
    """The document as `json_text` writes it, written piece by piece as the items come: the same text."""
    # `"indicators": []` is the document's last key: its text up to the list, then the list item by item.
    yield json.dumps({**head, "indicators": []}, ensure_ascii=False, indent=2).removesuffix("[]\n}")
    separator = "[\n"
    for item in items:
        # One change from the frozen code: it indented with textwrap.indent, which also breaks lines at the
        # characters str.splitlines takes for line ends (NEL U+0085, U+2028, \x1c…) inside a name, writing
        # four spaces into the value; the JSON's own line breaks are the only ones ("\n" in text is escaped).
        text = json.dumps(item, ensure_ascii=False, indent=2)
        yield separator + "\n".join("    " + line for line in text.split("\n"))
        separator = ",\n"
    yield "[]\n}\n" if separator == "[\n" else "\n  ]\n}\n"


def json_text(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def csv_header() -> list[str]:
    return [label for _key, label in CSV_COLUMNS]


def csv_rows(document: dict):
    return csv_item_rows(document["indicators"])


def csv_item_rows(items: Iterable[dict]):
    """One row per indicator and year. Numbers go out as Decimals so that a minus sign is not taken
    for a formula and quoted (csvutil only neutralises text)."""
    for item in items:
        department = item["department"] or {}
        for year in item["years"]:
            flat = {
                **item,
                "policy_codes": " ".join(item["policy_codes"]),
                "department_code": department.get("code"),
                "department_name": department.get("name"),
                "baseline_fiscal_year": item["baseline"]["fiscal_year"],
                "baseline_value": item["baseline"]["value"],
                "target_fiscal_year": item["target"]["fiscal_year"],
                "target_value": item["target"]["value"],
                **year,
            }
            for key in (
                "baseline_value",
                "target_value",
                "expected",
                "actual",
                "rate",
                "progress_from_baseline",
            ):
                if flat[key] is not None:
                    flat[key] = Decimal(flat[key])
            yield [flat[key] for key, _label in CSV_COLUMNS]


def csv_lines(header: list, rows: Iterable) -> Iterator:
    """The CSV as lib.csvsafe.csv_bytes writes it (a BOM, CRLF, every text cell neutralised), line by line."""
    buffer = _io.StringIO()
    writer = _csv.writer(buffer, lineterminator="\r\n")
    yield "\ufeff"
    for row in _chain([header], (["" if c is None else neutralise_formula(c) for c in r] for r in rows)):
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def json_bytes(strategy, *, approved_only: bool, fiscal_year: int | None = None) -> bytes:
    head = document_head(strategy, approved_only=approved_only, fiscal_year=fiscal_year)
    items = indicator_items(strategy, approved_only=approved_only, fiscal_year=fiscal_year)
    return "".join(json_chunks(head, items)).encode("utf-8")


def csv_bytes(strategy, *, approved_only: bool, fiscal_year: int | None = None) -> bytes:
    items = indicator_items(strategy, approved_only=approved_only, fiscal_year=fiscal_year)
    return "".join(csv_lines(csv_header(), csv_item_rows(items))).encode("utf-8")
