"""The indicator table: filters, sorting by evaluated values, pagination and the CSV download."""

import csv
import io

import pytest
from django.urls import reverse

from goals.models import Goal, Measure
from tests.support.factories import set_actual, update_indicators

pytestmark = pytest.mark.django_db

URL = reverse("dashboards:indicators")


def codes(response) -> list[str]:
    return [row["code"] for row in response.context["table"].data]


@pytest.fixture
def graded(figures):
    """FY2025 grades: G1-KGI1 B+ (99.6%), G2-M1-K1 A, G2-M1-K2 C; the rest 評価不能."""
    from kpis.models import Indicator

    update_indicators(
        Indicator.objects.filter(code__in=["G2-M1-K1", "G2-M1-K2"]),
        baseline_year=2024,
        baseline_value=100,
        target_year=2027,
        target_value=130,
    )
    set_actual("G2-M1-K1", 2025, 200)  # E = 110 → 181.8% A
    set_actual("G2-M1-K2", 2025, 10)  # 9.1% C
    return figures


@pytest.fixture
def council(client_as):
    return client_as("council")


def test_the_table_lists_every_indicator_in_plan_order(council, graded):
    response = council.get(URL, {"fy": 2025})
    assert response.status_code == 200
    assert response.context["row_count"] == 48  # 42 KPIs + 6 KGIs
    assert codes(response)[:3] == ["G1-KGI1", "G1-M1-K1", "G1-M1-K2"]


def test_filtering_by_goal_includes_the_kpi_it_shows_again(council, graded, plan):
    goal = Goal.objects.get(strategy=plan, code="G3")
    found = codes(council.get(URL, {"goal": goal.pk}))
    assert "G1-M1-K1" in found  # 【再掲】 under G3-M2-P2
    assert all(code.startswith("G3") or code == "G1-M1-K1" for code in found)


def test_filtering_by_measure_department_and_kind(council, graded, plan, departments):
    measure = Measure.objects.get(goal__strategy=plan, code="G2-M1")
    assert codes(council.get(URL, {"measure": measure.pk})) == [f"G2-M1-K{n}" for n in range(1, 6)]
    _own, other = departments
    assert codes(council.get(URL, {"department": other.pk})) == ["G2-KGI2", "G2-M1-K1", "G2-M1-K2"]
    assert len(codes(council.get(URL, {"kind": "KGI"}))) == 6


def test_filtering_by_digital_policies(council, graded):
    found = codes(council.get(URL, {"digital": "1"}))
    assert "G2-M2-K1" in found and "G4-M3-K1" in found and "G1-M1-K1" not in found


def test_filtering_by_the_evaluated_grade_of_the_chosen_year(council, graded):
    # Signed-in readers see unapproved figures too: G2-KGI1 (draft) and G2-KGI2 (submitted) are far above.
    assert codes(council.get(URL, {"fy": 2025, "grade": "A"})) == ["G2-KGI1", "G2-KGI2", "G2-M1-K1"]
    assert codes(council.get(URL, {"fy": 2025, "grade": "C"})) == ["G2-M1-K2"]
    assert codes(council.get(URL, {"fy": 2025, "grade": "B+"})) == ["G1-KGI1"]
    assert codes(council.get(URL, {"fy": 2026, "grade": "A"})) == []


def test_sorting_by_grade_puts_the_best_first_and_not_evaluable_last(council, graded):
    found = codes(council.get(URL, {"fy": 2025, "sort": "grade"}))
    assert found[:4] == ["G2-KGI1", "G2-KGI2", "G2-M1-K1", "G1-KGI1"]
    assert found.index("G2-M1-K2") < found.index("G3-KGI1")


def test_sorting_by_rate_descending_uses_the_evaluated_rate(council, graded):
    response = council.get(URL, {"fy": 2025, "sort": "-rate"})
    rates = [row["rate"] for row in response.context["table"].data if row["rate"] is not None]
    assert rates == sorted(rates, reverse=True) and rates[0] > 100
    assert 'aria-sort="descending"' in response.content.decode()


def test_the_table_is_paginated(council, graded):
    table = council.get(URL, {"page": 1}).context["table"]
    assert table.paginator.per_page == 50
    assert table.paginator.num_pages == 1 and len(table.page.object_list) == 48


def test_an_invalid_filter_value_is_refused_with_the_field_named(council, graded):
    response = council.get(URL, {"grade": "Z"})
    assert response.status_code == 400
    assert "評価" in response.content.decode() and "Z" in response.content.decode()


