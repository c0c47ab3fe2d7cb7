"""Indicator lineage across plans: a continued indicator shows its whole series, and two plans compare."""

import json
import re
from decimal import Decimal

import pytest

from accounts.access import Role
from goals.models import Strategy
from kpis.models import ActualValue, Indicator
from tests.support.factories import make_user
from tests.support.plans import load_next_plan


@pytest.fixture
def dai4ki(plan, tmp_path):
    return load_next_plan(tmp_path)


@pytest.fixture
def planning(client, dai4ki):
    client.force_login(make_user("planning", Role.PLANNING))
    return client


def _old(code="G1-KGI1"):
    return Indicator.objects.get(strategy__code="dai3ki", code=code)


def _new(code="G1-KGI1"):
    return Indicator.objects.get(strategy__code="dai4ki", code=code)


def _approved(indicator, year, value):
    ActualValue.objects.create(
        indicator=indicator, fiscal_year=year, value=Decimal(value), status=ActualValue.Status.APPROVED
    )


def _link(client, new_code, continues, reason="同じ統計の継続"):
    return client.post(
        "/plans/dai4ki/lineage/link/",
        {"indicator": new_code, "continues": "" if continues is None else continues.pk, "reason": reason},
    )


def _chart(page: str) -> dict:
    match = re.search(r'<script id="chart-indicator" type="application/json">(.*?)</script>', page, re.S)
    assert match, "the page has no chart data"
    return json.loads(match.group(1))


def test_a_continued_indicator_draws_the_earlier_plans_figures_before_its_own(planning):
    old = _old()
    for year, value in ((2025, "278000"), (2026, "279500"), (2027, "281000")):
        _approved(old, year, value)
    assert _link(planning, "G1-KGI1", old).status_code == 302
    assert _new().continues == old
    page = planning.get("/plans/dai4ki/indicators/G1-KGI1/").content.decode()
    assert "次の指標を継続しています" in page
    assert 'href="/indicators/G1-KGI1/"' in page  # the 第３期 is current: its page lives at today's URL
    chart = _chart(page)
    earlier = [t for t in chart["data"] if t["name"] == "前の計画の実績（2025〜2027年度）"]
    assert len(earlier) == 1
    assert [Decimal(str(v)) for v in earlier[0]["y"]] == [Decimal(278000), Decimal(279500), Decimal(281000)]
    ticks = chart["layout"]["xaxis"]["categoryarray"]
    assert len(ticks) == 6  # 2025…2030: the earlier plan's years, then this plan's baseline year and years
    boundary = chart["layout"]["shapes"][0]
    assert boundary["x0"] == 2.5  # between FY2027 (this plan's baseline, the old plan's last year) and FY2028
    assert any(a["text"] == "この計画の開始" for a in chart["layout"]["annotations"])
    assert "281,000" in page  # the earlier figures are in a table too, not only in the picture
    # The change is in the indicator's history as people know the earlier indicator, with its reason.
    assert "第３期阿見町まち・ひと・しごと創生総合戦略 G1-KGI1 実質町内総生産（年間）" in page
    assert "同じ統計の継続" in page


def test_the_earlier_indicator_says_what_continues_it(planning):
    _link(planning, "G1-KGI1", _old())
    page = planning.get("/indicators/G1-KGI1/").content.decode()
    assert "次の指標に継続されています" in page
    assert 'href="/plans/dai4ki/indicators/G1-KGI1/"' in page


def test_the_comparison_table_counts_continued_new_and_ended_and_marks_a_rename(planning):
    Indicator.objects.filter(pk=_new("G2-KGI1").pk).update(name="社会増減数（改称）")
    _link(planning, "G1-KGI1", _old("G1-KGI1"))
    _link(planning, "G2-KGI1", _old("G2-KGI1"))
    response = planning.get("/plans/dai4ki/lineage/")
    page = response.content.decode()
    total = Indicator.objects.filter(strategy__code="dai3ki").count()
    assert f"継続 2件、新規 {total - 2}件、終了 {total - 2}件" in page
    assert page.count("名称変更") == 1


