"""Several plans side by side: the current plan at today's URLs, any other under /plans/<code>/.

The 第４期 here is the 第３期's fixture three years on (FY2028–2030), loaded inactive as a draft is.
"""

import io
import json
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from accounts.access import Role
from goals.models import Strategy
from kpis.models import ActualValue, FiscalYear, Indicator
from tests.support.entry import form_fields, set_year_state
from tests.support.factories import make_department, make_user
from tests.support.plans import load_next_plan


@pytest.fixture
def dai4ki(plan, tmp_path):
    return load_next_plan(tmp_path)


@pytest.fixture
def planning(client, dai4ki):
    client.force_login(make_user("planning", Role.PLANNING))
    return client


def test_todays_urls_still_show_the_current_plan(planning, plan, dai4ki):
    page = planning.get("/goals/G1/").content.decode()
    assert plan.name in page
    assert "現行の計画ではない" not in page
    assert "2025年度" in planning.get("/indicators/G1-KGI1/").content.decode()


def test_another_plan_lives_under_its_code_and_every_link_on_its_pages_stays_there(planning, dai4ki):
    response = planning.get("/plans/dai4ki/goals/G1/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "第４期阿見町総合戦略（案）" in page
    assert "現行の計画ではない「第４期阿見町総合戦略（案）」を表示しています。" in page
    assert 'href="/plans/dai4ki/indicators/G1-KGI1/"' in page
    assert 'href="/goals/' not in page  # no link leads back into the current plan unawares
    assert 'href="/static/css/app.css"' in page or "/static/" in page
    assert "/plans/dai4ki/static/" not in page
    indicator = planning.get("/plans/dai4ki/indicators/G1-KGI1/").content.decode()
    assert "2027年度" in indicator and "2030年度" in indicator  # the draft's baseline and target years


@pytest.mark.parametrize(
    "path",
    [
        "",
        "goals/G3/",
        "indicators/",
        "indicators/G3-M1-K1/",
        "entry/",
        "review/",
        "fiscal-years/",
        "meetings/",
        "opinions/",
        "reports/",
        "settings/grade-bands/",
        "api/v1/indicators.json",
        "api/v1/indicators.csv",
    ],
)
def test_every_page_works_for_each_plan(planning, dai4ki, path):
    for prefix in ("/", "/plans/dai4ki/"):
        response = planning.get(prefix + path)
        assert response.status_code == 200, (prefix + path, response.status_code)


def test_the_api_and_the_workbook_are_those_of_the_plan_in_the_url(planning, plan, dai4ki):
    current = json.loads(b"".join(planning.get("/api/v1/indicators.json")).decode() or "{}")
    draft = json.loads(b"".join(planning.get("/plans/dai4ki/api/v1/indicators.json")).decode() or "{}")
    assert json.dumps(current, ensure_ascii=False).count("2030") < json.dumps(
        draft, ensure_ascii=False
    ).count("2030")
    workbook = planning.get("/plans/dai4ki/reports/review.xlsx?fiscal_year=2028")
    assert workbook.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(workbook)), read_only=True)
    cells = " ".join(
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value
    )
    assert "第４期阿見町総合戦略（案）" in cells
    assert plan.name not in cells


def test_the_plan_selector_lists_every_plan_with_its_state_and_address(planning, plan, dai4ki):
    page = planning.get("/").content.decode()
    selector = page[page.index('class="plan-switch"') :]
    selector = selector[: selector.index("</details>")]
    assert '<a href="/" aria-current="true">第３期' in selector
    assert '<a href="/plans/dai4ki/">第４期' in selector
    assert "現行" in selector and "準備中" in selector
    assert "2028〜2030年度" in selector
    draft_page = planning.get("/plans/dai4ki/").content.decode()
    assert '<a href="/plans/dai4ki/" aria-current="true">第４期' in draft_page


def test_one_plan_has_no_selector(client, plan):
    client.force_login(make_user("planning", Role.PLANNING))
    assert 'class="plan-switch"' not in client.get("/").content.decode()


def test_the_current_plan_under_a_prefix_goes_to_its_usual_address(planning, dai4ki):
    response = planning.get("/plans/dai3ki/goals/G1/?fy=2025")
    assert response.status_code == 302
    assert response["Location"] == "/goals/G1/?fy=2025"


def test_an_unknown_plan_is_a_404_naming_it(planning, dai4ki):
    response = planning.get("/plans/dai9ki/goals/G1/")
    assert response.status_code == 404


def test_the_login_page_returns_to_the_plan_the_person_was_reading(client, dai4ki):
    response = client.get("/plans/dai4ki/entry/")
    assert response.status_code == 302
    assert response["Location"].startswith("/plans/dai4ki/accounts/login/?next=/plans/dai4ki/entry/")


def _own_both(dai4ki):
    """こども家庭課 owns G3-M1-K1 in both plans; its clerk enters the draft's FY2028 figure."""
    department = make_department("kodomo", "こども家庭課", ["G3-M1-K1"])
    clerk = make_user("clerk", Role.STAFF, [department])
    set_year_state(dai4ki, 2028, FiscalYear.State.OPEN)
    return clerk


