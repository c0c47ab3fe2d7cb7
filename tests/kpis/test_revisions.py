"""Mid-term revision (中間見直し): a target revised from a year on; earlier years keep their evaluation."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from accounts.access import Role
from kpis.models import ActualValue, Indicator, StoredResult
from kpis.rules import stored
from tests.support.factories import make_user

CODE = "G3-M1-K1"


@pytest.fixture
def indicator(plan):
    """Baseline 100 (FY2024) → target 130 (FY2027): the straight line expects 110, 120, 130."""
    Indicator.objects.filter(code=CODE).update(
        baseline_year=2024,
        baseline_value=Decimal(100),
        target_year=2027,
        target_value=Decimal(130),
        unit="人",
    )
    for year, value in ((2025, 110), (2026, 120)):
        ActualValue.objects.create(
            indicator=Indicator.objects.get(code=CODE),
            fiscal_year=year,
            value=Decimal(value),
            status=ActualValue.Status.APPROVED,
        )
    stored.refresh(Indicator.objects.filter(code=CODE).values_list("pk", flat=True))
    return Indicator.objects.get(code=CODE)


@pytest.fixture
def planning(client, indicator):
    client.force_login(make_user("planning", Role.PLANNING))
    return client


def _result(indicator, year):
    return StoredResult.objects.get(indicator=indicator, fiscal_year=year, audience="internal")


def _revise(client, **fields):
    data = {
        "from_year": "2026",
        "name": "保育所待機児童数（見直し後）",
        "unit": "人",
        "baseline_year": "２０２４",
        "baseline_value": "100",
        "target_year": "2027",
        "target_value": "１６０",
        "reason": "国の方針変更による目標の上方修正",
    }
    return client.post(f"/indicators/{CODE}/revise/", {**data, **fields})


def test_a_revised_target_applies_from_its_year_and_earlier_years_keep_theirs(planning, indicator):
    before_2025 = _result(indicator, 2025)
    assert (before_2025.expected, before_2025.rate) == (Decimal(110), Decimal(100))
    assert _result(indicator, 2026).expected == Decimal(120)

    response = _revise(planning)

    assert response.status_code == 302
    indicator.refresh_from_db()
    assert (indicator.target_value, indicator.revised_from_year) == (Decimal(160), 2026)
    after_2025 = _result(indicator, 2025)
    assert (after_2025.expected, after_2025.rate, after_2025.grade) == (
        before_2025.expected,
        before_2025.rate,
        before_2025.grade,
    )
    assert _result(indicator, 2026).expected == Decimal(140)  # 100 → 160 over 2024–2027
    assert _result(indicator, 2027).expected == Decimal(160)
    assert stored.differences() == []  # what is stored is what a fresh computation gives
    call_command("recompute_results", "--check", verbosity=0)


def test_the_indicator_page_says_since_when_and_lists_the_revision(planning, indicator):
    _revise(planning)
    page = planning.get(f"/indicators/{CODE}/").content.decode()
    assert "2026年度から（中間見直し）" in page
    assert "国の方針変更による目標の上方修正" in page
    assert "見直し前" in page and "130" in page
    revision = indicator.revisions.get()
    assert revision.revised_by.username == "planning"
    history = Indicator.objects.get(code=CODE).history.first()
    assert history.history_change_reason == "国の方針変更による目標の上方修正"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"reason": ""}, "reason", "見直しの理由"),
        ({"from_year": "2025"}, "from_year", "選択"),
        ({"target_value": "12,5"}, "target_value", ""),
        ({"target_value": "1" * 16}, "target_value", ""),
        ({"name": "待機\x00児童"}, "name", ""),
        ({"name": ""}, "name", ""),
    ],
)
def test_a_bad_revision_is_refused_naming_the_field_and_nothing_changes(
    planning, indicator, fields, field, message
):
    response = _revise(planning, **fields)
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert message in " ".join(form.errors[field])
    assert not indicator.revisions.exists()
    assert Indicator.objects.get(code=CODE).target_value == Decimal(130)


def test_a_revision_that_changes_nothing_is_refused(planning, indicator):
    response = _revise(planning, name=indicator.name, target_value="130")
    assert response.status_code == 400
    assert "見直す値が今の値と同じです" in response.content.decode()


def test_revisions_go_forward_in_time(planning, indicator):
    assert _revise(planning, from_year="2027").status_code == 302
    response = _revise(planning, from_year="2026", target_value="170")
    assert response.status_code == 400
    assert "2027年度からの見直しが既にあります" in response.content.decode()


@pytest.mark.parametrize(("role", "expected"), [(None, 302), (Role.STAFF, 403), (Role.COUNCIL, 403)])
def test_only_the_planning_office_revises(client, indicator, role, expected):
    if role:
        client.force_login(make_user("someone", role))
    assert client.get(f"/indicators/{CODE}/revise/").status_code == expected
    assert _revise(client).status_code == expected
    assert not indicator.revisions.exists()


def _workbook_row(client, year: int) -> list:
    import io

    from openpyxl import load_workbook

    response = client.get(f"/reports/review.xlsx?fiscal_year={year}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = [row for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) if CODE in row]
    assert rows, "the indicator is on no sheet"
    return list(rows[0])


def test_the_workbook_shows_the_target_in_force_in_its_year_and_notes_the_revision(planning, indicator):
    _revise(planning)
    before = _workbook_row(planning, 2025)
    target_text = next(cell for cell in before if isinstance(cell, str) and "見直しあり" in cell)
    assert target_text == "2027年度（令和9年度）（見直し前。2026年度から見直しあり）"
    assert before[before.index(target_text) - 1] == 130  # the target in force in FY2025
    assert any(isinstance(cell, str) and "（目標 130人）" in cell for cell in before)  # and its 達成見込み
    after = _workbook_row(planning, 2026)
    target_text = next(cell for cell in after if isinstance(cell, str) and "から見直し後" in cell)
    assert target_text == "2027年度（令和9年度）（2026年度から見直し後）"
    assert after[after.index(target_text) - 1] == 160
