"""The open data is written by hand for speed: the JSON from fixed templates, each year straight from the
row the database gave (kpis.api.serializers.json_pieces), the CSV joined from cells quoted once
(csv_pieces). Whatever the rows hold, the JSON is the text json.dumps(…, indent=2) writes of the
documented objects (item_dict, whose years `_year` converts) and the CSV the bytes lib.csvsafe.csv_bytes
writes of the same objects, so the fast writers and the documented shape cannot drift apart."""

import json
import string
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from kpis.api.serializers import CSV_COLUMNS, Item, csv_header, csv_pieces, item_dict, json_pieces
from kpis.rules.achievement import NOT_EVALUABLE
from lib.csvsafe import csv_bytes

# Numbers as kpis.StoredResult keeps them (str(Decimal)): plain, with trailing zeros, negative, tiny, huge.
NUMBER_TEXT = st.one_of(
    st.none(),
    st.sampled_from(
        ["0", "-0", "0E-7", "1E-7", "1E+3", "100.500", "-12.50", "3.19", "12345678901234567890.5"]
    ),
    st.decimals(min_value=-(10**12), max_value=10**12, places=3, allow_nan=False).map(str),
)
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=6)
CODE = st.one_of(st.none(), st.sampled_from(["approved", "draft", "submitted", "final", "provisional"]), TEXT)
GRADE = st.sampled_from(["A", "B+", "B", "C", NOT_EVALUABLE, "◎", '"x"'])
MONTH = st.one_of(st.none(), st.sampled_from(["2027-03", "2026-11"]))


@st.composite
def year_rows(draw) -> list[tuple]:
    first = draw(st.integers(2020, 2030))
    return [
        (
            1,  # the indicator's id, its fiscal year, then YEAR_COLUMNS
            year,
            draw(NUMBER_TEXT),
            draw(NUMBER_TEXT),
            draw(NUMBER_TEXT),
            draw(GRADE),
            draw(NUMBER_TEXT),
            draw(CODE),
            draw(NUMBER_TEXT),
            draw(st.one_of(st.none(), st.integers(2015, 2030))),
            draw(CODE),
        )
        for year in range(first, first + draw(st.integers(0, 4)))
    ]


items = st.builds(
    Item,
    code=TEXT,
    kind=st.sampled_from(["KGI", "KPI"]),
    goal_code=TEXT,
    measure_code=st.one_of(st.none(), TEXT),
    policy_codes=st.lists(TEXT, max_size=3),
    repost_policy_codes=st.lists(TEXT, max_size=2),
    name=TEXT,
    unit=TEXT,
    direction=TEXT,
    aggregation=TEXT,
    department_code=st.one_of(st.none(), st.text(string.ascii_lowercase, min_size=1, max_size=4)),
    department_name=TEXT,
    baseline_year=st.one_of(st.none(), st.integers(2000, 2030)),
    baseline_value=NUMBER_TEXT,
    target_year=st.one_of(st.none(), st.integers(2000, 2030)),
    target_value=NUMBER_TEXT,
    revised_from=st.one_of(st.none(), st.integers(2025, 2030)),
    latest_publication=MONTH,
    next_publication=MONTH,
    data_lag=st.one_of(st.none(), st.integers(0, 3)),
    year_rows=year_rows(),
    awaiting=st.tuples(st.sampled_from(["missing", "awaiting"]), MONTH),
)


@given(st.lists(items, max_size=3))
def test_the_json_is_what_json_dumps_writes_of_the_documented_objects(listed):
    head = {"strategy": {"code": "s"}, "generated_at": "2027-01-01T00:00:00+09:00", "approved_only": False}
    written = "".join(json_pieces(head, listed))
    expected = json.dumps(
        {**head, "indicators": [item_dict(i) for i in listed]}, ensure_ascii=False, indent=2
    )
    assert written == expected + "\n"


# The CSV's columns read from item_dict: numbers as Decimals (written as str() writes them, never
# neutralised), the rest as text or years.
NUMBERS = {"baseline_value", "target_value", "expected", "actual", "rate", "progress_from_baseline"}


def csv_rows(listed: list[Item]) -> list[list]:
    rows = []
    for item in listed:
        shown = item_dict(item)
        own = {
            **shown,
            "policy_codes": " ".join(shown["policy_codes"]),
            # item_dict nests them (null without a department); the CSV has a column for each.
            "department_code": item.department_code,
            "department_name": item.department_name,
            "baseline_fiscal_year": shown["baseline"]["fiscal_year"],
            "baseline_value": shown["baseline"]["value"],
            "target_fiscal_year": shown["target"]["fiscal_year"],
            "target_value": shown["target"]["value"],
        }
        for year in shown["years"]:
            cells = {**own, **year}
            rows.append(
                [
                    Decimal(cells[key]) if key in NUMBERS and cells[key] is not None else cells[key]
                    for key, _label in CSV_COLUMNS
                ]
            )
    return rows


@given(st.lists(items, max_size=3))
def test_the_csv_is_what_the_csv_module_writes_of_the_documented_objects(listed):
    written = "".join(csv_pieces(listed, rows_per_piece=2)).encode("utf-8")
    assert written == csv_bytes(csv_header(), csv_rows(listed))
