"""The open data's exact bytes, pinned: the JSON and CSV of the API (anonymous and as the planning office,
all years and one year), the export_indicators command's output and the indicator table's CSV, on one fixed
plan whose figures cover negatives, decimals, missing values, 公表待ち, lower-is-better, cumulative,
unapproved figures and text a spreadsheet would run as a formula.

The expected bytes are the files in tests/kpis/golden/. After a deliberate change of the output, write them
again with `UPDATE_GOLDEN=1 pytest tests/kpis/test_api_golden.py` and read the diff before committing.
"""

import datetime
import io
import os
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.access import Role
from kpis.models import ActualValue, Indicator, StoredResult
from tests.support.factories import PASSWORD, make_user, set_actual, update_indicators

pytestmark = pytest.mark.django_db

GOLDEN = Path(__file__).parent / "golden"
# Every answer is made at this instant (its generated_at, and the day 公表待ち is judged on).
NOW = datetime.datetime(2026, 8, 3, 1, 2, 3, tzinfo=datetime.UTC)
Status = ActualValue.Status
Quality = ActualValue.Quality


@pytest.fixture
def fixed_now():
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        yield


@pytest.fixture
def golden_plan(plan, departments, fixed_now):
    """The real 第３期 plan with figures of every kind the export writes differently."""
    # Text a spreadsheet would run, in an indicator's name and unit.
    update_indicators(Indicator.objects.filter(code="G1-M1-K2"), name='=HYPERLINK("x")+1', unit="-件")
    # 公表待ち: 社会増数's next figure comes in November 2026; its 2026 figure is not entered.
    update_indicators(Indicator.objects.filter(code="G2-KGI1"), next_publication=datetime.date(2026, 11, 1))
    # Cumulative, with a draft year and an approved one.
    update_indicators(
        Indicator.objects.filter(code="G3-M1-K1"),
        aggregation="cumulative",
        baseline_year=2024,
        baseline_value=0,
        target_year=2027,
        target_value=300,
    )
    set_actual("G3-M1-K1", 2025, 100, status=Status.DRAFT)
    set_actual("G3-M1-K1", 2026, "120.5", status=Status.APPROVED)
    # Negative, approved; decimals; a provisional figure with its own data period.
    set_actual("G2-KGI1", 2025, -12)
    set_actual("G3-KGI2", 2025, "3.10")
    set_actual("G3-KGI2", 2026, "3.25", status=Status.SUBMITTED, quality=Quality.PROVISIONAL)
    set_actual("G4-KGI1", 2025, "61.4", quality=Quality.REVISED, data_period=2024)
    # Unapproved figures: internal readers see them, the public does not.
    set_actual("G1-KGI1", 2025, 279000, status=Status.SUBMITTED)
    set_actual("G2-KGI2", 2025, 3200, status=Status.DRAFT)
    # Lower is better (ごみ排出量), approved, on two years.
    update_indicators(
        Indicator.objects.filter(code="G4-M3-K3"),
        baseline_year=2024,
        baseline_value="912.5",
        target_year=2027,
        target_value=850,
    )
    set_actual("G4-M3-K3", 2025, 880, status=Status.APPROVED)
    set_actual("G4-M3-K3", 2026, "905.25", status=Status.APPROVED)
    # A row without a value (entered, then cleared): missing, with its status.
    set_actual("G2-M1-K1", 2025, None, status=Status.DRAFT)
    return plan


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def check(name: str, data: bytes) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(exist_ok=True)
        path.write_bytes(data)
    assert path.exists(), f"{path.name} missing: run with UPDATE_GOLDEN=1 to write it"
    expected = path.read_bytes()
    assert data == expected, f"{name} differs from its golden file"


def planning_client(client):
    user = make_user("golden-planner", Role.PLANNING)
    client.login(username=user.username, password=PASSWORD)
    return client


ANSWERS = [
    ("indicators.json", "api:indicators_json", {}),
    ("indicators.csv", "api:indicators_csv", {}),
    ("indicators-2026.json", "api:indicators_json", {"fiscal_year": "2026"}),
    ("indicators-2026.csv", "api:indicators_csv", {"fiscal_year": "2026"}),
]


@pytest.mark.parametrize("reader", ["public", "planning"])
@pytest.mark.parametrize("name, view, params", ANSWERS)
def test_the_api_answers_the_golden_bytes(golden_plan, client, settings, reader, name, view, params):
    settings.PUBLIC_DASHBOARDS = True
    if reader == "planning":
        planning_client(client)
    response = client.get(reverse(view), params)
    assert response.status_code == 200
    check(f"api-{reader}-{name}", body(response))
    headers = {key: response[key] for key in ("Content-Type", "Cache-Control", "Vary")}
    if view == "api:indicators_csv":
        headers["Content-Disposition"] = response["Content-Disposition"]
    check(f"api-{reader}-{name}.headers", "".join(f"{k}: {v}\n" for k, v in headers.items()).encode())


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_the_export_command_writes_the_golden_bytes(golden_plan, tmp_path, fmt):
    output = tmp_path / f"export.{fmt}"
    call_command("export_indicators", "--format", fmt, "--output", str(output), stderr=io.StringIO())
    check(f"export-indicators.{fmt}", output.read_bytes())


@pytest.mark.parametrize("reader", ["public", "planning"])
def test_the_indicator_table_csv_is_the_golden_bytes(golden_plan, client, settings, reader):
    settings.PUBLIC_DASHBOARDS = True
    if reader == "planning":
        planning_client(client)
    response = client.get("/indicators/", {"export": "csv", "fy": "2025", "sort": "-rate"})
    assert response.status_code == 200
    check(f"table-{reader}.csv", body(response))


@pytest.mark.parametrize("reader", ["public", "planning"])
def test_results_missing_from_the_store_are_computed_to_the_same_bytes(
    golden_plan, client, settings, reader, caplog
):
    settings.PUBLIC_DASHBOARDS = True
    if reader == "planning":
        planning_client(client)
    StoredResult.objects.filter(indicator__code__in=["G2-KGI1", "G3-M1-K1", "G4-M3-K3"]).delete()
    for name, view, params in ANSWERS:
        check(f"api-{reader}-{name}", body(client.get(reverse(view), params)))
    assert "Results of G3-M1-K1 are not stored" in caplog.text
