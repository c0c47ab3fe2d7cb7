"""Every route that writes figures moves the department's submission the same way, and after an import
the review's counts, the entry page and the import's result page agree and lead to 提出."""

import html
import io
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse

from kpis.cycle.views.common import entry_url
from kpis.models import ActualValue, FiscalYear, Indicator, Submission
from tests.reports.test_excel_import import (
    as_bytes,
    confirm,
    csv_bytes,
    download_template,
    header_index,
    row_of,
    token_of,
    upload,
)
from tests.support.admin_forms import form_data
from tests.support.entry import entry_data, set_year_state
from tests.support.entry import entry_url as kodomo_entry_url

pytestmark = pytest.mark.django_db

HEADER = "指標コード,年度,実績値"
# こども家庭課 owns four indicators (tests/conftest.py); three of them imported.
THREE_OF_FOUR = (f"{HEADER}", "G3-M1-K1,2025,120人", "G3-M1-K2,2025,１２", "G3-M1-K3,2025,△３人")


@pytest.fixture
def open_2025(plan):
    return set_year_state(plan, 2025, FiscalYear.State.OPEN)


def kodomo(departments):
    return departments[0]


def imported_via_web(client, *lines: str):
    """Upload, preview and confirm a CSV; the reports page the confirmation redirects to."""
    response = confirm(client, token_of(upload(client, "figures.csv", csv_bytes(*lines))))
    assert response.status_code == 302 and response["Location"] == reverse("excel:reports")
    return client.get(response["Location"])


def review_row(client, department_name: str, year: int = 2025) -> str:
    """The text of one department's row on /review/<年度>/."""
    page = client.get(reverse("cycle:review", args=[year])).content.decode()
    row = next(r for r in re.findall(r"<tr>.*?</tr>", page, re.S) if department_name in r)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", row)).split())


def entry_state(client, url: str) -> str:
    """The 提出の状態 the entry page shows."""
    page = client.get(url).content.decode()
    return re.search(r'提出の状態</dt><dd><span class="state state-(\w+)"', page)[1]


def imported_section(page) -> str:
    text = page.content.decode()
    match = re.search(r'<section class="excel-panel import-done".*?</section>', text, re.S)
    return match[0] if match else ""


def test_after_a_web_import_the_submission_the_review_and_the_entry_page_agree(
    client, users, departments, open_2025
):
    client.force_login(users["staff_own"])
    assert entry_state(client, kodomo_entry_url()) == "not_started"

    page = imported_via_web(client, *THREE_OF_FOUR)

    submission = Submission.objects.get(department=kodomo(departments), fiscal_year=2025)
    assert submission.state == Submission.State.IN_PROGRESS
    started = submission.history.first()
    assert (started.history_user, started.history_change_reason) == (users["staff_own"], "入力開始")
    assert ActualValue.objects.get(indicator__code="G3-M1-K3").value == Decimal("-3")
    assert entry_state(client, kodomo_entry_url()) == "in_progress"

    planning = client.__class__()
    planning.force_login(users["planning"])
    assert review_row(planning, "こども家庭課").startswith("こども家庭課 入力中 3 / 4 0")

    # The result page: the department, its state and count as the review shows them, and the way to 提出.
    section = imported_section(page)
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", section)).split())
    assert (
        "こども家庭課 2025年度（令和7年度） 提出の状態 入力中 入力済み 3 / 4 入力画面で確かめて提出する"
        in text
    )
    assert f'href="{html.escape(entry_url(2025, kodomo(departments)))}"' in section
    assert reverse("cycle:review_department", args=[2025, "kodomo"]) not in section  # staff do not review
    # Shown once, as a message is.
    assert imported_section(client.get(reverse("excel:reports"))) == ""


def test_the_planning_office_is_led_to_the_entry_and_review_pages_of_every_department_it_imported_for(
    client, users, departments, open_2025
):
    client.force_login(users["planning"])
    page = imported_via_web(client, HEADER, "G3-M1-K1,2025,5", "G2-M1-K1,2025,7件", "G2-M1-K2,2025,8")

    section = imported_section(page)
    for department in departments:
        assert f'href="{html.escape(entry_url(2025, department))}"' in section
        assert reverse("cycle:review_department", args=[2025, department.code]) in section
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", section)).split())
    assert (
        "こども家庭課 2025年度（令和7年度） 提出の状態 入力中 入力済み 1 / 4 入力画面を開く 審査画面を開く"
        in text
    )
    assert (
        "商工観光課 2025年度（令和7年度） 提出の状態 入力中 入力済み 2 / 3 入力画面を開く 審査画面を開く"
        in text
    )
    assert review_row(client, "商工観光課").startswith("商工観光課 入力中 2 / 3")
    assert set(Submission.objects.values_list("state", flat=True)) == {Submission.State.IN_PROGRESS}


