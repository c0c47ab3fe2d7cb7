"""The open-data view of the plan's indicators, shared by the API and `export_indicators`.

Every figure comes from kpis.rules.evaluation, so the API, the export and the screens agree. Decimals are
written as strings holding the exact value (see docs/api.md), never as floats.
"""

import datetime
import json
from decimal import Decimal

from django.db.models import Prefetch
from django.utils import timezone

from goals.models import Strategy
from kpis.models import Indicator, Placement
from kpis.rules.achievement import NOT_EVALUABLE
from kpis.rules.evaluation import Evaluation, evaluate_all, scale_for
from kpis.rules.publication import figure_state

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


def indicators_for_export(strategy: Strategy):
    """The strategy's indicators with everything the export shows, in a fixed number of queries."""
    placements = Placement.objects.select_related("policy").order_by(
        "policy__measure__goal__number", "policy__measure__number", "policy__number", "order"
    )
    return (
        Indicator.objects.of_strategy(strategy)
        .with_figures()
        .prefetch_related(Prefetch("placements", queryset=placements))
    )


def _indicator(evaluation: Evaluation, years: list[int], today: datetime.date) -> dict:
    indicator = evaluation.indicator
    placements = list(indicator.placements.all())
    department = indicator.department
    return {
        "code": indicator.code,
        "kind": indicator.kind,
        "goal_code": indicator.goal.code,
        "measure_code": indicator.measure.code if indicator.measure else None,
        "policy_codes": [p.policy.code for p in placements],
        "repost_policy_codes": [p.policy.code for p in placements if p.is_repost],
        "name": indicator.name,
        "unit": indicator.unit,
        "direction": indicator.direction,
        "aggregation": indicator.aggregation,
        "department": {"code": department.code, "name": department.name} if department else None,
        "baseline": {"fiscal_year": indicator.baseline_year, "value": decimal_text(indicator.baseline_value)},
        "target": {"fiscal_year": indicator.target_year, "value": decimal_text(indicator.target_value)},
        "publication": {
            "latest": month_text(indicator.latest_publication),
            "next": month_text(indicator.next_publication),
            "data_lag": indicator.data_lag,
        },
        "years": [_year(evaluation, year, today) for year in years],
    }


def month_text(day: datetime.date | None) -> str | None:
    """A publication month as "2027-03"."""
    return None if day is None else f"{day:%Y-%m}"


def _year(evaluation: Evaluation, year: int, today: datetime.date) -> dict:
    result = evaluation.year(year)
    record = evaluation.record(year)
    missing = figure_state(evaluation.indicator, record, today)
    entered = missing is None
    return {
        "fiscal_year": year,
        "expected": fixed_text(result.expected),
        "actual": decimal_text(result.actual),
        # The period the figure measures and how final it is; for a missing figure, whether it is only
        # awaiting its source's publication ("awaiting", with the month) or not entered ("missing").
        "data_period": record.measured_year if entered else None,
        "quality": record.quality if entered else None,
        "figure_state": "entered" if entered else missing.code,
        "next_publication": month_text(missing.next_publication) if missing else None,
        "status": record.status if record else None,
        "rate": fixed_text(result.rate),
        "grade": None if result.grade == NOT_EVALUABLE else result.grade,
        "progress_from_baseline": fixed_text(result.progress),
    }


def indicators_document(strategy: Strategy, *, approved_only: bool, fiscal_year: int | None = None) -> dict:
    """The whole export: the strategy, when it was made, and every indicator with its plan years.

    approved_only: unapproved figures are left out, as if not yet reported (what the public sees).
    """
    years = [fiscal_year] if fiscal_year is not None else strategy.plan_years
    today = timezone.localdate()
    evaluations = evaluate_all(
        indicators_for_export(strategy), strategy, approved_only=approved_only, scale=scale_for(strategy)
    )
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
        "indicators": [_indicator(evaluation, years, today) for evaluation in evaluations],
    }


def json_text(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def csv_header() -> list[str]:
    return [label for _key, label in CSV_COLUMNS]


def csv_rows(document: dict):
    """One row per indicator and year. Numbers go out as Decimals so that a minus sign is not taken
    for a formula and quoted (csvutil only neutralises text)."""
    for item in document["indicators"]:
        department = item["department"] or {}
        for year in item["years"]:
            flat = {
                **item,
                "policy_codes": " ".join(item["policy_codes"]),
                "department_code": department.get("code"),
                "department_name": department.get("name"),
                "baseline_fiscal_year": item["baseline"]["fiscal_year"],
                "baseline_value": item["baseline"]["value"],
                "target_fiscal_year": item["target"]["fiscal_year"],
                "target_value": item["target"]["value"],
                **year,
            }
            for key in (
                "baseline_value",
                "target_value",
                "expected",
                "actual",
                "rate",
                "progress_from_baseline",
            ):
                if flat[key] is not None:
                    flat[key] = Decimal(flat[key])
            yield [flat[key] for key, _label in CSV_COLUMNS]
