"""The entry screen: what it lists, what it accepts, what it refuses, and what it leaves read-only."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from kpis.cycle import services
from kpis.cycle.views.entry import ROWS_PER_PAGE
from kpis.models import ActualValue, FiscalYear, Indicator, NextStep, Submission
from tests.support.entry import (
    OWN_CODES,
    entry_data,
    entry_url,
    field,
    login,
    page_data,
    set_year_state,
    submit_url,
    value_of,
)
from tests.support.factories import (
    build_synthetic_plan,
    make_department,
    make_user,
    set_actual,
    update_indicators,
)


@pytest.fixture
def open_2025(plan):
    return set_year_state(plan, 2025, FiscalYear.State.OPEN)


@pytest.fixture
def staff(client, users, open_2025):
    return login(client, users["staff_own"])


# --- what the screen shows -------------------------------------------------------------------------


def test_entry_lists_every_indicator_the_department_owns_with_its_plan_figures(staff, plan):
    update_indicators(
        Indicator.objects.filter(code="G3-M1-K1"),
        unit="人",
        baseline_year=2024,
        baseline_value=Decimal(60),
        target_year=2027,
        target_value=Decimal(69),
    )
    response = staff.get(entry_url())
    assert response.status_code == 200
    html = response.content.decode()
    for code in OWN_CODES:
        assert code in html
    assert "G2-M1-K1" not in html  # 商工観光課's
    row = html[html.index("G3-M1-K1") : html.index("G3-M1-K2")]
    assert "60" in row and "69" in row and "63" in row  # baseline, target, E(2025) = 60 + 9/3
    assert "（基準値）" in row  # last year (2024) is the baseline year


def test_last_years_actual_is_the_previous_plan_years_figure(client, users, plan):
    set_year_state(plan, 2026, FiscalYear.State.OPEN)
    set_actual("G3-M1-K2", 2025, "1234")
    login(client, users["staff_own"])
    html = client.get(entry_url(2026)).content.decode()
    row = html[html.index("G3-M1-K2") : html.index("G3-M1-K3")]
    assert "1,234" in row


def test_every_value_input_has_a_label_and_the_page_has_no_inline_script(staff):
    html = staff.get(entry_url()).content.decode()
    inputs = re.findall(r"<input[^>]*entry-value[^>]*>", html)
    assert len(inputs) == len(OWN_CODES)
    assert all('aria-label="' in tag for tag in inputs)
    assert "js/entry.js" in html and "css/entry.css" in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert " onkeydown=" not in html and " onclick=" not in html and ' style="' not in html


def test_a_user_with_two_departments_chooses_one_with_the_department_parameter(
    client, departments, open_2025
):
    own, other = departments
    both = make_user("two-hats", "department_staff", [own, other])
    login(client, both)
    response = client.get(entry_url(department="shoko"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "G2-M1-K1" in html and "G3-M1-K1" not in html
    assert 'name="department"' in html  # the switcher


def test_the_entry_index_links_to_each_year_of_the_users_departments(staff, plan):
    html = staff.get(reverse("cycle:entry_index")).content.decode()
    for year in plan.plan_years:
        assert f"{reverse('cycle:entry', args=[year])}?department=kodomo" in html
    assert "shoko" not in html


# --- saving ----------------------------------------------------------------------------------------


def test_full_width_digits_commas_and_the_triangle_are_saved_as_numbers(staff):
    response = staff.post(
        entry_url(), entry_data({"G3-M1-K1": "１，２３４", "G2-KGI1": "△１２．５", "G3-M1-K2": ""})
    )
    assert response.status_code == 302
    assert value_of("G3-M1-K1") == Decimal(1234)
    assert value_of("G2-KGI1") == Decimal("-12.5")
    assert value_of("G3-M1-K2") is None
    submission = Submission.objects.get(department__code="kodomo", fiscal_year=2025)
    assert submission.state == Submission.State.IN_PROGRESS


def test_rate_and_grade_show_once_a_value_is_saved(staff):
    # 社会増数: B = 568 (FY2024), T = 339 (FY2027): E(2025) = 491.67; 400 → 81.4% → B+.
    staff.post(entry_url(), entry_data({"G2-KGI1": "４００"}))
    html = staff.get(entry_url()).content.decode()
    row = html[html.index("G2-KGI1") : html.index("G3-M1-K1")]
    assert "81.4%" in row and "B+" in row and "概ね順調" in row


def test_notes_cause_analysis_and_next_step_are_saved_with_the_value(staff):
    data = entry_data(
        {"G3-M1-K1": "10"}, note={"G3-M1-K1": "速報値"}, next_step={"G3-M1-K1": NextStep.IMPROVE}
    )
    data[f"i{Indicator.objects.get(code='G3-M1-K1').pk}-cause_analysis"] = "周知不足"
    assert staff.post(entry_url(), data).status_code == 302
    actual = ActualValue.objects.get(indicator__code="G3-M1-K1", fiscal_year=2025)
    assert (actual.note, actual.cause_analysis, actual.next_step) == ("速報値", "周知不足", "improve")


def test_a_saved_value_keeps_who_and_why_in_its_history(staff, users):
    staff.post(entry_url(), entry_data({"G3-M1-K1": "10"}))
    record = ActualValue.history.get(indicator__code="G3-M1-K1")
    assert record.history_user == users["staff_own"]
    assert record.history_change_reason == "実績値の入力（下書き保存）"
    assert record.value == Decimal(10)


BAD_INPUT = [
    ("value", "abc", "数値として読めません"),
    ("value", "12%", "単位が違います（この指標の単位は「人」です）"),
    ("value", "120件", "「120件」は単位が違います"),
    ("value", "人", "「人」だけでは数値がありません"),
    ("value", "1ー2", "長音"),
    ("value", "123456789012345", "整数部は14桁まで"),
    ("value", "1.1234567", "小数点以下は6桁まで"),
    ("note", "x" * 2001, "2000"),
    ("cause_analysis", "x" * 4001, "4000"),
    ("next_step", "sideways", "sideways"),
    ("version", "x", "画面が古くなっています"),
    ("version", "-1", "画面が古くなっています"),
    ("value", "1\x002", "数値として読めません"),
    ("value", "<b>1</b>人", "「&lt;b&gt;1&lt;/b&gt;人」は数値として読めません"),
    ("note", "a\x00b", "field-error"),
]


@pytest.mark.parametrize(("field", "typed", "message"), BAD_INPUT)
def test_bad_input_on_any_field_is_refused_beside_it_and_nothing_is_saved(staff, field, typed, message):
    data = entry_data({"G3-M1-K1": "７", "G3-M1-K2": "８"}, note={"G3-M1-K2": "残る備考"})
    data[f"i{Indicator.objects.get(code='G3-M1-K1').pk}-{field}"] = typed
    response = staff.post(entry_url(), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "field-error" in html
    # What was valid is still on the page; nothing reached the database.
    assert 'value="８"' in html and "残る備考" in html
    assert not ActualValue.objects.exists()
    assert not ActualValue.history.exists()
    assert not Submission.objects.exists()


def test_submit_names_the_indicators_still_missing_and_keeps_the_draft(staff):
    response = staff.post(entry_url(), entry_data({"G3-M1-K1": "1", "G3-M1-K2": "2"}, action="submit"))
    assert response.status_code == 302 and response.url == submit_url()
    html = staff.get(submit_url()).content.decode()
    assert "実績値が未入力の指標（2件）" in html and "G3-M1-K3" in html and "G2-KGI1" in html
    assert "提出する</button>" not in html
    response = staff.post(submit_url(), {"seen": "in_progress"})
    assert response.status_code == 400 and "提出できません" in response.content.decode()
    assert value_of("G3-M1-K1") == Decimal(1)
    assert Submission.objects.get().state == Submission.State.IN_PROGRESS


def test_submit_with_every_value_sends_the_figures_to_review_on_the_second_step(staff):
    values = dict.fromkeys(OWN_CODES, "５")
    extra = {"note": dict.fromkeys(OWN_CODES, "確認済み")}
    assert staff.post(entry_url(), entry_data(values, action="submit", **extra)).status_code == 302
    # The first step saved the drafts and asks for confirmation: nothing submitted yet.
    assert Submission.objects.get().state == Submission.State.IN_PROGRESS
    assert "提出する</button>" in staff.get(submit_url()).content.decode()
    assert staff.post(submit_url(), {"seen": "in_progress"}).status_code == 302
    assert Submission.objects.get().state == Submission.State.SUBMITTED
    assert set(ActualValue.objects.values_list("status", flat=True)) == {ActualValue.Status.SUBMITTED}


def test_the_confirmation_of_a_submission_someone_else_already_sent_is_refused(staff, users):
    values = dict.fromkeys(OWN_CODES, "５")
    staff.post(entry_url(), entry_data(values, action="submit", note=dict.fromkeys(OWN_CODES, "確認済み")))
    submission = Submission.objects.get()
    services.submission_submit(user=users["planning"], submission=submission)
    response = staff.post(submit_url(), {"seen": "in_progress"})
    assert response.status_code == 409
    assert Submission.history.filter(history_change_reason="提出").count() == 1


# --- read-only ---------------------------------------------------------------------------------------


def test_approved_values_are_read_only_to_staff(staff):
    set_actual("G3-M1-K1", 2025, 50)  # approved
    html = staff.get(entry_url()).content.decode()
    assert len(re.findall(r"<input[^>]*entry-value", html)) == len(OWN_CODES) - 1
    pk = Indicator.objects.get(code="G3-M1-K1").pk
    data = entry_data({"G3-M1-K1": "99", "G3-M1-K2": "1"})
    assert f"i{pk}-value" in data
    assert staff.post(entry_url(), data).status_code == 302
    assert value_of("G3-M1-K1") == Decimal(50)
    assert value_of("G3-M1-K2") == Decimal(1)


@pytest.mark.parametrize(
    "state", [FiscalYear.State.NOT_OPEN, FiscalYear.State.CLOSED, FiscalYear.State.LOCKED]
)
def test_a_year_that_is_not_open_is_read_only_to_staff(client, users, plan, state):
    set_year_state(plan, 2025, state)
    login(client, users["staff_own"])
    html = client.get(entry_url()).content.decode()
    assert "entry-value" not in html
    response = client.post(entry_url(), entry_data({"G3-M1-K1": "1"}))
    assert response.status_code == 409
    assert not ActualValue.objects.exists()


def test_a_submitted_submission_is_read_only_to_staff(staff, departments, plan):
    Submission.objects.create(
        department=departments[0], strategy=plan, fiscal_year=2025, state=Submission.State.SUBMITTED
    )
    assert "entry-value" not in staff.get(entry_url()).content.decode()
    assert staff.post(entry_url(), entry_data({"G3-M1-K1": "1"})).status_code == 409
    assert not ActualValue.objects.exists()


def test_the_planning_office_can_correct_a_submitted_value_and_its_status_stays(
    client, users, departments, plan
):
    set_year_state(plan, 2025, FiscalYear.State.CLOSED)
    set_actual("G3-M1-K1", 2025, 5, status=ActualValue.Status.SUBMITTED)
    Submission.objects.create(
        department=departments[0], strategy=plan, fiscal_year=2025, state=Submission.State.SUBMITTED
    )
    login(client, users["planning"])
    assert client.post(entry_url(), entry_data({"G3-M1-K1": "6"})).status_code == 302
    actual = ActualValue.objects.get(indicator__code="G3-M1-K1", fiscal_year=2025)
    assert (actual.value, actual.status) == (Decimal(6), ActualValue.Status.SUBMITTED)


def test_staff_without_a_department_are_told_so(client, plan, open_2025):
    login(client, make_user("lonely", "department_staff"))
    response = client.get(reverse("cycle:entry", args=[2025]), follow=True)
    assert "所属する担当課が登録されていません" in response.content.decode()


def test_a_year_outside_the_plan_is_not_found(staff):
    assert staff.get(entry_url(2019)).status_code == 404


def test_an_unknown_department_is_not_found(client, users, open_2025):
    login(client, users["planning"])
    assert client.get(entry_url(department="nowhere")).status_code == 404


def test_a_department_without_indicators_shows_an_empty_screen(client, users, open_2025):
    make_department("empty", "空課")
    login(client, users["planning"])
    response = client.get(entry_url(department="empty"))
    assert response.status_code == 200
    assert "担当する指標はありません" in response.content.decode()


SUBMIT_QUERIES = 14


@pytest.mark.parametrize("copies", [1, 100])
def test_the_entry_pages_cost_the_same_number_of_queries_at_any_size(
    client, db, django_assert_num_queries, copies
):
    strategy = build_synthetic_plan(copies)
    set_year_state(strategy, 2025, FiscalYear.State.OPEN)
    login(client, make_user("planner", "planning_office"))
    with django_assert_num_queries(14):
        response = client.get(entry_url(department="synthetic-dept"))
    assert response.status_code == 200
    # One page of rows: all 48 of the small plan, the first ROWS_PER_PAGE of the big one.
    assert response.content.decode().count("entry-value") == min(48 * copies, ROWS_PER_PAGE)
    with django_assert_num_queries(7):
        assert client.get(reverse("cycle:entry_index")).status_code == 200
    # 提出の確認 checks every row of the department, on one page.
    with django_assert_num_queries(SUBMIT_QUERIES):
        response = client.get(submit_url(department="synthetic-dept"))
    assert response.status_code == 200
    assert response.context["missing"] == [] and "提出の確認" in response.content.decode()


def test_a_note_posted_back_unchanged_with_browser_line_breaks_is_not_a_change(staff):
    set_actual("G3-M1-K1", 2025, 5, status=ActualValue.Status.DRAFT, note="一行目\n二行目")
    data = entry_data({}, note={"G3-M1-K1": "一行目\r\n二行目"})
    assert staff.post(entry_url(), data).status_code == 302
    assert ActualValue.history.filter(indicator__code="G3-M1-K1").count() == 1


# --- a save that changes nothing --------------------------------------------------------------------


def test_saving_an_untouched_form_leaves_a_not_started_submission_as_it_is(staff):
    assert staff.post(entry_url(), page_data(staff.get(entry_url()))).status_code == 302
    assert not Submission.objects.exists()
    assert not Submission.history.exists() and not ActualValue.history.exists()


def test_saving_an_untouched_form_writes_no_history_for_stored_figures(staff, departments, plan):
    set_actual("G3-M1-K1", 2025, 5, status=ActualValue.Status.DRAFT, note=" 前後に空白 ")
    Submission.objects.create(department=departments[0], strategy=plan, fiscal_year=2025)
    before = ActualValue.history.count()
    response = staff.post(entry_url(), page_data(staff.get(entry_url())), follow=True)
    assert "何も保存していません" in response.content.decode()
    assert Submission.objects.get().state == Submission.State.NOT_STARTED
    assert ActualValue.history.count() == before and not Submission.history.filter(history_type="~").exists()


def test_a_real_change_starts_the_submission(staff):
    data = {**page_data(staff.get(entry_url())), field("G3-M1-K1"): "3"}
    assert staff.post(entry_url(), data).status_code == 302
    assert Submission.objects.get().state == Submission.State.IN_PROGRESS
    assert list(Submission.history.values_list("history_change_reason", flat=True)) == ["入力開始"]


def test_a_save_after_a_colleague_submitted_is_refused_and_the_typed_values_stay_in_view(
    staff, departments, plan
):
    page = page_data(staff.get(entry_url()))
    for code in OWN_CODES:
        set_actual(code, 2025, 1, status=ActualValue.Status.DRAFT, note="確認済み")
    colleague = make_user("colleague", "department_staff", [departments[0]])
    services.submission_submit(
        user=colleague, submission=Submission(department=departments[0], strategy=plan, fiscal_year=2025)
    )
    response = staff.post(entry_url(), {**page, field("G3-M1-K1"): "４２"})
    assert response.status_code == 409
    html = response.content.decode()
    assert "入力した内容は下に残っています" in html and 'value="４２"' in html
    assert 'value="save"' not in html  # no button to press again
    assert value_of("G3-M1-K1") == Decimal(1)


def test_free_text_is_stored_without_control_characters(staff):
    data = {**page_data(staff.get(entry_url())), field("G3-M1-K1", "note"): "速報\x0b値\x1b"}
    assert staff.post(entry_url(), data).status_code == 302
    assert ActualValue.objects.get(indicator__code="G3-M1-K1").note == "速報\n値"
