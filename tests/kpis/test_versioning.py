"""The data version and the dashboards' ETags: 304 while nothing changed, a fresh page after any write.

The version advances after a commit, so the tests of writes commit for real (transactional_db).
"""

import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse

from accounts.access import Role
from kpis import versioning
from kpis.cycle import services
from kpis.models import DataVersion, FiscalYear, GradeBand, Indicator, Submission
from reviews.models import Meeting
from tests.support.entry import entry_data, entry_url, login, set_year_state
from tests.support.factories import PASSWORD, set_actual

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(users):
    client = Client()
    client.force_login(users["council"])
    return client


def etag(client, url="/goals/G3/"):
    response = client.get(url)
    assert response.status_code == 200
    return response["ETag"]


def still_current(client, tag, url="/goals/G3/") -> bool:
    response = client.get(url, headers={"if-none-match": tag})
    assert response.status_code in (200, 304)
    if response.status_code == 304:
        assert response.content == b"" and response["ETag"] == tag
    return response.status_code == 304


def test_an_unchanged_page_is_answered_304_without_drawing_it_again(
    reader, plan, django_assert_max_num_queries
):
    tag = etag(reader)
    assert tag.startswith('"') and len(tag) > 20
    # The session, the user and the version: not the page's own queries.
    with django_assert_max_num_queries(4):
        assert still_current(reader, tag)
    assert "no-cache" in reader.get("/goals/G3/")["Cache-Control"]


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/goals/G1/",
        "/indicators/",
        "/indicators/G3-M1-K1/",
        # streamed answers
        "/indicators/?export=csv",
        "/api/v1/indicators.json",
        "/api/v1/indicators.csv",
    ],
)
def test_every_dashboard_page_and_the_api_carry_an_etag(reader, plan, url):
    tag = etag(reader, url)
    assert still_current(reader, tag, url)


def test_the_etag_depends_on_the_reader_the_language_and_the_url(reader, users, plan):
    tag = etag(reader)
    other = Client()
    other.force_login(users["planning"])
    assert etag(other) != tag
    assert etag(reader, "/goals/G3/?fy=2026") != tag
    reader.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert not still_current(reader, tag)


def test_pages_outside_the_dashboards_and_posts_carry_none(reader, users, plan):
    login(reader, users["planning"])
    assert "ETag" not in reader.get(reverse("reviews:meetings"))
    assert "ETag" not in reader.get(reverse("cycle:fiscal_years"))


def test_a_page_with_a_message_waiting_is_drawn_again(client, users, plan):
    login(client, users["planning"])
    tag = etag(client)
    session = client.session
    session["_messages"] = '[["__json_message",0,25,"保存しました。"]]'
    session.save()
    assert not still_current(client, tag)


# --- every kind of write advances the version --------------------------------------------------------


def _open_2025(plan):
    set_year_state(plan, 2025, FiscalYear.State.OPEN)


def write_entry(client, users, plan, tmp_path):
    _open_2025(plan)
    login(client, users["staff_own"])
    assert client.post(entry_url(), entry_data({"G3-M1-K1": "１２３"})).status_code == 302


def write_approval(client, users, plan, tmp_path):
    _open_2025(plan)
    submission = services.submission_for(
        department=users["staff_own"].departments.get(), strategy=plan, fiscal_year=2025
    )
    submission.state = Submission.State.SUBMITTED
    submission.save()
    services.submission_approve(user=users["planning"], submission=submission)


def write_lock(client, users, plan, tmp_path):
    _open_2025(plan)
    set_actual("G3-M1-K1", 2025, "12")
    year = FiscalYear.objects.get(strategy=plan, year=2025)
    services.fiscal_year_set_state(user=users["planning"], fiscal_year=year, state=FiscalYear.State.LOCKED)


def write_import(client, users, plan, tmp_path):
    """The import writes with bulk statements, which send no model signals."""
    _open_2025(plan)
    path = tmp_path / "figures.csv"
    path.write_text("指標コード,年度,実績値\nG3-M1-K1,2025,77\n", encoding="utf-8")
    call_command("import_actuals", str(path), stdout=io.StringIO())


def write_grade_band(client, users, plan, tmp_path):
    GradeBand.objects.create(strategy=plan, label="S", name="特に順調", lower_bound=Decimal("150"))


def write_plan(client, users, plan, tmp_path):
    indicator = Indicator.objects.get(code="G3-M1-K1")
    indicator.target_value = Decimal("999")
    indicator.save()


def write_meeting(client, users, plan, tmp_path):
    Meeting.objects.create(strategy=plan, fiscal_year=2025, name="第1回", date="2026-07-15")


def write_role(client, users, plan, tmp_path):
    users["council"].groups.add(Group.objects.get(name=Role.PLANNING))


WRITES = [
    write_entry,
    write_approval,
    write_lock,
    write_import,
    write_grade_band,
    write_plan,
    write_meeting,
    write_role,
]


@pytest.mark.parametrize("write", WRITES, ids=[w.__name__ for w in WRITES])
def test_every_kind_of_write_makes_the_old_etag_stale(transactional_db, reader, users, plan, write, tmp_path):
    tag = etag(reader)
    before = versioning.current()
    write(Client(), users, plan, tmp_path)
    assert versioning.current() != before
    assert not still_current(reader, tag)


def test_signing_in_does_not_advance_it_and_a_change_to_a_user_does(transactional_db, users, plan):
    """Signing in stores the user's last_login: kept pages, ETags and meeting packs stay current."""
    before = versioning.current()
    Client().force_login(users["council"])
    page = Client().post(reverse("login"), {"username": users["planning"].username, "password": PASSWORD})
    assert page.status_code == 302
    assert versioning.current() == before
    users["council"].first_name = "改名"
    users["council"].save()
    assert versioning.current() != before


def test_one_transaction_advances_the_version_once_however_many_rows_it_writes(transactional_db, plan):
    versioning.advance()
    before = DataVersion.objects.get().value
    with transaction.atomic():
        for code in ("G3-M1-K1", "G3-M1-K2", "G3-M1-K3"):
            set_actual(code, 2025, "5")  # each in a savepoint of its own (update_or_create)
        assert len(transaction.get_connection().run_on_commit) == 1
    assert DataVersion.objects.get().value == before + 1


def test_a_rolled_back_write_does_not_advance_it(transactional_db, plan):
    before = versioning.current()
    try:
        with transaction.atomic():
            set_actual("G3-M1-K1", 2025, "5")
            raise RuntimeError("refused")
    except RuntimeError:
        pass
    assert versioning.current() == before


def test_a_write_kept_after_a_rolled_back_savepoint_still_advances_it(transactional_db, plan):
    before = versioning.current()
    with transaction.atomic():
        try:
            with transaction.atomic():
                set_actual("G3-M1-K1", 2025, "5")
                raise RuntimeError("this row refused")
        except RuntimeError:
            pass
        set_actual("G3-M1-K2", 2025, "6")
    assert versioning.current() != before


def test_a_new_database_never_repeats_an_old_version(plan):
    versioning.advance()
    row = DataVersion.objects.get()
    assert len(row.epoch) == 16
    row.delete()
    versioning.advance()
    again = DataVersion.objects.get()
    assert again.value == 1 and again.epoch != row.epoch
