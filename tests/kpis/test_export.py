import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from kpis.models import ActualValue
from tests.support.factories import build_synthetic_plan, set_actual
from tests.support.figures import KGI_RESULTS_2025, import_kgi_figures

pytestmark = pytest.mark.django_db


def export(*args) -> str:
    out = io.StringIO()
    call_command("export_indicators", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def year_of(document, code, fiscal_year):
    item = next(i for i in document["indicators"] if i["code"] == code)
    return next(y for y in item["years"] if y["fiscal_year"] == fiscal_year)


def test_imported_kgi_figures_give_domain_rates_and_grades_in_the_json_export(plan, tmp_path):
    import_kgi_figures(tmp_path)  # drafts: the export shows every value
    document = json.loads(export("--format", "json"))
    for code, (expected, actual, rate, grade) in KGI_RESULTS_2025.items():
        year = year_of(document, code, 2025)
        assert (year["expected"], year["actual"], year["rate"], year["grade"]) == (
            expected,
            actual,
            rate,
            grade,
        )
        assert year["status"] == "draft"


def test_imported_kgi_figures_give_domain_rates_and_grades_in_the_csv_export(plan, tmp_path):
    import_kgi_figures(tmp_path)
    output = tmp_path / "indicators.csv"
    export("--format", "csv", "--fiscal-year", "2025", "--output", str(output))
    data = output.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = {row["指標コード"]: row for row in csv.DictReader(io.StringIO(data.decode("utf-8-sig")))}
    assert len(rows) == 48
    for code, (expected, actual, rate, grade) in KGI_RESULTS_2025.items():
        row = rows[code]
        assert (row["年度"], row["期待値"], row["実績値"], row["達成率"], row["評価"]) == (
            "2025",
            expected,
            actual,
            rate,
            grade,
        )


def test_the_export_includes_unapproved_values_with_their_status(plan):
    set_actual("G2-KGI2", 2025, 3200, status=ActualValue.Status.SUBMITTED)
    document = json.loads(export())
    assert document["approved_only"] is False
    assert year_of(document, "G2-KGI2", 2025) | {"expected": None} == {
        "fiscal_year": 2025,
        "expected": None,
        "actual": "3200",
        "data_period": 2025,
        "quality": "final",
        "figure_state": "entered",
        "next_publication": None,
        "status": "submitted",
        "rate": "100.9",
        "grade": "A",
        "progress_from_baseline": "39.8",
    }


def test_the_json_export_to_a_file_is_utf8_without_escapes(plan, tmp_path):
    output = tmp_path / "indicators.json"
    export("--format", "json", "--output", str(output))
    text = output.read_text(encoding="utf-8")
    assert "社会増数" in text
    assert json.loads(text)["strategy"]["code"] == "dai3ki"


def test_the_fiscal_year_option_keeps_one_year(plan):
    document = json.loads(export("--fiscal-year", "令和9年度"))
    assert document["fiscal_year"] == 2027
    assert {y["fiscal_year"] for i in document["indicators"] for y in i["years"]} == {2027}


@pytest.mark.parametrize(
    "year, message", [("2024", "計画期間（2025〜2027年度）の外"), ("来年", "年度として読めません")]
)
def test_a_bad_fiscal_year_option_is_refused(plan, year, message):
    with pytest.raises(CommandError, match=message):
        export("--fiscal-year", year)


def test_an_unwritable_output_is_refused_with_a_message(plan, tmp_path):
    with pytest.raises(CommandError, match="書き出せません"):
        export("--output", str(tmp_path / "missing" / "x.json"))


def test_without_a_plan_the_export_says_so(db):
    with pytest.raises(CommandError, match="load_plan"):
        export()


@pytest.mark.parametrize("copies", [1, 100])
@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_the_export_costs_the_same_queries_at_42_and_4200_kpis(db, django_assert_num_queries, copies, fmt):
    build_synthetic_plan(copies)
    # The strategy, the indicators, their years (stored results joined to the figures entered) and their
    # placements (kpis.api.serializers); the grade scale is not read (the results come as stored).
    with django_assert_num_queries(4):
        text = export("--format", fmt)
    assert text.count("\n") > 48 * copies