def test_a_filled_template_with_units_typed_starts_the_submission_too(client, users, departments, open_2025):
    client.force_login(users["staff_own"])
    workbook = download_template(client)
    ws = workbook.active
    column = header_index(ws)["実績値"]
    ws.cell(row_of(ws, "G3-M1-K1"), column).value = "１２０ 人"
    ws.cell(row_of(ws, "G2-KGI1"), column).value = 568
    response = confirm(client, token_of(upload(client, "kodomo.xlsx", as_bytes(workbook))))
    assert response.status_code == 302
    assert ActualValue.objects.get(indicator__code="G3-M1-K1").value == Decimal("120")
    assert Submission.objects.get(department=kodomo(departments)).state == Submission.State.IN_PROGRESS
    client.force_login(users["planning"])
    assert review_row(client, "こども家庭課").startswith("こども家庭課 入力中 2 / 4")


def test_a_value_in_another_unit_is_refused_on_the_preview_in_plain_japanese(client, users, open_2025):
    client.force_login(users["staff_own"])
    token = token_of(upload(client, "a.csv", csv_bytes(HEADER, "G3-M1-K1,2025,120件")))
    preview = client.get(reverse("excel:import_preview", args=[token]))
    text = html.unescape(preview.content.decode())
    assert preview.status_code == 422
    assert "「120件」は単位が違います（この指標の単位は「人」です）" in text
    assert "'120件'" not in text
    assert not Submission.objects.exists()


def test_an_import_leaves_a_returned_submission_returned_as_the_entry_screen_does(
    client, users, departments, open_2025
):
    Submission.objects.create(
        department=kodomo(departments),
        strategy=open_2025.strategy,
        fiscal_year=2025,
        state=Submission.State.RETURNED,
        comment="G3-M1-K1 を確認してください",
    )
    client.force_login(users["staff_own"])
    page = imported_via_web(client, HEADER, "G3-M1-K1,2025,121")
    assert Submission.objects.get().state == Submission.State.RETURNED
    assert "差戻し" in imported_section(page) and "入力画面で確かめて提出する" in imported_section(page)


# --- every write route, the same state --------------------------------------------------------------


def write_by_entry_screen(client, users, tmp_path):
    client.force_login(users["staff_own"])
    assert client.post(kodomo_entry_url(), entry_data({"G3-M1-K1": "120人"})).status_code == 302
    return users["staff_own"]


def write_by_web_import(client, users, tmp_path):
    client.force_login(users["staff_own"])
    imported_via_web(client, HEADER, "G3-M1-K1,2025,120人")
    return users["staff_own"]


def write_by_import_command(client, users, tmp_path):
    path = tmp_path / "figures.csv"
    path.write_bytes(csv_bytes(HEADER, "G3-M1-K1,2025,120人"))
    call_command("import_actuals", str(path), "--user", users["staff_own"].username, stdout=io.StringIO())
    return users["staff_own"]


def write_by_admin(client, users, tmp_path):
    root = User.objects.create_superuser("root", "root@example.jp", "root-pass-4821")
    client.force_login(root)
    url = reverse("admin:kpis_actualvalue_add")
    data = form_data(client.get(url).content.decode(), form_id="actualvalue_form")
    indicator = Indicator.objects.get(code="G3-M1-K1")
    data.update(
        indicator=str(indicator.pk),
        fiscal_year="2025",
        value="120",
        status="draft",
        change_reason="電話で報告",
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    return root


@pytest.mark.parametrize(
    "write", [write_by_entry_screen, write_by_web_import, write_by_import_command, write_by_admin]
)
def test_every_route_that_writes_a_figure_starts_the_submission_in_the_same_way(
    client, users, departments, open_2025, tmp_path, write
):
    writer = write(client, users, tmp_path)

    assert ActualValue.objects.get(indicator__code="G3-M1-K1", fiscal_year=2025).value == Decimal("120")
    submission = Submission.objects.get(department=kodomo(departments), fiscal_year=2025)
    assert submission.state == Submission.State.IN_PROGRESS
    assert [(h.history_user, h.history_change_reason) for h in submission.history.all()] == [
        (writer, "入力開始")
    ]
    client.force_login(users["planning"])
    assert review_row(client, "こども家庭課").startswith("こども家庭課 入力中 1 / 4")
    assert entry_state(client, kodomo_entry_url()) == "in_progress"
