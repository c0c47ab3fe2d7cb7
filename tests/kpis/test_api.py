import csv
import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from kpis.models import ActualValue
from tests.support.factories import PASSWORD, build_synthetic_plan, make_user, set_actual, update_indicators
from tests.support.figures import KGI_RESULTS_2025, import_kgi_figures

pytestmark = pytest.mark.django_db


def body(response) -> bytes:
    """The answer's bytes; the API streams them (read here, as a client would)."""
    return b"".join(response.streaming_content) if response.streaming else response.content


def get_json(client, **params):
    response = client.get(reverse("api:indicators_json"), params)
    assert response.status_code == 200, body(response)
    return json.loads(body(response))


def year_of(document, code, fiscal_year):
    item = next(i for i in document["indicators"] if i["code"] == code)
    return next(y for y in item["years"] if y["fiscal_year"] == fiscal_year)


def login(client, user):
    client.login(username=user.username, password=PASSWORD)


def test_imported_kgi_figures_give_domain_rates_and_grades_in_the_api(plan, client, tmp_path):
    import_kgi_figures(tmp_path, "--approve")
    document = get_json(client)
    for code, (expected, actual, rate, grade) in KGI_RESULTS_2025.items():
        year = year_of(document, code, 2025)
        assert (year["expected"], year["actual"], year["rate"], year["grade"]) == (
            expected,
            actual,
            rate,
            grade,
        )
        assert year["status"] == "approved"
    assert year_of(document, "G2-KGI1", 2025)["progress_from_baseline"] == "73.4"


def test_the_csv_gives_the_same_figures_as_the_json(plan, client, tmp_path):
    import_kgi_figures(tmp_path, "--approve")
    response = client.get(reverse("api:indicators_csv"))
    rows = list(csv.DictReader(io.StringIO(body(response).decode("utf-8-sig"))))
    by_key = {(row["指標コード"], row["年度"]): row for row in rows}
    for code, (expected, actual, rate, grade) in KGI_RESULTS_2025.items():
        row = by_key[(code, "2025")]
        assert (row["期待値"], row["実績値"], row["達成率"], row["評価"]) == (expected, actual, rate, grade)


def test_the_json_has_the_documented_shape(plan, departments, client):
    set_actual("G2-KGI1", 2025, 400)
    document = get_json(client)
    assert set(document) == {"strategy", "generated_at", "fiscal_year", "approved_only", "indicators"}
    assert document["strategy"] == {
        "code": "dai3ki",
        "name": "第３期阿見町まち・ひと・しごと創生総合戦略",
        "baseline_year": 2024,
        "first_year": 2025,
        "last_year": 2027,
        "plan_years": [2025, 2026, 2027],
    }
    assert document["generated_at"].endswith("+09:00")
    assert len(document["indicators"]) == 48
    social = next(i for i in document["indicators"] if i["code"] == "G2-KGI1")
    assert social == {
        "code": "G2-KGI1",
        "kind": "KGI",
        "goal_code": "G2",
        "measure_code": None,
        "policy_codes": [],
        "repost_policy_codes": [],
        "name": "社会増数",
        "unit": "人／年",
        "direction": "higher",
        "aggregation": "annual",
        "department": {"code": "kodomo", "name": "こども家庭課"},
        "baseline": {"fiscal_year": 2024, "value": "568"},
        "target": {"fiscal_year": 2027, "value": "339", "revised_from": None},
        "publication": {"latest": None, "next": None, "data_lag": None},
        "years": [
            {
                "fiscal_year": 2025,
                "expected": "491.67",
                "actual": "400",
                "data_period": 2025,
                "quality": "final",
                "figure_state": "entered",
                "next_publication": None,
                "status": "approved",
                "rate": "81.4",
                "grade": "B+",
                "progress_from_baseline": "73.4",
            },
            {
                "fiscal_year": 2026,
                "expected": "415.33",
                "actual": None,
                "data_period": None,
                "quality": None,
                "figure_state": "missing",
                "next_publication": None,
                "status": None,
                "rate": None,
                "grade": None,
                "progress_from_baseline": None,
            },
            {
                "fiscal_year": 2027,
                "expected": "339.00",
                "actual": None,
                "data_period": None,
                "quality": None,
                "figure_state": "missing",
                "next_publication": None,
                "status": None,
                "rate": None,
                "grade": None,
                "progress_from_baseline": None,
            },
        ],
    }


