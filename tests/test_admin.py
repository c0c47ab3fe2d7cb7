"""The admin keeps the yearly rules: nothing of a locked fiscal year changes, not even for a superuser."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from kpis.models import ActualValue, ExpectedValue, FiscalYear, Indicator, Submission
from tests.support.admin_forms import form_data
from tests.support.entry import set_year_state
from tests.support.factories import set_actual

LOCKED = "確定（ロック）されているため変更できません"


@pytest.fixture
def locked_year(plan, departments):
    """FY2025 locked with an approved figure, an expected value and an approved submission; FY2026 open."""
    set_year_state(plan, 2025, FiscalYear.State.LOCKED)
    set_year_state(plan, 2026, FiscalYear.State.OPEN)
    indicator = Indicator.objects.get(code="G3-M1-K1")
    return {
        "actual": set_actual("G3-M1-K1", 2025, 350),
        "open_actual": set_actual("G3-M1-K1", 2026, 360, status=ActualValue.Status.DRAFT),
        "expected": ExpectedValue.objects.create(indicator=indicator, fiscal_year=2025, value=300),
        "submission": Submission.objects.create(
            department=departments[0], strategy=plan, fiscal_year=2025, state=Submission.State.APPROVED
        ),
        "indicator": indicator,
    }


@pytest.fixture
def root(client, db):
    user = User.objects.create_superuser("root", "root@example.jp", "root-pass-4821")
    client.force_login(user)
    return user


def _url(obj, view="change"):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_{view}", args=[obj.pk])


@pytest.mark.parametrize("name", ["actual", "expected", "submission"])
def test_a_value_of_a_locked_year_shows_read_only_with_the_reason(client, root, locked_year, name):
    obj = locked_year[name]
    page = client.get(_url(obj))
    assert page.status_code == 200
    assert LOCKED in page.content.decode()
    assert 'name="_save"' not in page.content.decode()
    assert "change_reason" not in form_data(page.content.decode())


@pytest.mark.parametrize("name", ["actual", "expected", "submission"])
def test_posting_a_change_or_a_deletion_of_a_locked_value_is_refused(client, root, locked_year, name):
    obj = locked_year[name]
    before = type(obj).history.filter(id=obj.pk).count()
    assert client.post(_url(obj), {"change_reason": "訂正", "value": "1"}).status_code == 403
    assert client.post(_url(obj, "delete"), {"post": "yes", "change_reason": "削除"}).status_code == 403
    assert type(obj).objects.filter(pk=obj.pk).exists()
    assert type(obj).history.filter(id=obj.pk).count() == before


def test_a_value_cannot_be_moved_into_a_locked_year(client, root, locked_year):
    actual = locked_year["open_actual"]
    data = form_data(client.get(_url(actual)).content.decode(), form_id="actualvalue_form")

    response = client.post(_url(actual), {**data, "fiscal_year": "2025", "change_reason": "年度の訂正"})

    assert response.status_code == 200
    assert LOCKED in str(response.context["adminform"].form.non_field_errors())
    actual.refresh_from_db()
    assert actual.fiscal_year == 2026


def test_an_open_years_value_changes_with_a_reason_and_a_new_version(client, root, locked_year):
    actual = locked_year["open_actual"]
    data = form_data(client.get(_url(actual)).content.decode(), form_id="actualvalue_form")

    response = client.post(_url(actual), {**data, "value": "365", "change_reason": "集計の訂正"})

    assert response.status_code == 302
    actual.refresh_from_db()
    assert actual.value == 365 and actual.version == 2
    assert actual.history.first().history_change_reason == "集計の訂正"


def test_a_locked_years_expected_value_cannot_change_through_the_indicator_inline(client, root, locked_year):
    indicator = locked_year["indicator"]
    data = form_data(client.get(_url(indicator)).content.decode(), form_id="indicator_form")
    index = next(key for key, value in data.items() if key.endswith("-fiscal_year") and value == ["2025"])
    value_key = index.replace("fiscal_year", "value")

    response = client.post(_url(indicator), {**data, value_key: "1", "change_reason": "期待値の訂正"})

    assert response.status_code == 200
    assert LOCKED in response.content.decode()
    assert ExpectedValue.objects.get(pk=locked_year["expected"].pk).value == 300


def test_deleting_an_indicator_with_locked_figures_is_refused(client, root, locked_year):
    indicator = locked_year["indicator"]
    page = client.get(_url(indicator, "delete"))
    assert "削除できません" in page.content.decode()

    refused = client.post(_url(indicator, "delete"), {"post": "yes", "change_reason": "不要"})

    assert refused.status_code == 403
    assert Indicator.objects.filter(pk=indicator.pk).exists()
    assert ActualValue.objects.filter(pk=locked_year["actual"].pk).exists()


def test_fiscal_years_are_read_only_in_the_admin(client, root, locked_year):
    year = FiscalYear.objects.get(year=2025)
    page = client.get(_url(year))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.post(_url(year), {"state": "open", "change_reason": "再開"}).status_code == 403
    assert client.get(reverse("admin:kpis_fiscalyear_add")).status_code == 403
    year.refresh_from_db()
    assert year.state == FiscalYear.State.LOCKED


def test_reopened_the_year_takes_changes_again(client, root, locked_year, plan):
    set_year_state(plan, 2025, FiscalYear.State.OPEN)
    actual = locked_year["actual"]
    data = form_data(client.get(_url(actual)).content.decode(), form_id="actualvalue_form")
    assert client.post(_url(actual), {**data, "value": "351", "change_reason": "訂正"}).status_code == 302