def test_a_department_enters_figures_of_the_plan_in_the_url_only(client, plan, dai4ki):
    client.force_login(_own_both(dai4ki))
    url = "/plans/dai4ki/entry/2028/?department=kodomo"
    page = client.get(url)
    assert page.status_code == 200
    draft_indicator = Indicator.objects.get(strategy=dai4ki, code="G3-M1-K1")
    fields = form_fields(page.content.decode())
    response = client.post(url, {**fields, "action": "save", f"i{draft_indicator.pk}-value": "１２３"})
    assert response.status_code == 302
    assert response["Location"].startswith("/plans/dai4ki/entry/2028/")
    assert ActualValue.objects.get(indicator=draft_indicator, fiscal_year=2028).value == Decimal(123)
    assert not ActualValue.objects.filter(indicator__strategy=plan).exists()


def test_an_ended_plan_is_browsable_but_refuses_every_change(client, plan, dai4ki):
    clerk = _own_both(dai4ki)
    client.force_login(clerk)
    url = "/plans/dai4ki/entry/2028/?department=kodomo"
    fields = form_fields(client.get(url).content.decode())
    Strategy.objects.filter(pk=dai4ki.pk).update(is_closed=True)
    page = client.get(url)
    assert page.status_code == 200
    assert "「第４期阿見町総合戦略（案）」は終了した計画です。閲覧のみできます。" in page.content.decode()
    draft_indicator = Indicator.objects.get(strategy=dai4ki, code="G3-M1-K1")
    response = client.post(url, {**fields, "action": "save", f"i{draft_indicator.pk}-value": "5"})
    assert response.status_code == 403
    assert "終了した計画です。閲覧はできますが、変更はできません。" in response.content.decode()
    assert not ActualValue.objects.filter(indicator=draft_indicator).exists()


@pytest.mark.parametrize(
    "path",
    ["fiscal-years/", "settings/grade-bands/", "meetings/", "reports/import/", "opinions/new/"],
)
def test_an_ended_plan_refuses_the_planning_offices_changes_too(planning, dai4ki, path):
    Strategy.objects.filter(pk=dai4ki.pk).update(is_closed=True)
    response = planning.post(f"/plans/dai4ki/{path}", {"anything": "1"})
    assert response.status_code == 403
    assert "終了した計画です" in response.content.decode()


def test_people_s_roles_stay_editable_while_a_plan_has_ended(planning, plan):
    Strategy.objects.filter(pk=plan.pk).update(is_closed=True)
    person = make_user("someone", None)
    response = planning.post(f"/settings/roles/{person.pk}/", {"roles": [Role.STAFF], "reason": "異動"})
    assert response.status_code in (200, 302)
    assert "終了した計画です" not in response.content.decode()


# --- The planning office sets which plan is current and which has ended ----------------------------------


def _state(client, code: str, action: str, reason: str = "第４期の開始"):
    return client.post(f"/settings/plans/{code}/state/", {"action": action, "reason": reason})


def test_making_the_draft_current_moves_todays_urls_to_it_and_keeps_the_old_plan_browsable(
    planning, plan, dai4ki
):
    response = _state(planning, "dai4ki", "make_current")
    assert response.status_code == 302
    assert "第４期阿見町総合戦略（案）" in planning.get("/goals/G1/").content.decode()
    old = planning.get("/plans/dai3ki/goals/G1/")
    assert old.status_code == 200 and plan.name in old.content.decode()
    assert planning.get("/plans/dai4ki/goals/G1/")["Location"] == "/goals/G1/"
    history = dai4ki.history.first()
    assert (history.is_active, history.history_user.username, history.history_change_reason) == (
        True,
        "planning",
        "第４期の開始",
    )
    # And back: making the 第３期 current again deactivates the later draft.
    _state(planning, "dai3ki", "make_current", "取り違え")
    assert plan.name in planning.get("/goals/G1/").content.decode()
    assert not Strategy.objects.get(code="dai4ki").is_active


def test_ending_and_reopening_a_plan(planning, plan, dai4ki):
    assert _state(planning, "dai3ki", "close", "計画期間の終了").status_code == 302
    page = planning.get("/").content.decode()
    assert "終了した計画です。閲覧のみできます。" in page
    assert planning.post("/fiscal-years/", {"anything": "1"}).status_code == 403
    _state(planning, "dai3ki", "reopen", "誤操作")
    assert not Strategy.objects.get(code="dai3ki").is_closed
    assert [h.history_change_reason for h in plan.history.order_by("history_date")][-2:] == [
        "計画期間の終了",
        "誤操作",
    ]


def test_a_plan_state_change_needs_a_reason_and_a_known_action(planning, dai4ki):
    missing = _state(planning, "dai4ki", "close", "")
    assert missing.status_code == 400
    assert "変更の理由" in missing.content.decode()
    assert _state(planning, "dai4ki", "explode").status_code == 400
    assert not Strategy.objects.get(code="dai4ki").is_closed
    assert _state(planning, "dai9ki", "close").status_code == 404


@pytest.mark.parametrize(
    ("role", "expected"),
    [(None, 302), (Role.STAFF, 403), (Role.COUNCIL, 403), (Role.PLANNING, 200)],
)
def test_only_the_planning_office_sets_a_plans_state(client, dai4ki, role, expected):
    if role:
        client.force_login(make_user("someone", role))
    assert client.get("/settings/plans/dai4ki/state/").status_code == expected
    response = client.post("/settings/plans/dai4ki/state/", {"action": "close", "reason": "x"})
    assert response.status_code == (expected if expected != 200 else 302)
    assert Strategy.objects.get(code="dai4ki").is_closed == (role == Role.PLANNING)