def test_the_baseline_is_proposed_from_the_last_approved_actual_and_adopted_with_history(planning):
    old = _old()
    _approved(old, 2026, "279500")
    _approved(old, 2027, "281000")
    ActualValue.objects.create(indicator=old, fiscal_year=2024, value=Decimal(1), status="draft")
    _link(planning, "G1-KGI1", old)
    new = _new()
    page = planning.get("/plans/dai4ki/lineage/").content.decode()
    assert "2027年度の実績を基準値にする" in page
    response = planning.post(
        "/plans/dai4ki/lineage/baseline/",
        {
            "indicator": "G1-KGI1",
            "was_year": new.baseline_year,
            "was_value": new.baseline_value,
            "reason": "前の計画の最終実績を採用",
        },
    )
    assert response.status_code == 302
    new.refresh_from_db()
    assert (new.baseline_year, new.baseline_value) == (2027, Decimal(281000))
    latest = new.history.first()
    assert (latest.history_user.username, latest.history_change_reason) == (
        "planning",
        "前の計画の最終実績を採用",
    )
    assert "2027年度の実績を基準値にする" not in planning.get("/plans/dai4ki/lineage/").content.decode()


def test_a_baseline_changed_since_the_page_was_drawn_is_not_overwritten(planning):
    old = _old()
    _approved(old, 2027, "281000")
    _link(planning, "G1-KGI1", old)
    response = planning.post(
        "/plans/dai4ki/lineage/baseline/",
        {"indicator": "G1-KGI1", "was_year": 2027, "was_value": "1", "reason": "採用"},
    )
    assert response.status_code == 302
    new = _new()
    assert new.baseline_value != Decimal(281000)
    assert "基準値が変更されました" in planning.get(response["Location"]).content.decode()


def test_nothing_to_propose_without_an_approved_actual(planning):
    _link(planning, "G1-KGI1", _old())
    response = planning.post(
        "/plans/dai4ki/lineage/baseline/",
        {"indicator": "G1-KGI1", "was_year": "", "was_value": "", "reason": "x"},
    )
    assert response.status_code == 400
    assert "承認済みの実績がない" in response.content.decode()


@pytest.mark.parametrize(
    ("indicator", "continues", "message"),
    [
        ("G1-KGI1", lambda: _new("G2-KGI1"), "この計画より前に始まった計画の指標"),  # the same plan
        ("G9-KGI9", lambda: _old(), "この計画にその指標はありません"),
        ("G1-KGI1", lambda: Indicator(pk=999999), "継続元の指標が見つかりません"),
    ],
)
def test_a_wrong_link_is_refused_with_a_message_and_nothing_saved(planning, indicator, continues, message):
    response = _link(planning, indicator, continues())
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Indicator.objects.filter(continues__isnull=False).exists()


def test_an_earlier_plan_cannot_continue_a_later_one(planning):
    response = planning.post(
        "/lineage/link/", {"indicator": "G1-KGI1", "continues": _new().pk, "reason": "逆向き"}
    )
    assert response.status_code == 400
    assert "この計画より前に始まった計画の指標" in response.content.decode()


def test_a_link_needs_a_reason(planning):
    assert _link(planning, "G1-KGI1", _old(), reason="").status_code == 400
    assert _new().continues is None


@pytest.mark.parametrize(("role", "expected"), [(None, 302), (Role.STAFF, 403), (Role.COUNCIL, 403)])
def test_only_the_planning_office_links_indicators(client, dai4ki, role, expected):
    if role:
        client.force_login(make_user("someone", role))
    response = client.post(
        "/plans/dai4ki/lineage/link/", {"indicator": "G1-KGI1", "continues": _old().pk, "reason": "x"}
    )
    assert response.status_code == expected
    assert _new().continues is None
    if role is None:
        assert "/accounts/login/" in response["Location"]


def test_an_ended_plan_takes_no_link(planning, dai4ki):
    Strategy.objects.filter(pk=dai4ki.pk).update(is_closed=True)
    assert _link(planning, "G1-KGI1", _old()).status_code == 403
    assert _new().continues is None
