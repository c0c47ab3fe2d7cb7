"""The steps that keep a year safe: the 締切日, plausibility warnings, submitting and locking in two steps."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kpis.cycle import services
from kpis.models import ActualValue, CycleSettings, FiscalYear, Indicator, Submission
from lib.fiscal import date_label, deadline_countdown, wareki_date
from tests.support.entry import (
    OWN_CODES,
    entry_data,
    entry_url,
    login,
    save_and_submit,
    set_year_state,
)
from tests.support.factories import set_actual, update_indicators

FISCAL_YEARS = reverse("cycle:fiscal_years")


@pytest.fixture
def open_2025(plan):
    year = set_year_state(plan, 2025, FiscalYear.State.OPEN)
    year.deadline = datetime.date(2026, 7, 31)
    year.save()
    return year


@pytest.fixture
def known_figures(plan):
    """G3-M1-K1 expects 63 in 2025 (60 → 69 over three years), counted in 件."""
    update_indicators(
        Indicator.objects.filter(code="G3-M1-K1"),
        unit="件",
        baseline_year=2024,
        baseline_value=60,
        target_year=2027,
        target_value=69,
    )


# --- the 締切日 ------------------------------------------------------------------------------------------


def test_the_countdown_and_both_calendars():
    day = datetime.date(2026, 7, 31)
    assert deadline_countdown(day, datetime.date(2026, 7, 26)) == "締切まであと5日"
    assert deadline_countdown(day, day) == "本日が締切です"
    assert deadline_countdown(day, datetime.date(2026, 8, 3)) == "締切を3日過ぎています"
    assert date_label(day) == "2026年7月31日（令和8年7月31日）"
    assert wareki_date(datetime.date(2019, 4, 30)) == "平成31年4月30日"
    assert wareki_date(datetime.date(2019, 5, 1)) == "令和元年5月1日"


def test_opening_a_year_needs_a_deadline_and_keeps_it(client, users, plan):
    login(client, users["planning"])
    response = client.post(FISCAL_YEARS, {"year": 2026, "state": "open", "seen": "not_open"})
    assert response.status_code == 400
    assert "締切日を入力してください" in response.content.decode()
    assert not FiscalYear.objects.filter(year=2026, state=FiscalYear.State.OPEN).exists()
    response = client.post(FISCAL_YEARS, {"year": 2026, "state": "open", "deadline": "2027-07-30"})
    assert response.status_code == 302
    year = FiscalYear.objects.get(year=2026)
    assert year.state == FiscalYear.State.OPEN and year.deadline == datetime.date(2027, 7, 30)


@pytest.mark.parametrize("typed", ["2062-07-30", "2026-03-31", "not a date", "9999-12-31"])
def test_a_deadline_that_cannot_be_meant_is_refused_with_a_message(client, users, plan, typed):
    login(client, users["planning"])
    response = client.post(FISCAL_YEARS, {"year": 2026, "state": "open", "deadline": typed})
    assert response.status_code == 400
    assert not FiscalYear.objects.filter(year=2026, state=FiscalYear.State.OPEN).exists()


def test_the_deadline_is_moved_with_a_history_row_and_shown_on_entry_and_review(client, users, open_2025):
    login(client, users["planning"])
    response = client.post(FISCAL_YEARS, {"action": "deadline", "year": 2025, "deadline": "2026-08-14"})
    assert response.status_code == 302
    open_2025.refresh_from_db()
    assert open_2025.deadline == datetime.date(2026, 8, 14)
    assert open_2025.history.first().history_change_reason == "締切日の変更：2026/08/14"
    html = client.get(reverse("cycle:review", args=[2025])).content.decode()
    assert "2026年8月14日（令和8年8月14日）" in html
    login(client, users["staff_own"])
    html = client.get(entry_url()).content.decode()
    assert "2026年8月14日（令和8年8月14日）" in html and ("締切まであと" in html or "締切を" in html)


def test_the_deadline_is_on_the_entry_and_review_lists_too(client, users, open_2025):
    shown = "2026年7月31日（令和8年7月31日）"
    login(client, users["planning"])
    assert shown in client.get(reverse("cycle:review_index")).content.decode()
    login(client, users["staff_own"])
    assert shown in client.get(reverse("cycle:entry_index")).content.decode()


def test_the_deadline_of_a_year_not_open_cannot_be_moved(users, plan):
    year = set_year_state(plan, 2025, FiscalYear.State.LOCKED)
    with pytest.raises(services.StateChanged):
        services.fiscal_year_set_deadline(
            user=users["planning"], fiscal_year=year, deadline=datetime.date(2026, 8, 1)
        )


# --- plausibility warnings -------------------------------------------------------------------------------


def test_a_figure_far_from_the_expected_value_is_warned_beside_its_field(
    client, users, open_2025, known_figures
):
    login(client, users["staff_own"])
    client.post(entry_url(), entry_data({"G3-M1-K1": "1,045"}))
    html = client.get(entry_url()).content.decode()
    row = html[html.index("G3-M1-K1") : html.index("G3-M1-K2")]
    assert "期待値（63件）から大きく離れています" in row
    assert "提出前に要因分析または備考に理由を書いてください" in row


def test_a_negative_count_is_warned(client, users, open_2025, known_figures):
    login(client, users["staff_own"])
    client.post(entry_url(), entry_data({"G3-M1-K1": "△3"}))
    html = client.get(entry_url()).content.decode()
    row = html[html.index("G3-M1-K1") : html.index("G3-M1-K2")]
    assert "負の値" in row


def test_submitting_a_warned_figure_needs_an_explanation(client, users, open_2025, known_figures):
    login(client, users["staff_own"])
    values = {"G2-KGI1": "400", "G3-M1-K1": "1045", "G3-M1-K2": "3", "G3-M1-K3": "7"}
    response = save_and_submit(client, values, explain=False)
    assert response.status_code == 400
    assert "G3-M1-K1" in response.content.decode() and "説明がありません" in response.content.decode()
    assert Submission.objects.get().state == Submission.State.IN_PROGRESS
    # A word in the note is enough: then it goes to the planning office.
    assert save_and_submit(client, values).status_code == 302
    assert Submission.objects.get().state == Submission.State.SUBMITTED


def test_the_service_refuses_an_unexplained_warning_too(users, departments, plan, open_2025, known_figures):
    for code in OWN_CODES:
        set_actual(code, 2025, "1045" if code == "G3-M1-K1" else "5", status=ActualValue.Status.DRAFT)
    submission = Submission.objects.create(
        department=departments[0], strategy=plan, fiscal_year=2025, state=Submission.State.IN_PROGRESS
    )
    with pytest.raises(ValidationError, match="G3-M1-K1"):
        services.submission_submit(user=users["staff_own"], submission=submission)


def test_the_thresholds_are_settings_of_the_strategy(client, users, plan, open_2025, known_figures):
    CycleSettings.objects.create(strategy=plan, ratio=Decimal(20))
    login(client, users["staff_own"])
    client.post(entry_url(), entry_data({"G3-M1-K1": "1045"}))
    row = client.get(entry_url()).content.decode()
    assert "大きく離れています" not in row


def test_the_review_page_lists_warned_rows_first(client, users, plan, departments, open_2025, known_figures):
    for code in OWN_CODES:
        set_actual(code, 2025, "1045" if code == "G3-M1-K1" else "5", status=ActualValue.Status.SUBMITTED)
    Submission.objects.create(department=departments[0], strategy=plan, fiscal_year=2025, state="submitted")
    login(client, users["planning"])
    html = client.get(reverse("cycle:review_department", args=[2025, "kodomo"])).content.decode()
    assert "確認が必要な値が" in html
    classes = re.findall(
        r'<tbody class="indicator-row( has-warning)?">\s*<tr>\s*<td class="code">([^<]+)', html
    )
    warned = [code for mark, code in classes if mark]
    assert "G3-M1-K1" in warned
    assert [bool(mark) for mark, _code in classes] == sorted((bool(m) for m, _c in classes), reverse=True)


def test_the_cycle_settings_screen_is_the_planning_offices(client, users, plan):
    url = reverse("office:cycle_settings")
    login(client, users["staff_own"])
    assert client.get(url).status_code == 403
    login(client, users["planning"])
    assert client.get(url).status_code == 200
    data = {
        "reminder_days": "10, 3",
        "ratio": "1",
        "count_units": "人",
        "percent_units": "％",
        "warn_grades": "C",
        "reason": "基準の見直し",
    }
    response = client.post(url, data)
    assert response.status_code == 400 and "1より大きい倍率" in response.content.decode()
    assert client.post(url, {**data, "ratio": "2.5"}).status_code == 302
    settings = CycleSettings.objects.get(strategy=plan)
    assert settings.ratio == Decimal("2.5") and settings.reminder_day_list == [10, 3]
    assert settings.history.first().history_change_reason == "基準の見直し"


# --- locking in two steps --------------------------------------------------------------------------------


def test_locking_shows_the_checklist_first_and_locks_only_when_confirmed(
    client, users, departments, open_2025
):
    login(client, users["planning"])
    response = client.post(FISCAL_YEARS, {"year": 2025, "state": "locked", "seen": "open"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "未提出の担当課（2課）" in html and "こども家庭課" in html and "商工観光課" in html
    assert "確認しました。確定（ロック）する" in html
    assert FiscalYear.objects.get(year=2025).state == FiscalYear.State.OPEN
    response = client.post(FISCAL_YEARS, {"year": 2025, "state": "locked", "seen": "open", "confirmed": "1"})
    assert response.status_code == 302
    assert FiscalYear.objects.get(year=2025).state == FiscalYear.State.LOCKED


def test_the_checklist_names_the_submissions_waiting_and_the_warned_figures(
    client, users, plan, departments, open_2025, known_figures
):
    set_actual("G3-M1-K1", 2025, "1045", status=ActualValue.Status.SUBMITTED)
    Submission.objects.create(department=departments[0], strategy=plan, fiscal_year=2025, state="submitted")
    login(client, users["planning"])
    html = client.post(FISCAL_YEARS, {"year": 2025, "state": "locked", "seen": "open"}).content.decode()
    checklist = html[html.index("lock-checklist") : html.index("</section>")]
    assert "審査が終わっていない担当課（1課）" in checklist and "未提出の担当課（1課）" in checklist
    assert "確認が必要な値（1件）" in checklist and "G3-M1-K1" in checklist


def test_an_expected_value_is_shown_with_the_indicators_own_decimals(client, users, open_2025):
    update_indicators(
        Indicator.objects.filter(code="G3-M1-K1"),
        unit="人",
        baseline_year=2024,
        baseline_value=12,
        target_year=2027,
        target_value=13,
    )
    login(client, users["staff_own"])
    client.post(entry_url(), entry_data({"G3-M1-K1": "567"}))
    html = client.get(entry_url()).content.decode()
    row = html[html.index("G3-M1-K1") : html.index("G3-M1-K2")]
    assert "12.33" not in row and "期待値（12人）" in row  # 12 + 1/3, as the plan writes whole people
    Indicator.objects.filter(code="G3-M1-K1").update(decimal_places=2)
    assert "期待値（12.33人）" in client.get(entry_url()).content.decode()
