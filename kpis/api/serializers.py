"""The open-data view of the plan's indicators, shared by the API and `export_indicators`.

Every figure comes from kpis.rules.evaluation, so the API, the export and the screens agree. Decimals are
written as strings holding the exact value (see docs/api.md), never as floats.
"""

import csv
import datetime
import io
import json
from collections.abc import Iterable, Iterator
from decimal import Decimal
from itertools import groupby
from json.encoder import encode_basestring as _encode_string
from operator import itemgetter
from typing import NamedTuple

from django.db.models import Case, CharField, F, FilteredRelation, Q, Value, When
from django.db.models.functions import Cast
from django.utils import timezone

from goals.models import Strategy
from kpis.models import INDICATOR_ORDER, ActualValue, Indicator, Placement, StoredResult
from kpis.rules.achievement import NOT_EVALUABLE
from kpis.rules.evaluation import evaluate_indicator, scale_for
from kpis.rules.publication import missing_by_month
from lib.csvsafe import ROWS_PER_PIECE, neutralise_formula
from lib.csvsafe import csv_pieces as csvsafe_pieces

# Rows read from the database per round trip while streaming (a server-side cursor on PostgreSQL).
CHUNK = 2000
# A year's columns after its indicator's id and fiscal year: the stored result's (numbers as text) and the
# figure's entered (`entered`: "1" if it has a value, else null).
RESULT_TEXTS = ("expected", "actual", "rate", "progress")
YEAR_COLUMNS = (
    "expected_text",
    "actual_text",
    "rate_text",
    "result__grade",
    "progress_text",
    "figure__status",
    "entered",
    "figure__data_period",
    "figure__quality",
)

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


def exact_text(text: str | None) -> str | None:
    """`decimal_text` of a Decimal given as its text (str(Decimal), as kpis.StoredResult keeps it), without
    making the Decimal when the text is already plain: trailing zeros dropped, "0" for zero."""
    if text is None:
        return None
    if "E" in text or len(text) > PLAIN_DIGITS:
        return decimal_text(Decimal(text))
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("0", "-0", "", "-") else text


def fixed_from_text(text: str | None) -> str | None:
    """`fixed_text` of a Decimal given as its text: the text itself unless written with an exponent."""
    if text is None or "E" not in text:
        return text
    return fixed_text(Decimal(text))


def csv_number(text: str | None):
    """A number's cell as the CSV writes a Decimal (str): plain text as it is; zeros and values under a
    millionth, which str() writes with an exponent ("1E-7"), through Decimal."""
    if text is None:
        return None
    return str(Decimal(text)) if text.startswith(TINY) else text


# Stored texts of this length or less hold fewer digits than Decimal's precision (28): normalising them
# rounds nothing, so exact_text may work on the text.
PLAIN_DIGITS = 26
TINY = ("0.000000", "-0.000000")
# What every text that starts with one of TINY contains: a text without it is written as it is.
TINY_MARK = TINY[0]


class Year(NamedTuple):
    """One year of an indicator as the export writes it: numbers as exact text, codes as text."""

    fiscal_year: int
    expected: str | None
    actual: str | None
    data_period: int | None
    quality: str | None
    figure_state: str
    next_publication: str | None
    status: str | None
    rate: str | None
    grade: str | None
    progress: str | None


class Item(NamedTuple):
    """One indicator as the export writes it, read from plain rows (no model object)."""

    code: str
    kind: str
    goal_code: str
    measure_code: str | None
    policy_codes: list[str]
    repost_policy_codes: list[str]
    name: str
    unit: str
    direction: str
    aggregation: str
    department_code: str | None
    department_name: str | None
    baseline_year: int | None
    baseline_value: str | None
    target_year: int | None
    target_value: str | None
    revised_from: int | None
    latest_publication: str | None
    next_publication: str | None
    data_lag: int | None
    # The years as the stream read them (indicator id, fiscal year, YEAR_COLUMNS), and what a year needs
    # besides: the data lag (a figure's default period) and a missing figure's state. `year_cells` converts
    # them to plain tuples, which the writers write (48,000 at 100×); `years` to Years.
    year_rows: list[tuple]
    awaiting: tuple[str, str | None]

    @property
    def years(self) -> list[Year]:
        return [Year._make(cells) for cells in year_cells(self)]


# The indicator's fields read, in this order (values_list): what Item and the figures' states need.
INDICATOR_FIELDS = (
    "pk",
    "code",
    "kind",
    "goal__code",
    "measure__code",
    "name",
    "unit",
    "direction",
    "aggregation",
    "department__code",
    "department__name",
    "baseline_year",
    "baseline_value",
    "target_year",
    "target_value",
    "revised_from_year",
    "latest_publication",
    "next_publication",
    "data_lag",
)


