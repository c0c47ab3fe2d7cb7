import re

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_home_page_renders_in_japanese_with_the_four_goals_and_six_kgis(client, plan):
    response = client.get(reverse("dashboards:home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="ja">' in html
    assert "第３期阿見町まち・ひと・しごと創生総合戦略" in html
    for title in (
        "あみらしい多様な働き方ができるまち",
        "魅力を発信し、新たな人の流れをつくるまち",
        "まちぐるみで妊婦・子育て家庭を支え、若者や女性が活躍できるまち",
        "町内どこでも暮らしやすく、住み続けられるまち",
    ):
        assert title in html
    assert len(re.findall(r'href="/indicators/G\d-KGI\d/"', html)) == 6
    assert "277,835" in html and "284,394" in html and "令和3年度茨城県市町村民経済計算" in html
    assert "2024年度（令和6年度）" in html


def test_the_home_page_loads_nothing_from_outside_hosts(client, plan):
    html = client.get(reverse("dashboards:home")).content.decode()
    assert not re.findall(r'(?:src|href)="(?:https?:)?//', html)


def test_the_home_page_without_a_plan_says_how_to_load_it(client, db):
    response = client.get(reverse("dashboards:home"))
    assert response.status_code == 200
    assert "load_plan" in response.content.decode()


def test_the_demo_loader_refuses_when_debug_is_off(plan):
    with override_settings(DEBUG=False), pytest.raises(CommandError, match="DEBUG=1"):
        call_command("load_demo")
    assert not plan.__class__.objects.get(pk=plan.pk).has_demo_data


@override_settings(DEBUG=True)
def test_demo_data_shows_a_banner_on_every_page(client, plan):
    from io import StringIO

    call_command("load_demo", stdout=StringIO())
    html = client.get(reverse("dashboards:home")).content.decode()
    assert "デモデータ" in html and "架空" in html


@override_settings(DEBUG=True)
def test_demo_accounts_exist_one_per_role_and_can_log_in(client, plan):
    from io import StringIO

    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "ami-demo-2025" in out.getvalue()
    for username in ("demo-planning", "demo-staff", "demo-council"):
        assert client.login(username=username, password="ami-demo-2025")


@override_settings(DEBUG=True)
def test_the_demo_year_is_open_in_its_history_too(plan):
    """The fiscal-year history shows FY2025 as 入力受付中, as the year itself is, and who opened it."""
    from io import StringIO

    from kpis.models import FiscalYear

    call_command("load_demo", stdout=StringIO())
    year = FiscalYear.objects.get(strategy=plan, year=2025)
    latest = year.history.order_by("-history_date", "-history_id").first()
    assert year.state == latest.state == FiscalYear.State.OPEN
    assert latest.history_user.username == "demo-planning"
