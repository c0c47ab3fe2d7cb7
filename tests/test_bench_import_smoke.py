"""scripts/bench_import.py at a small size: its files go through the real views and every step is measured."""

import importlib
import sys
from pathlib import Path

import pytest
from django.test import Client

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


@pytest.fixture
def bench_import():
    if str(SCRIPTS) not in sys.path:
        sys.path.insert(0, str(SCRIPTS))
    return importlib.import_module("bench_import")


def test_the_import_benchmark_uploads_previews_and_confirms_its_files(db, bench_import):
    from bench import build_plan

    from kpis.models import ActualValue, FiscalYear

    plan = build_plan(copies=1, years=3, departments=2)
    FiscalYear.objects.filter(strategy=plan.strategy).update(state=FiscalYear.State.OPEN)
    client = Client(raise_request_exception=True)
    client.force_login(plan.planning)
    rows = bench_import.changed_rows(plan.strategy, 30)
    steps = bench_import.run_file(
        client,
        "CSV",
        "changed.csv",
        bench_import.csv_file(rows),
        again=bench_import.csv_file(bench_import.bumped(rows, 1)),
    )
    assert [step.status for step in steps] == [302, 200, 302]
    assert all(step.seconds > 0 and step.peak_mb > 0 for step in steps)
    code, year = rows[0][:2]
    assert ActualValue.objects.get(indicator__code=code, fiscal_year=year).note == "備考0"
    assert "確定" in bench_import.table(steps)