class _ById:
    """The rows of a stream in indicator-id order (each row's first value), grouped by indicator and taken
    in plan order. The groups read ahead of the one asked for wait here until they are asked for: those of
    the indicators whose ids are out of plan order. A plan loaded from its workbook has none (its indicators
    are created in plan order); indicators reordered or added later wait, and at worst (ids running against
    the plan's order) every indicator's rows would be held at once.

    Reading in id order lets the database walk its indexes instead of sorting every year of the plan by
    goal, kind, measure and order: a fifth (SQLite) to a third (PostgreSQL) of the read at 100 times the
    real plan."""

    def __init__(self, rows: Iterator[tuple]):
        self._groups = groupby(rows, key=itemgetter(0))
        self._waiting: dict[int, list[tuple]] = {}
        self._read_up_to = 0  # the largest id read so far

    def take(self, indicator_id: int) -> list[tuple]:
        """The indicator's rows; none if it has none (ids come in order: a larger one read means none)."""
        if indicator_id in self._waiting:
            return self._waiting.pop(indicator_id)
        while self._read_up_to < indicator_id:
            read = next(self._groups, None)
            if read is None:
                self._read_up_to = indicator_id
                break
            self._read_up_to, rows = read[0], list(read[1])
            if read[0] == indicator_id:
                return rows
            self._waiting[read[0]] = rows
        return []


def _as_text(field: str):
    """A column read as its text: no conversion per value (a stored result is kept as str(Decimal))."""
    return Cast(field, output_field=CharField())


def _streams(strategy: Strategy, approved_only: bool, fiscal_year: int | None) -> list:
    """The rows that come many per indicator, each query in indicator-id order: its years (the plan's, or
    one), each a stored result (as text) with the figure entered for it, if any (whether it has a value, not
    the value), in year order; its placements, in plan order."""
    audience = StoredResult.Audience.PUBLIC if approved_only else StoredResult.Audience.INTERNAL
    # An indicator's results are stored for its plan's years, no other (kpis.rules.stored): the whole plan
    # needs no filter on the year. An indicator with no result has one row, with no year: `_item` checks the
    # years it gets.
    stored = Q(results__audience=audience)
    if fiscal_year is not None:
        stored &= Q(results__fiscal_year=fiscal_year)
    entered = Q(actuals__fiscal_year=F("result__fiscal_year"))
    if approved_only:
        entered &= Q(actuals__status=ActualValue.Status.APPROVED)
    years = (
        # From the indicators (by their key), so that the order is the indexes' own: no sort.
        Indicator.objects.filter(strategy=strategy)
        .annotate(result=FilteredRelation("results", condition=stored))
        .annotate(
            figure=FilteredRelation("actuals", condition=entered),
            **{f"{name}_text": _as_text(f"result__{name}") for name in RESULT_TEXTS},
            # Whether the figure has a value ("1" or null), not the value: as text, which is read with no
            # conversion (a number or an integer column would be converted row by row).
            entered=Case(When(figure__value__isnull=False, then=Value("1")), output_field=CharField()),
        )
        .order_by("pk", "result__fiscal_year")
        .values_list("pk", "result__fiscal_year", *YEAR_COLUMNS)
    )
    placements = (
        Placement.objects.filter(indicator__strategy=strategy)
        .order_by(
            "indicator_id",
            "policy__measure__goal__number",
            "policy__measure__number",
            "policy__number",
            "order",
        )
        .values_list("indicator_id", "policy__code", "is_repost")
    )
    return [years, placements]


def plain_items(strategy: Strategy, *, approved_only: bool, fiscal_year: int | None = None) -> Iterator[Item]:
    """Every indicator of the strategy with its plan years (or `fiscal_year`), in plan order, read in a fixed
    number of queries whatever the plan's size: the indicators as rows, then one stream each (`.iterator()`)
    of years (kpis.StoredResult as text, joined to the figure entered) and placements, in indicator-id
    order, taken in plan order here (`_ById`). No model
    object per indicator or figure, and nothing recomputed: the rates and grades come as stored."""
    years = [fiscal_year] if fiscal_year is not None else strategy.plan_years
    today = timezone.localdate()
    indicators = list(
        Indicator.objects.filter(strategy=strategy)
        .order_by(*INDICATOR_ORDER, "pk")  # the id breaks ties, so the order is the same every time
        .values_list(*INDICATOR_FIELDS)
    )
    years_read, placements_read = (
        _ById(q.iterator(chunk_size=CHUNK)) for q in _streams(strategy, approved_only, fiscal_year)
    )
    for row in indicators:
        stored, placed = years_read.take(row[0]), placements_read.take(row[0])
        yield _item(row, stored, placed, years, today, approved_only)


