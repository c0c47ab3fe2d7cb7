"""Each dashboard page for each role, and what it shows."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from goals.models import Department
from kpis.models import ActualValue, Indicator, Submission
from tests.support.factories import make_user, set_actual, update_indicators

pytestmark = pytest.mark.django_db

ROLES_WITH_ACCESS = ["planning", "council", "staff_own", "staff_other"]
DASHBOARD_URLS = [
    reverse("dashboards:goal", args=["G1"]),
    reverse("dashboards:indicator", args=["G1-M1-K1"]),
    reverse("dashboards:department", args=["kodomo"]),
    reverse("dashboards:indicators"),
]


@pytest.mark.parametrize("role", ROLES_WITH_ACCESS)
@pytest.mark.parametrize("url", ["/", *DASHBOARD_URLS])
def test_every_role_sees_every_dashboard_page(client_as, figures, role, url):
    response = client_as(role).get(url)
    assert response.status_code == 200
    assert "職員・委員向けの表示です" in response.content.decode()


@pytest.mark.parametrize("url", DASHBOARD_URLS)
def test_anonymous_visitors_are_sent_to_the_login_page_when_dashboards_are_not_public(client, figures, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("url", DASHBOARD_URLS)
def test_a_signed_in_user_without_a_role_is_refused(client, figures, url):
    client.force_login(make_user("nobody", None))
    assert client.get(url).status_code == 403


def test_the_overview_shows_the_year_selector_and_six_kgi_cards_with_grade_letter_and_label(
    client_as, figures
):
    html = client_as("council").get("/").content.decode()
    assert "2025年度（令和7年度）" in html
    assert '<select name="fy" id="id_fy">' in html
    assert html.count('class="kgi-card"') == 6
    # G1-KGI1: 279,000 against 280,021.33 → 99.6% → B+ 概ね順調 (domain.md's worked example); the expected
    # value is shown with the indicator's own places (whole 百万円), its exact value rated.
    assert "279,000" in html and "280,021<" in html and "280,021.33" not in html and "99.6%" in html
    assert re.search(r'class="grade grade-bplus">B\+<span class="grade-name"> 概ね順調', html)


def test_the_overview_defaults_to_the_latest_year_with_a_figure(client_as, figures):
    set_actual("G1-KGI1", 2026, 281000)
    response = client_as("council").get("/")
    assert response.context["year"] == 2026


def test_the_overview_defaults_to_the_first_plan_year_without_figures(client_as, plan, users):
    assert client_as("council").get("/").context["year"] == 2025


def test_an_unknown_fiscal_year_is_refused_with_a_japanese_message(client_as, figures):
    response = client_as("council").get("/?fy=1999")
    assert response.status_code == 400
    assert "計画期間にありません" in response.content.decode()


def test_the_overview_lists_grades_that_changed_since_the_previous_year(client_as, figures):
    set_actual("G1-KGI1", 2026, 100000)  # far below E(2026): C
    response = client_as("council").get("/?fy=2026")
    html = response.content.decode()
    assert "前年度からの変化" in html
    change = next(c for c in response.context["changes"] if c.indicator.code == "G1-KGI1")
    assert (change.before, change.after, change.direction) == ("B+", "C", "down")
    assert "↓ 低下" in html


def test_a_figure_not_entered_yet_is_not_counted_as_a_fall(client_as, figures):
    """FY2026: one grade really fell; the KGIs graded in 2025 without a 2026 figure are 未入力, apart."""
    set_actual("G1-KGI1", 2026, 100000)  # far below E(2026): C, a real fall
    response = client_as("planning").get("/?fy=2026")
    html = response.content.decode()
    by_code = {c.indicator.code: c.direction for c in response.context["changes"]}
    assert by_code["G1-KGI1"] == "down"
    missing = [code for code, direction in by_code.items() if direction == "missing"]
    assert missing, "the 2025 figures without a 2026 figure are listed as not entered"
    counts = response.context["change_counts"]
    assert (counts.down, counts.missing) == (1, len(missing))
    assert "下がった（評価できなくなった）指標は1件" in html
    assert f"ほかに{len(missing)}件の指標は2026年度（令和8年度）の実績がまだ入力されていない" in html
    # Listed after every real change, marked 未入力, never 低下.
    directions = [c.direction for c in response.context["changes"]]
    assert directions[-len(missing) :] == ["missing"] * len(missing)


def test_the_first_plan_year_has_no_previous_year_to_compare(client_as, figures):
    html = client_as("council").get("/?fy=2025").content.decode()
    assert "前年度との比較はありません" in html


def test_the_grade_distribution_counts_each_goal_and_the_repost_once(client_as, figures):
    response = client_as("council").get("/")
    total = response.context["distribution_total"]
    assert total.total == 42  # 42 distinct KPIs: the 【再掲】 KPI counts once
    rows = response.context["distribution"]
    assert [goal.code for goal, _row in rows] == ["G1", "G2", "G3", "G4"]


def test_the_goal_page_marks_the_repost_and_digital_policies(client_as, figures):
    html = client_as("council").get(reverse("dashboards:goal", args=["G3"])).content.decode()
    assert "【再掲】" in html and "G1-M1-K1" in html
    assert "G1-M1-P1の再掲" in html
    assert "デジタル活用" in html  # G3-M2-P1 デジタルを活用した子育て支援
    assert html.count('class="kgi-card wide"') == 2


def test_the_goal_page_of_an_unknown_goal_is_404(client_as, figures):
    assert client_as("council").get(reverse("dashboards:goal", args=["G9"])).status_code == 404


def test_the_indicator_page_shows_both_places_of_the_reposted_kpi(client_as, figures):
    html = client_as("council").get(reverse("dashboards:indicator", args=["G1-M1-K1"])).content.decode()
    assert "G1-M1-P1" in html and "G3-M2-P2" in html
    assert html.count("【再掲】") == 1


def test_the_indicator_page_shows_the_year_table_with_notes_for_roles(client_as, figures):
    html = client_as("council").get(reverse("dashboards:indicator", args=["G2-KGI1"])).content.decode()
    for heading in ("期待値", "実績値", "達成率", "評価", "状態", "備考", "要因分析", "今後の方向性"):
        assert f">{heading}</th>" in html
    assert "内部の要因分析メモ" in html and "入力中" in html


def test_the_department_page_shows_submission_states_and_figure_statuses(client_as, figures, departments):
    own, _other = departments
    Submission.objects.create(
        department=own, strategy=figures["draft"].indicator.strategy, fiscal_year=2025, state="submitted"
    )
    set_actual("G3-M1-K1", 2025, 10, status=ActualValue.Status.DRAFT)
    html = client_as("staff_own").get(reverse("dashboards:department", args=["kodomo"])).content.decode()
    assert "年度別の入力状況" in html
    assert 'status-submitted">提出済' in html
    assert 'status-draft">入力中' in html
    assert "G2-KGI1" in html  # こども家庭課 owns 社会増数 in the fixture


def test_the_department_table_escapes_markup_in_an_indicators_unit_and_note(client_as, figures):
    """The department table's cells are drawn in Python (report_tags.department_cells): a unit or note
    typed with markup shows as text there too, never as markup."""
    update_indicators(Indicator.objects.filter(code="G2-KGI1"), unit="<b>人</b>", note="<script>x</script>")
    html = client_as("planning").get(reverse("dashboards:department", args=["kodomo"])).content.decode()
    assert "<script>x</script>" not in html and "<b>人</b>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "&lt;b&gt;人&lt;/b&gt;" in html


def test_the_goal_pages_tables_escape_markup_in_an_indicators_name_unit_note_and_department(
    client_as, figures
):
    """The goal page's plan rows and KGI year tables are drawn in Python (report_tags.plan_row_cells,
    year_table_rows): markup typed in a name, unit, note or department name shows as text there too."""
    set_actual("G1-M1-K1", 2025, 5)
    update_indicators(
        Indicator.objects.filter(code__in=["G1-M1-K1", "G1-KGI1"]),
        name="<i>指標</i>",
        unit="<b>件</b>",
        note="<script>x</script>",
    )
    Department.objects.filter(code="kodomo").update(name="<u>課</u>")
    update_indicators(
        Indicator.objects.filter(code="G1-M1-K1"), department=Department.objects.get(code="kodomo")
    )
    html = client_as("planning").get(reverse("dashboards:goal", args=["G1"]) + "?fy=2025").content.decode()
    for typed in ("<i>指標</i>", "<b>件</b>", "<script>x</script>", "<u>課</u>"):
        assert typed not in html
        assert typed.replace("<", "&lt;").replace(">", "&gt;") in html


def test_the_published_plan_shows_a_login_link_and_no_figures(client, figures):
    html = client.get("/").content.decode()
    assert "ログイン" in html and reverse("login") in html
    assert "279,000" not in html and "kgi-card" not in html


def test_pages_use_the_strategys_grade_colours(client, plan):
    css = client.get(reverse("dashboards:grade_css")).content.decode()
    assert ".grade-a { background: #1a7f37" in css
    assert ".grade-b { background: #d9a400; color: #1f2328" in css  # dark text on yellow


def test_the_home_page_links_the_grade_stylesheet(client_as, figures):
    html = client_as("council").get("/").content.decode()
    assert f'href="{reverse("dashboards:grade_css")}"' in html


def test_a_plan_less_site_still_answers_the_dashboard_pages_with_404(db):
    client = Client()
    client.force_login(make_user("p", "planning_office"))
    assert client.get(reverse("dashboards:goal", args=["G1"])).status_code == 404