def test_a_reposted_kpi_is_one_indicator_listing_every_placement(plan, client):
    document = get_json(client)
    reposted = [i for i in document["indicators"] if i["code"] == "G1-M1-K1"]
    assert len(reposted) == 1
    assert reposted[0]["policy_codes"] == ["G1-M1-P1", "G3-M2-P2"]
    assert reposted[0]["repost_policy_codes"] == ["G3-M2-P2"]
    assert reposted[0]["measure_code"] == "G1-M1"


def test_decimals_are_exact_strings_never_floats(plan, client):
    set_actual("G3-KGI2", 2025, "3.10")
    set_actual("G2-KGI1", 2025, -12)
    raw = body(client.get(reverse("api:indicators_json"))).decode()
    document = json.loads(raw, parse_float=lambda text: pytest.fail(f"a float in the JSON: {text}"))
    assert year_of(document, "G3-KGI2", 2025)["actual"] == "3.1"
    assert year_of(document, "G2-KGI1", 2025)["actual"] == "-12"
    assert next(i for i in document["indicators"] if i["code"] == "G3-KGI2")["baseline"]["value"] == "3.19"


def test_anonymous_visitors_see_approved_values_only(plan, client):
    set_actual("G2-KGI1", 2025, 400, status=ActualValue.Status.APPROVED)
    set_actual("G1-KGI1", 2025, 279000, status=ActualValue.Status.SUBMITTED)
    set_actual("G2-KGI2", 2025, 3200, status=ActualValue.Status.DRAFT)
    document = get_json(client)
    assert document["approved_only"] is True
    assert year_of(document, "G2-KGI1", 2025)["actual"] == "400"
    for code in ("G1-KGI1", "G2-KGI2"):
        year = year_of(document, code, 2025)
        assert year["actual"] is None and year["status"] is None
        assert year["rate"] is None and year["grade"] is None and year["progress_from_baseline"] is None
        assert year["expected"] is not None  # the plan itself is public
    assert "279000" not in body(client.get(reverse("api:indicators_csv"))).decode("utf-8-sig")


def test_a_cumulative_indicator_counts_only_approved_years_for_anonymous_visitors(plan, client):
    from kpis.models import Indicator

    update_indicators(
        Indicator.objects.filter(code="G3-M1-K1"),
        aggregation="cumulative",
        baseline_year=2024,
        baseline_value=0,
        target_year=2027,
        target_value=300,
    )
    set_actual("G3-M1-K1", 2025, 100, status=ActualValue.Status.DRAFT)
    set_actual("G3-M1-K1", 2026, 100, status=ActualValue.Status.APPROVED)
    year = year_of(get_json(client), "G3-M1-K1", 2026)
    assert year["actual"] == "100" and year["rate"] is None and year["grade"] is None


@pytest.mark.parametrize("role", ["staff_own", "planning", "council"])
def test_signed_in_users_with_a_role_see_every_value_with_its_status(plan, users, client, role):
    set_actual("G1-KGI1", 2025, 279000, status=ActualValue.Status.SUBMITTED)
    set_actual("G2-KGI2", 2025, 3200, status=ActualValue.Status.DRAFT)
    login(client, users[role])
    document = get_json(client)
    assert document["approved_only"] is False
    assert (
        year_of(document, "G1-KGI1", 2025) | {"progress_from_baseline": None}
        == {
            "fiscal_year": 2025,
            "expected": "280021.33",
            "actual": "279000",
            "data_period": 2022,  # 実質町内総生産 trails by three years (the plan's ※１: 令和3年度 data for FY2024)
            "quality": "final",
            "figure_state": "entered",
            "next_publication": None,
            "status": "submitted",
            "rate": "99.6",
            "grade": "B+",
            "progress_from_baseline": None,
        }
    )
    assert year_of(document, "G2-KGI2", 2025)["status"] == "draft"


def test_a_signed_in_user_without_a_role_sees_what_the_public_sees(plan, client):
    set_actual("G2-KGI2", 2025, 3200, status=ActualValue.Status.DRAFT)
    login(client, make_user("no-role", None))
    assert year_of(get_json(client), "G2-KGI2", 2025)["actual"] is None


def test_responses_with_drafts_are_not_kept_by_shared_caches(plan, users, client):
    login(client, users["planning"])
    response = client.get(reverse("api:indicators_json"))
    assert "private" in response["Cache-Control"]
    assert "Cookie" in response["Vary"]