def _item(row: tuple, stored: list, placed: list, years: list[int], today, approved_only: bool) -> Item:
    if [r[1] for r in stored] != years:
        stored = _computed(row[0], years, approved_only)
    (_pk, code, kind, goal, measure, name, unit, direction, aggregation, dept_code, dept_name) = row[:11]
    (baseline_year, baseline, target_year, target, revised_from, latest, upcoming, lag) = row[11:]
    awaiting = _awaiting(upcoming, today)
    return Item(
        code,
        kind,
        goal,
        measure,
        [p[1] for p in placed],
        [p[1] for p in placed if p[2]],
        name,
        unit,
        direction,
        aggregation,
        dept_code,
        dept_name,
        baseline_year,
        # decimal_text by way of the text: the same (tests/kpis/test_api_safe_text.py), in a fifth of the time.
        exact_text(_text(baseline)),
        target_year,
        exact_text(_text(target)),
        revised_from,
        month_text(latest),
        month_text(upcoming),
        lag,
        stored,
        awaiting,
    )


def _awaiting(upcoming: datetime.date | None, today: datetime.date) -> tuple[str, str | None]:
    """A missing figure's state and next publication month (kpis.rules.publication.missing_state)."""
    missing = missing_by_month(upcoming, today)
    return missing.code, month_text(missing.next_publication)


def year_cells(item: Item) -> list[tuple]:
    """The item's years as `Year` holds them (plain tuples: the writers take 48,000 at 100×): a figure's
    default data period is its year less the data lag; a year with no figure has the state and month of
    `awaiting`, and no period or quality; 評価不能 is null; numbers are exact text."""
    exact, lag, (missing, upcoming_month) = exact_text, item.data_lag or 0, item.awaiting
    cells = []
    for (
        _id,
        year,
        expected,
        actual,
        rate,
        grade,
        progress,
        status,
        entered,
        period,
        quality,
    ) in item.year_rows:
        if entered is not None:
            state, upcoming = "entered", None
            if period is None:
                period = year - lag
        else:
            state, upcoming, period, quality = missing, upcoming_month, None, None
        # fixed_from_text written out for the three computed numbers: three calls a year cost more than the
        # rest of the loop (the text is kept unless it has an exponent).
        cells.append(
            (
                year,
                expected if expected is None or "E" not in expected else fixed_from_text(expected),
                exact(actual),
                period,
                quality,
                state,
                upcoming,
                status,
                rate if rate is None or "E" not in rate else fixed_from_text(rate),
                None if grade == NOT_EVALUABLE else grade,
                progress if progress is None or "E" not in progress else fixed_from_text(progress),
            )
        )
    return cells


def _computed(indicator_id: int, years: list[int], approved_only: bool) -> list[tuple]:
    """Results not stored (a bug, or a database not yet brought up to date): kpis.rules.evaluation computes
    them, and logs. Returned as the stream gives them: the years' rows."""
    (indicator,) = Indicator.objects.filter(pk=indicator_id).select_related("strategy").with_figures()
    evaluation = evaluate_indicator(indicator, years, scale_for(indicator.strategy), approved_only)
    rows = []
    for year in years:
        result, figure = evaluation.year(year), evaluation.record(year)
        numbers = [_text(result.expected), _text(result.actual), _text(result.rate)]
        entered = [None] * 4
        if figure is not None:
            has_value = None if figure.value is None else "1"
            entered = [figure.status, has_value, figure.data_period, figure.quality]
        rows.append((indicator_id, year, *numbers, result.grade, _text(result.progress), *entered))
    return rows


def _text(value: Decimal | None) -> str | None:
    """A Decimal as kpis.StoredResult keeps it (lib.fields.ExactDecimalField)."""
    return None if value is None else str(value)


def _year_dict(year: Year) -> dict:
    return {
        "fiscal_year": year.fiscal_year,
        "expected": year.expected,
        "actual": year.actual,
        # The period the figure measures and how final it is; for a missing figure, whether it is only
        # awaiting its source's publication ("awaiting", with the month) or not entered ("missing").
        "data_period": year.data_period,
        "quality": year.quality,
        "figure_state": year.figure_state,
        "next_publication": year.next_publication,
        "status": year.status,
        "rate": year.rate,
        "grade": year.grade,
        "progress_from_baseline": year.progress,
    }


