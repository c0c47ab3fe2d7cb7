"""An import obeys the rules of the entry screen for every row: the year's window, the department's
submission, the row's status, the planning office's keep-status rule; checked at the preview and again,
under row locks, at 確定."""

import re
from decimal import Decimal
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from kpis.cycle import services
from kpis.importing.apply import ImportRefused, apply_import
from kpis.importing.prepare import prepare_import
from kpis.importing.rows import RawRow
from kpis.models import ActualValue, FiscalYear, Indicator, Submission
from tests.support.entry import entry_url, set_year_state
from tests.support.factories import set_actual

pytestmark = pytest.mark.django_db

HEADER = "指標コード,年度,実績値"
State = Submission.State
Status = ActualValue.Status


@pytest.fixture
def open_2025(plan):
    return set_year_state(plan, 2025, FiscalYear.State.OPEN)


def set_submission(plan, department, state, year=2025) -> Submission:
    submission, _ = Submission.objects.update_or_create(
        department=department, strategy=plan, fiscal_year=year, defaults={"state": state}
    )
    return submission


def csv_file(*lines: str) -> bytes:
    return ("\ufeff" + "\r\n".join([HEADER, *lines]) + "\r\n").encode()


def upload(client, *lines: str) -> str:
    response = client.post(
        reverse("excel:import_upload"), {"file": SimpleUploadedFile("figures.csv", csv_file(*lines))}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return re.fullmatch(r"/reports/import/([^/]+)/", response["Location"])[1]


def preview(client, token: str):
    return client.get(reverse("excel:import_preview", args=[token]))


def digest_of(response) -> str:
    found = re.search(r'name="digest" value="([0-9a-f]+)"', response.content.decode())
    return found[1] if found else "0" * 64


def confirm(client, token: str, digest: str, **extra):
    return client.post(reverse("excel:import_confirm", args=[token]), {"digest": digest, **extra})


def stored(code="G3-M1-K1", year=2025) -> ActualValue | None:
    return ActualValue.objects.filter(indicator__code=code, fiscal_year=year).first()


def rows(*cells: tuple[str, str, str]) -> list[RawRow]:
    return [
        RawRow(line=n, cells={"code": code, "fiscal_year": year, "value": value}, columns={})
        for n, (code, year, value) in enumerate(cells, start=2)
    ]


# --- the reproduction: staff changing figures under review ---------------------------------------------


def test_staff_cannot_change_by_import_the_figures_their_department_has_submitted(
    client, users, departments, plan, open_2025
):
    set_submission(plan, departments[0], State.SUBMITTED)
    set_actual("G3-M1-K1", 2025, 100, status=Status.SUBMITTED)
    client.force_login(users["staff_own"])
    token = upload(client, "G3-M1-K1,2025,200")
    response = preview(client, token)
    html = response.content.decode()
    assert response.status_code == 422
    assert "2行目" in html and "こども家庭課の2025年度の実績は提出済みのため変更できません" in html
    assert "確定して取り込む" not in html
    response = confirm(client, token, digest_of(response))
    assert response.status_code == 409
    record = stored()
    assert (record.value, record.status) == (Decimal("100"), Status.SUBMITTED)
    assert Submission.objects.get(department=departments[0], fiscal_year=2025).state == State.SUBMITTED
    # The later approval approves the figure that was submitted, not an imported one.
    services.submission_approve(user=users["planning"], submission=Submission.objects.get(fiscal_year=2025))
    assert stored().value == Decimal("100")


def test_staff_cannot_change_an_approved_submissions_figures_until_it_is_returned(
    client, users, departments, plan, open_2025
):
    submission = set_submission(plan, departments[0], State.APPROVED)
    set_actual("G3-M1-K1", 2025, 100, status=Status.APPROVED)
    client.force_login(users["staff_own"])
    html = preview(client, upload(client, "G3-M1-K1,2025,200")).content.decode()
    assert "こども家庭課の2025年度の実績は承認済みのため変更できません" in html
    services.submission_return(user=users["planning"], submission=submission, comment="要確認")
    token = upload(client, "G3-M1-K1,2025,200")
    assert confirm(client, token, digest_of(preview(client, token))).status_code == 302
    assert (stored().value, stored().status) == (Decimal("200"), Status.DRAFT)
    assert Submission.objects.get(fiscal_year=2025).state == State.RETURNED


def test_the_planning_office_corrects_a_submitted_figure_and_it_keeps_its_status(
    client, users, departments, plan, open_2025
):
    set_submission(plan, departments[0], State.SUBMITTED)
    set_actual("G3-M1-K1", 2025, 100, status=Status.SUBMITTED)
    client.force_login(users["planning"])
    token = upload(client, "G3-M1-K1,2025,200")
    assert confirm(client, token, digest_of(preview(client, token))).status_code == 302
    assert (stored().value, stored().status) == (Decimal("200"), Status.SUBMITTED)
    assert Submission.objects.get(fiscal_year=2025).state == State.SUBMITTED


def test_the_planning_office_imports_only_in_the_years_its_entry_screen_takes_input(client, users, plan):
    client.force_login(users["planning"])
    answers = {}
    for state in FiscalYear.State.values:
        set_year_state(plan, 2025, state)
        answers[state] = preview(client, upload(client, "G2-M1-K1,2025,12")).status_code
    assert answers == {"not_open": 422, "open": 200, "closed": 200, "locked": 422}


# --- checked again at 確定, under the locks -------------------------------------------------------------


def test_a_submission_sent_between_the_preview_and_the_confirmation_is_refused_with_a_409(
    client, users, departments, plan, open_2025
):
    set_submission(plan, departments[0], State.IN_PROGRESS)
    client.force_login(users["staff_own"])
    token = upload(client, "G3-M1-K1,2025,200")
    shown = preview(client, token)
    assert shown.status_code == 200
    Submission.objects.filter(fiscal_year=2025).update(state=State.SUBMITTED)  # sent meanwhile
    response = confirm(client, token, digest_of(shown))
    html = response.content.decode()
    assert response.status_code == 409
    assert "2行目" in html and "提出済みのため変更できません" in html
    assert stored() is None


def test_apply_asks_again_under_the_locks_and_refuses_a_row_whose_submission_was_sent_after_the_check(
    users, departments, plan, open_2025
):
    set_submission(plan, departments[0], State.IN_PROGRESS)
    staff = users["staff_own"]
    batch = prepare_import(
        rows(("G3-M1-K1", "2025", "5"), ("G3-M1-K2", "2025", "6")), strategy=plan, user=staff
    )
    assert batch.ok and len(batch.changes) == 2
    Submission.objects.filter(fiscal_year=2025).update(state=State.SUBMITTED)
    with pytest.raises(ImportRefused) as refused:
        apply_import(batch, user=staff, reason="test")
    assert [error.line for error in refused.value.errors] == [2, 3]
    assert "提出済み" in refused.value.errors[0].message
    assert ActualValue.objects.count() == 0
    assert Submission.history.filter(fiscal_year=2025).count() == 1  # only its creation


def test_apply_refuses_staff_a_value_approved_after_the_check_although_its_version_did_not_move(
    users, plan, open_2025
):
    set_actual("G3-M1-K1", 2025, 100, status=Status.DRAFT)
    staff = users["staff_own"]
    batch = prepare_import(rows(("G3-M1-K1", "2025", "5")), strategy=plan, user=staff)
    assert batch.ok
    ActualValue.objects.update(status=Status.APPROVED)  # a review changes the status, not the version
    with pytest.raises(ImportRefused) as refused:
        apply_import(batch, user=staff, reason="test")
    assert "承認済みの値は政策企画課だけが変更できます" in refused.value.errors[0].message
    assert stored().value == Decimal("100")


def test_apply_refuses_a_year_closed_after_the_check(users, plan, open_2025):
    staff = users["staff_own"]
    batch = prepare_import(rows(("G3-M1-K1", "2025", "5")), strategy=plan, user=staff)
    set_year_state(plan, 2025, FiscalYear.State.CLOSED)
    with pytest.raises(ImportRefused) as refused:
        apply_import(batch, user=staff, reason="test")
    assert refused.value.errors[0].column == "年度"
    assert stored() is None


# --- the submission moves on as an entry save moves it ----------------------------------------------------


def test_an_import_moves_the_departments_submission_from_not_started_to_in_progress(
    client, users, departments, plan, open_2025
):
    client.force_login(users["staff_own"])
    token = upload(client, "G3-M1-K1,2025,200")
    assert confirm(client, token, digest_of(preview(client, token))).status_code == 302
    submission = Submission.objects.get(department=departments[0], strategy=plan, fiscal_year=2025)
    assert submission.state == State.IN_PROGRESS
    latest = submission.history.first()
    assert latest.history_user == users["staff_own"] and latest.history_change_reason == "入力開始"


def test_a_stored_not_started_submission_moves_to_in_progress_and_nothing_changed_moves_nothing(
    users, departments, plan, open_2025
):
    set_submission(plan, departments[0], State.NOT_STARTED)
    set_actual("G3-M1-K2", 2025, 5, status=Status.DRAFT)
    planning = users["planning"]
    unchanged = prepare_import(rows(("G3-M1-K2", "2025", "5")), strategy=plan, user=planning)
    assert apply_import(unchanged, user=planning, reason="test") == 0
    assert Submission.objects.get().state == State.NOT_STARTED
    # G4-KGI1 belongs to no department: it is written, and no submission is made up for it.
    Indicator.objects.filter(code="G4-KGI1").update(department=None)
    batch = prepare_import(
        rows(("G3-M1-K1", "2025", "5"), ("G4-KGI1", "2025", "60")), strategy=plan, user=planning
    )
    assert apply_import(batch, user=planning, reason="test") == 2
    assert list(Submission.objects.values_list("department__code", "state")) == [
        ("kodomo", State.IN_PROGRESS)
    ]


# --- the command obeys the same rules ---------------------------------------------------------------------


def test_the_command_with_a_staff_user_refuses_a_submitted_departments_figures(
    users, departments, plan, open_2025, tmp_path
):
    set_submission(plan, departments[0], State.SUBMITTED)
    path = tmp_path / "figures.csv"
    path.write_bytes(csv_file("G3-M1-K1,2025,200"))
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_actuals", str(path), "--user", "staff-own", stdout=StringIO(), stderr=err)
    assert "2行目 指標コード: こども家庭課の2025年度の実績は提出済みのため変更できません" in err.getvalue()
    assert stored() is None


# --- the same answer as the entry screen, state by state --------------------------------------------------

SUBMISSION_STATES = [None, *State.values]
FIGURE_STATUSES = [None, Status.DRAFT, Status.SUBMITTED, Status.APPROVED]


def test_an_import_row_is_taken_exactly_when_the_entry_screen_would_take_the_row(
    client, users, departments, plan
):
    """For every role, year state, submission state and figure status: the entry screen offers the row's
    input ⇔ the import accepts a change of it."""
    indicator = Indicator.objects.get(code="G3-M1-K1")
    disagreements = []
    for role in ("staff_own", "planning"):
        user = users[role]
        client.force_login(user)
        for year_state in FiscalYear.State.values:
            set_year_state(plan, 2025, year_state)
            for submission_state in SUBMISSION_STATES:
                Submission.objects.all().delete()
                if submission_state is not None:
                    set_submission(plan, departments[0], submission_state)
                for status in FIGURE_STATUSES:
                    ActualValue.objects.all().delete()
                    if status is not None:
                        set_actual("G3-M1-K1", 2025, 100, status=status)
                    on_screen = f'name="i{indicator.pk}-value"' in client.get(entry_url()).content.decode()
                    batch = prepare_import(
                        rows(("G3-M1-K1", "2025", "200")),
                        strategy=plan,
                        user=user,
                        department_ids=None if role == "planning" else {departments[0].pk},
                    )
                    if on_screen != batch.ok:
                        disagreements.append((role, year_state, submission_state, status, on_screen))
    assert disagreements == []
