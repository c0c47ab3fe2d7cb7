"""The open data reads each indicator's years and placements in indicator-id order (the database's indexes,
no sort) and writes the indicators in plan order. Indicators whose ids are out of plan order (reordered, or
added to a plan after it was loaded) still get their own years and placements, from what is stored."""

import json

import pytest

from kpis.api import serializers
from kpis.models import INDICATOR_ORDER, Indicator, Kind, StoredResult
from tests.kpis.test_api_safe_text import check_against_legacy, planner  # noqa: F401 - a fixture
from tests.support.factories import set_actual

pytestmark = pytest.mark.django_db


def reverse_the_kpis(plan) -> list[str]:
    """Number the KPIs in the reverse of their creation, so that every KPI's id is out of plan order; the
    codes in the new plan order."""
    kpis = Indicator.objects.filter(strategy=plan, kind=Kind.KPI).order_by("-pk")
    for order, pk in enumerate(kpis.values_list("pk", flat=True)):
        Indicator.objects.filter(pk=pk).update(order=order)
    in_order = Indicator.objects.filter(strategy=plan).order_by(*INDICATOR_ORDER, "pk")
    ids = list(in_order.values_list("pk", flat=True))
    assert ids != sorted(ids)
    return list(in_order.values_list("code", flat=True))


def test_indicators_out_of_id_order_come_in_plan_order_with_their_own_years_and_placements(
    planner,  # noqa: F811 - the fixture
    plan,
    monkeypatch,
):
    for code, value in (("G1-M1-K1", 3), ("G4-M3-K3", "12.5"), ("G2-KGI1", -40)):
        set_actual(code, 2025, value)
    codes = reverse_the_kpis(plan)

    def computed(*args):
        raise AssertionError("every result is stored: none is computed on read")

    monkeypatch.setattr(serializers, "_computed", computed)
    json_data, _csv = check_against_legacy(planner, plan)
    check_against_legacy(planner, plan, 2025)
    indicators = json.loads(json_data)["indicators"]
    assert [item["code"] for item in indicators] == codes
    reposted = next(item for item in indicators if item["code"] == "G1-M1-K1")
    assert (reposted["policy_codes"], reposted["repost_policy_codes"]) == (
        ["G1-M1-P1", "G3-M2-P2"],
        ["G3-M2-P2"],
    )
    assert reposted["years"][0]["actual"] == "3"


def test_an_indicator_out_of_order_without_stored_results_is_computed_and_the_rest_still_read(
    planner,  # noqa: F811 - the fixture
    plan,
):
    codes = reverse_the_kpis(plan)
    StoredResult.objects.filter(indicator__code=codes[len(codes) // 2]).delete()
    json_data, _csv = check_against_legacy(planner, plan)
    assert [item["code"] for item in json.loads(json_data)["indicators"]] == codes