def item_dict(item: Item) -> dict:
    """The indicator as a JSON object (docs/api.md): what json_pieces writes from its templates."""
    return {
        "code": item.code,
        "kind": item.kind,
        "goal_code": item.goal_code,
        "measure_code": item.measure_code,
        "policy_codes": item.policy_codes,
        "repost_policy_codes": item.repost_policy_codes,
        "name": item.name,
        "unit": item.unit,
        "direction": item.direction,
        "aggregation": item.aggregation,
        "department": None
        if item.department_code is None
        else {"code": item.department_code, "name": item.department_name},
        "baseline": {"fiscal_year": item.baseline_year, "value": item.baseline_value},
        "target": {
            "fiscal_year": item.target_year,
            "value": item.target_value,
            # The first year this target applies to after a mid-term revision (中間見直し); null: since the start.
            "revised_from": item.revised_from,
        },
        "publication": {
            "latest": item.latest_publication,
            "next": item.next_publication,
            "data_lag": item.data_lag,
        },
        "years": [_year_dict(year) for year in item.years],
    }


def month_text(day: datetime.date | None) -> str | None:
    """A publication month as "2027-03" (its ISO date's first seven characters: a fifth of strftime's time)."""
    return None if day is None else day.isoformat()[:7]


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


def json_pieces(head: dict, items: Iterable[Item]) -> Iterator[str]:
    """The document as json.dumps(…, ensure_ascii=False, indent=2) writes `{**head, "indicators": [item_dict
    for each item]}`, piece by piece as the items come: the same text, written from fixed templates (the
    standard library's indented encoder is pure Python, a call per value)."""
    # `"indicators": []` is the document's last key: its text up to the list, then the list item by item.
    yield json.dumps({**head, "indicators": []}, ensure_ascii=False, indent=2).removesuffix("[]\n}")
    separator = "[\n"
    codes = _JsonCodes()
    for item in items:
        yield _json_item(separator, item, codes)
        separator = ",\n"
    yield "[]\n}\n" if separator == "[\n" else "\n  ]\n}\n"


class _JsonCodes(dict):
    """JSON strings of the values that repeat on every year (states, statuses, grades, months), remembered."""

    def __missing__(self, value):
        self[value] = text = _js(value)
        return text


def _jnum(text: str | None) -> str:
    """A number's exact text as a JSON string: digits, sign and point need no escaping."""
    return "null" if text is None else f'"{text}"'


def _js(value: str | None) -> str:
    return "null" if value is None else _encode_string(value)


def _jn(value: int | None) -> str:
    return "null" if value is None else int.__repr__(value)


def _json_list(texts: list[str], indent: str) -> str:
    if not texts:
        return "[]"
    inner = indent + "  "
    return "[\n" + ",\n".join(inner + _encode_string(t) for t in texts) + "\n" + indent + "]"


# An indicator at the list's depth (4 spaces), as json.dumps(item_dict(item), indent=2) indented by 4, up to
# its years (`_json_item` writes them and the end).
JSON_ITEM = """    {
      "code": %s,
      "kind": %s,
      "goal_code": %s,
      "measure_code": %s,
      "policy_codes": %s,
      "repost_policy_codes": %s,
      "name": %s,
      "unit": %s,
      "direction": %s,
      "aggregation": %s,
      "department": %s,
      "baseline": {
        "fiscal_year": %s,
        "value": %s
      },
      "target": {
        "fiscal_year": %s,
        "value": %s,
        "revised_from": %s
      },
      "publication": {
        "latest": %s,
        "next": %s,
        "data_lag": %s
      },
      "years": """
JSON_DEPARTMENT = """{
        "code": %s,
        "name": %s
      }"""


def _json_years(item: Item, codes: _JsonCodes) -> list[str]:
    """The item's years, each as json.dumps(_year_dict(year), indent=2) writes it at the list's depth: the
    numbers' texts quoted as they are (they need no escaping), the codes from `codes`."""
    # An f-string: twice as fast as %-formatting a template, 48,000 times at 100×.
    return [
        f"""        {{
          "fiscal_year": {year},
          "expected": {"null" if expected is None else f'"{expected}"'},
          "actual": {"null" if actual is None else f'"{actual}"'},
          "data_period": {"null" if period is None else period},
          "quality": {codes[quality]},
          "figure_state": {codes[state]},
          "next_publication": {codes[upcoming]},
          "status": {codes[status]},
          "rate": {"null" if rate is None else f'"{rate}"'},
          "grade": {codes[grade]},
          "progress_from_baseline": {"null" if progress is None else f'"{progress}"'}
        }}"""
        for year, expected, actual, period, quality, state, upcoming, status, rate, grade, progress in year_cells(
            item
        )
    ]