def test_the_fiscal_year_parameter_keeps_one_year(plan, client):
    for text in ("2026", "令和8年度"):
        document = get_json(client, fiscal_year=text)
        assert document["fiscal_year"] == 2026
        assert {y["fiscal_year"] for i in document["indicators"] for y in i["years"]} == {2026}
    response = client.get(reverse("api:indicators_csv"), {"fiscal_year": "2026"})
    rows = list(csv.DictReader(io.StringIO(body(response).decode("utf-8-sig"))))
    assert len(rows) == 48 and {row["年度"] for row in rows} == {"2026"}
    assert "indicators-dai3ki-2026.csv" in response["Content-Disposition"]


@pytest.mark.parametrize(
    "value, message", [("abc", "年度として読めません"), ("2031", "計画期間（2025〜2027年度）の外")]
)
@pytest.mark.parametrize("name", ["api:indicators_json", "api:indicators_csv"])
def test_a_bad_fiscal_year_parameter_gives_a_400_naming_it(plan, client, name, value, message):
    response = client.get(reverse(name), {"fiscal_year": value})
    assert response.status_code == 400
    answer = json.loads(body(response))
    assert answer["error"].startswith("年度（fiscal_year）") and message in answer["error"]


def test_without_a_plan_the_api_says_so_with_a_404(db, client):
    response = client.get(reverse("api:indicators_json"))
    assert response.status_code == 404
    assert "計画" in json.loads(body(response))["error"]


def test_the_api_only_answers_get(plan, client):
    assert client.post(reverse("api:indicators_json")).status_code == 405


def test_the_csv_is_utf8_with_a_bom_and_one_row_per_indicator_and_year(plan, client):
    set_actual("G2-KGI1", 2025, -12)
    response = client.get(reverse("api:indicators_csv"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    content = body(response)
    assert content.startswith("\ufeff指標コード,種別,".encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert len(rows) == 1 + 48 * 3
    social = next(dict(zip(rows[0], row, strict=True)) for row in rows[1:] if row[0] == "G2-KGI1")
    # A negative figure stays a number: not quoted as if it were a formula.
    assert social["実績値"] == "-12"
    assert social["担当課コード"] == "" and social["状態"] == "approved"
    reposted = next(dict(zip(rows[0], row, strict=True)) for row in rows[1:] if row[0] == "G1-M1-K1")
    assert reposted["施策コード"] == "G1-M1-P1 G3-M2-P2"


def test_an_exported_csv_can_be_edited_and_imported_back(plan, users, client, tmp_path):
    """The export's 指標コード, 年度 and 実績値 are the import's headers; other columns are ignored."""
    set_actual("G2-KGI1", 2025, 400, status=ActualValue.Status.DRAFT)
    login(client, users["planning"])
    content = body(client.get(reverse("api:indicators_csv"), {"fiscal_year": "2025"})).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    value_column = rows[0].index("実績値")
    social = next(row for row in rows if row[0] == "G2-KGI1")
    social[value_column] = "450"
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path = tmp_path / "back.csv"
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))
    out = io.StringIO()
    call_command("import_actuals", str(path), "--dry-run", stdout=out)
    assert "G2-KGI1 2025年度（令和7年度）: 実績値 400 → 450" in out.getvalue()
    assert "1件を変更します（変更なし 47件）" in out.getvalue()


# The strategy, the indicators (as rows), and one stream each of their years (stored results joined to the
# figures entered) and placements (kpis.api.serializers), the data version for the ETag (kpis.versioning),
# and session and user lookups for a signed-in user; none grows with the plan (the grade scale is not
# read: the results come as stored).
@pytest.mark.parametrize("copies", [1, 100])
@pytest.mark.parametrize("name", ["api:indicators_json", "api:indicators_csv"])
@pytest.mark.parametrize("signed_in, queries", [(False, 5), (True, 8)])
def test_the_api_costs_the_same_queries_at_42_and_4200_kpis(
    db, client, django_assert_num_queries, copies, name, signed_in, queries
):
    build_synthetic_plan(copies)
    if signed_in:
        login(client, make_user("planner", "planning_office"))
    with django_assert_num_queries(queries):
        response = client.get(reverse(name))
        assert response.streaming  # the body is read (and its queries run) while the client reads it
        content = body(response)
    assert response.status_code == 200
    if name == "api:indicators_json":
        assert len(json.loads(content)["indicators"]) == 48 * copies
