"""Whatever text and figures an indicator holds, the open data writes them safely (lib/csvsafe's rules: a
cell a spreadsheet would run as a formula starts with an apostrophe; the JSON escapes what it must) and
byte for byte as the code before the plain-row reading did (tests/kpis/legacy_export.py)."""

import csv
import io
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.access import Role
from goals.models import Department
from kpis.api import serializers
from kpis.models import ActualValue, Indicator
from lib.csvsafe import FORMULA_PREFIXES
from tests.kpis import legacy_export
from tests.support.factories import PASSWORD, make_user, set_actual, update_indicators

pytestmark = pytest.mark.django_db

CODE = "G2-KGI1"  # 社会増数, owned by こども家庭課 (tests/conftest.py `departments`)

# Text as people paste it: control characters (not NUL, which no database column holds), markup, formula
# starters, long runs of digits that a spreadsheet would turn into a rounded number, and Japanese.
PIECES = st.sampled_from(
    [
        "=",
        "+",
        "-",
        "@",
        "\t",
        "\r",
        "\n",
        "\r\n",
        '"',
        "'",
        ",",
        "<script>",
        "</b>",
        "&amp;",
        "\\",
        "\x1b",
        "\x7f",
    ]
)
DIGITS = st.from_regex(r"\A-?[0-9]{12,25}\Z")
CHARACTERS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
TEXT = st.lists(st.one_of(PIECES, DIGITS, st.text(CHARACTERS, max_size=8)), min_size=1, max_size=5).map(
    "".join
)
# Figures as an indicator stores them (6 places; 15 digits, which SQLite reads back exactly), negatives,
# zero and tiny ones included.
NUMBER = st.decimals(
    min_value=Decimal("-999999999.999999"),
    max_value=Decimal("999999999.999999"),
    places=6,
    allow_nan=False,
    allow_infinity=False,
) | st.sampled_from([Decimal("0"), Decimal("-0.000001"), Decimal("0.0000010"), Decimal("100.500000")])


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def answers(client, view: str, params: dict) -> bytes:
    response = client.get(reverse(view), params)
    assert response.status_code == 200
    return body(response)


def csv_cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.fixture
def planner(plan, departments, client):
    user = make_user("safe-text-planner", Role.PLANNING)
    client.login(username=user.username, password=PASSWORD)
    return client


def set_texts(name: str, unit: str, department: str) -> None:
    indicator = Indicator.objects.get(code=CODE)
    update_indicators(Indicator.objects.filter(pk=indicator.pk), name=name, unit=unit[:30])
    Department.objects.filter(pk=indicator.department_id).update(name=department[:100])


def check_against_legacy(client, strategy, fiscal_year=None) -> tuple[bytes, bytes]:
    params = {"fiscal_year": str(fiscal_year)} if fiscal_year else {}
    json_data = answers(client, "api:indicators_json", params)
    csv_data = answers(client, "api:indicators_csv", params)
    old_json = legacy_export.json_bytes(strategy, approved_only=False, fiscal_year=fiscal_year)
    old_csv = legacy_export.csv_bytes(strategy, approved_only=False, fiscal_year=fiscal_year)
    # generated_at is the one field that differs between two calls (seconds apart)
    assert _without_time(json_data) == _without_time(old_json)
    assert csv_data == old_csv
    return json_data, csv_data


def _without_time(data: bytes) -> bytes:
    lines = data.split(b"\n")
    return b"\n".join(line for line in lines if not line.startswith(b'  "generated_at": '))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=TEXT, unit=TEXT, department=TEXT)
def test_text_comes_out_safe_and_as_before(planner, plan, name, unit, department):
    set_texts(name, unit, department)
    json_data, csv_data = check_against_legacy(planner, plan, 2025)

    item = next(i for i in json.loads(json_data)["indicators"] if i["code"] == CODE)
    assert (item["name"], item["unit"], item["department"]["name"]) == (name, unit[:30], department[:100])
    rows = csv_cells(csv_data)
    row = next(dict(zip(rows[0], r, strict=True)) for r in rows[1:] if r[0] == CODE)
    for label, text in (("指標名", name), ("単位", unit[:30]), ("担当課名", department[:100])):
        safe = "'" + text if text.startswith(FORMULA_PREFIXES) else text
        assert row[label] == safe
        assert not row[label].startswith(("=", "+", "-", "@", "\t", "\r"))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(baseline=NUMBER, target=NUMBER, first=NUMBER, second=st.none() | NUMBER)
def test_figures_come_out_as_before(planner, plan, baseline, target, first, second):
    update_indicators(Indicator.objects.filter(code=CODE), baseline_value=baseline, target_value=target)
    set_actual(CODE, 2025, first, status=ActualValue.Status.SUBMITTED)
    set_actual(CODE, 2026, second)
    check_against_legacy(planner, plan)


@given(value=st.decimals(allow_nan=False, allow_infinity=False))
def test_numbers_written_from_their_stored_text_read_as_from_the_decimal(value):
    """The export writes a stored result's text (str(Decimal), lib.fields.ExactDecimalField) without making
    the Decimal; the text is the one the Decimal would give, in the JSON and in the CSV."""
    text = str(value)
    assert serializers.exact_text(text) == serializers.decimal_text(value)
    assert serializers.fixed_from_text(text) == serializers.fixed_text(value)
    for written in (serializers.decimal_text(value), serializers.fixed_text(value)):
        assert serializers.csv_number(written) == str(Decimal(written))