def _json_item(separator: str, item: Item, codes: _JsonCodes) -> str:
    """The item after `separator`, written in one join (21 MB at 100×: each copy of it counts)."""
    js, jn, num = _js, _jn, _jnum
    years = _json_years(item, codes)
    department = "null"
    if item.department_code is not None:
        department = JSON_DEPARTMENT % (js(item.department_code), js(item.department_name))
    own = JSON_ITEM % (
        js(item.code),
        js(item.kind),
        js(item.goal_code),
        js(item.measure_code),
        _json_list(item.policy_codes, "      "),
        _json_list(item.repost_policy_codes, "      "),
        js(item.name),
        js(item.unit),
        js(item.direction),
        js(item.aggregation),
        department,
        jn(item.baseline_year),
        num(item.baseline_value),
        jn(item.target_year),
        num(item.target_value),
        jn(item.revised_from),
        js(item.latest_publication),
        js(item.next_publication),
        jn(item.data_lag),
    )
    if not years:
        return "".join((separator, own, "[]\n    }"))
    return "".join((separator, own, "[\n", ",\n".join(years), "\n      ]\n    }"))


def csv_header() -> list[str]:
    return [label for _key, label in CSV_COLUMNS]


def csv_pieces(items: Iterable[Item], rows_per_piece: int = ROWS_PER_PIECE) -> Iterator[str]:
    """The CSV as lib.csvsafe.csv_bytes writes `csv_header()` and one row per indicator and year (a BOM,
    CRLF, every text cell neutralised, numbers as Decimals write), in pieces of about `rows_per_piece` rows.

    Each row is joined here from cells the csv module quoted: an indicator's own cells once for all its
    years, each code (a state, a status, a grade) once for the whole file. A year's numbers are digits, a
    sign, a point or an exponent, which the csv module never quotes. (tests/kpis/test_api_writer.py holds
    the text equal to csv.writer's.)"""
    yield from csvsafe_pieces(csv_header(), [], neutralised=True)
    quoted = _Quoted()
    lines: list[str] = []
    for item in items:
        own = quoted.row(_own_cells(item))
        for (
            year,
            expected,
            actual,
            period,
            quality,
            state,
            upcoming,
            status,
            rate,
            grade,
            progress,
        ) in year_cells(item):
            # Each number's cell written out (four calls a row would cost more than the row's text): empty
            # when missing, else the text itself, unless it may be one that str(Decimal) writes with an
            # exponent (csv_number).
            lines.append(
                f"{own},{year},"
                f"{'' if expected is None else expected if TINY_MARK not in expected else csv_number(expected)},"
                f"{'' if actual is None else actual if TINY_MARK not in actual else csv_number(actual)},"
                f"{'' if period is None else period},"
                f"{quoted[quality]},{quoted[state]},{quoted[upcoming]},{quoted[status]},"
                f"{'' if rate is None else rate if TINY_MARK not in rate else csv_number(rate)},"
                f"{quoted[grade]},"
                f"{'' if progress is None else progress if TINY_MARK not in progress else csv_number(progress)}\r\n"
            )
        if len(lines) >= rows_per_piece:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


class _Quoted(dict):
    """A text cell as the csv module writes it (neutralised, quoted where it must be; "" for None),
    remembered: codes and states repeat on every row."""

    def __init__(self):
        super().__init__()
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\r\n")

    def __missing__(self, value):
        text = "" if value is None else neutralise_formula(value)
        # A row of one empty cell is written '""'; in a row of several, an empty cell is empty.
        self[value] = cell = self.row([text]) if text else ""
        return cell

    def row(self, cells: list) -> str:
        """Cells as the csv module joins them into a row, without the line's end."""
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.writerow(cells)
        return self._buffer.getvalue().removesuffix("\r\n")


def _own_cells(item: Item) -> list:
    """The indicator's own cells, the same on each of its rows. Numbers are not neutralised (a minus sign is
    not a formula), as csv_bytes leaves Decimals."""
    return [
        neutralise_formula(item.code),
        neutralise_formula(item.kind),
        neutralise_formula(item.goal_code),
        _cell(neutralise_formula(item.measure_code)),
        neutralise_formula(" ".join(item.policy_codes)),
        neutralise_formula(item.name),
        neutralise_formula(item.unit),
        neutralise_formula(item.direction),
        neutralise_formula(item.aggregation),
        _cell(neutralise_formula(item.department_code)),
        _cell(neutralise_formula(item.department_name)),
        _cell(item.baseline_year),
        _cell(csv_number(item.baseline_value)),
        _cell(item.target_year),
        _cell(csv_number(item.target_value)),
    ]


def _cell(value):
    return "" if value is None else value
