"""The open data's JSON is written from fixed templates, each year straight from the row the database gave
(kpis.api.serializers.json_pieces): whatever the rows hold, it is the text json.dumps(…, indent=2) writes
of the documented objects (item_dict, whose years `_year` converts), so the fast writer and the documented
shape cannot drift apart."""

import json
import string

from hypothesis import given
from hypothesis import strategies as st

from kpis.api.serializers import Item, item_dict, json_pieces
from kpis.rules.achievement import NOT_EVALUABLE

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
            year,  # fiscal year, then YEAR_COLUMNS
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