def test_the_csv_has_a_bom_japanese_headers_and_every_filtered_row_in_table_order(council, graded):
    response = council.get(URL, {"fy": 2025, "sort": "grade", "export": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = response.getvalue()  # streamed
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    header = rows[0]
    assert header[:3] == ["コード", "種別", "指標名"]
    assert "達成率（％）" in header and "評価" in header and "状態" in header
    assert len(rows) == 1 + 48
    assert [r[0] for r in rows[1:5]] == ["G2-KGI1", "G2-KGI2", "G2-M1-K1", "G1-KGI1"]
    kpi = dict(zip(header, rows[3], strict=True))
    assert kpi["評価"] == "A" and kpi["評価の名称"] == "順調" and kpi["達成率（％）"] == "181.8"
    assert kpi["実績値"] == "200" and kpi["年度"] == "2025年度（令和7年度）"
    kgi = next(dict(zip(header, r, strict=True)) for r in rows[1:] if r[0] == "G1-KGI1")
    assert kgi["実績値"] == "279000" and kgi["達成率（％）"] == "99.6" and kgi["状態"] == "承認済"


def test_the_csv_follows_the_filters(council, graded):
    response = council.get(URL, {"kind": "KGI", "export": "csv"})
    rows = list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["G1-KGI1", "G2-KGI1", "G2-KGI2", "G3-KGI1", "G3-KGI2", "G4-KGI1"]


def test_the_page_offers_the_csv_link_with_the_current_filters(council, graded):
    html = council.get(URL, {"kind": "KGI", "page": 1}).content.decode()
    assert "kind=KGI&amp;export=csv" in html


def _selected_year(response) -> str:
    import re

    select = re.search(r'<select name="fy"[^>]*>(.*?)</select>', response.content.decode(), re.S).group(1)
    return re.findall(r'<option value="(\d+)"[^>]*selected', select)


def test_the_year_list_preselects_the_year_shown_and_filtering_keeps_it(council, graded):
    """Without ?fy= the table shows the latest year with figures; the list says so, and 絞り込む keeps it."""
    set_actual("G2-M1-K1", 2026, 250)
    first = council.get(URL)
    assert first.context["year"] == 2026
    assert _selected_year(first) == ["2026"]
    # What the browser sends back when 絞り込む is pressed with another filter chosen.
    goal = Goal.objects.get(code="G1")
    again = council.get(URL, {"fy": _selected_year(first)[0], "goal": goal.pk})
    assert again.context["year"] == 2026 and _selected_year(again) == ["2026"]
    # A filter given without the year (an old bookmark) still shows, and selects, the year used.
    bookmark = council.get(URL, {"goal": goal.pk})
    assert _selected_year(bookmark) == [str(bookmark.context["year"])]


def test_a_result_missing_from_the_store_is_computed_and_shown_like_a_stored_one(council, graded):
    from kpis.models import StoredResult

    stored = list(council.get(URL, {"fy": 2025, "sort": "-rate"}).context["table"].data)
    StoredResult.objects.filter(indicator__code__in=["G2-M1-K1", "G2-M1-K3"]).delete()
    response = council.get(URL, {"fy": 2025, "sort": "-rate"})
    assert response.status_code == 200
    shown = list(response.context["table"].data)
    # The same rows in the same order with the same figures (the list sorted in memory also holds its keys).
    assert [{key: row[key] for key in before} for row, before in zip(shown, stored, strict=True)] == list(
        stored
    )


@pytest.mark.parametrize(
    "column",
    [
        "code",
        "kind",
        "name",
        "goal",
        "department",
        "baseline",
        "target",
        "expected",
        "compared",
        "rate",
        "grade",
        "status",
    ],
)
@pytest.mark.parametrize("descending", [False, True])
def test_the_database_sorts_every_column_as_the_rows_sorted_in_memory(graded, plan, column, descending):
    """The page sorts in SQL; where a result is not stored it sorts the same rows in memory: both agree,
    missing values after every number (first when descending), ties in plan order."""
    from kpis.models import Indicator
    from kpis.rules.evaluation import scale_for
    from reports.dashboards import queries
    from reports.dashboards.presenters import grade_rank
    from reports.dashboards.tables import IndicatorTable, rows_in_memory

    scale = scale_for(plan)
    rows = queries.table_rows(Indicator.objects.of_strategy(plan), 2025, internal=True)
    order = ("-" if descending else "") + column

    def sorted_codes(data):
        table = IndicatorTable(data, internal=True, year=2025, scale=scale, order_by=(order,))
        return [row.record["code"] for row in table.rows]

    in_database = sorted_codes(rows)
    assert in_database == sorted_codes(rows_in_memory(list(rows), {}, grade_rank(scale)))
    assert len(set(in_database)) == 48
