"""The entry screen of a department with many indicators, in pages: each page shows and saves its own rows,
a save comes back to its page, and the 指摘 of a 差戻し link to the page that shows their row.

The page size is lowered to 2 here, so こども家庭課's four indicators (OWN_CODES, in plan order) make two
pages: G2-KGI1 and G3-M1-K1, then G3-M1-K2 and G3-M1-K3.
"""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from kpis.cycle import services
from kpis.cycle.views import entry as entry_views
from kpis.models import ActualValue, FiscalYear, Indicator, Submission
from tests.support.entry import OWN_CODES, entry_url, field, login, page_data, set_year_state, value_of
from tests.support.factories import set_actual

FIRST, SECOND = OWN_CODES[:2], OWN_CODES[2:]


@pytest.fixture(autouse=True)
def two_to_a_page(monkeypatch):
    monkeypatch.setattr(entry_views, "ROWS_PER_PAGE", 2)


@pytest.fixture
def staff(client, users, plan):
    set_year_state(plan, 2025, FiscalYear.State.OPEN)
    return login(client, users["staff_own"])


def page_url(page: int) -> str:
    return f"{entry_url()}&page={page}"


def codes_on(html: str) -> list[str]:
    return re.findall(r'<td class="code">([^<]+)</td>', html)


def test_each_page_shows_its_rows_and_counts_them_all(staff):
    first = staff.get(entry_url()).content.decode()
    second = staff.get(page_url(2)).content.decode()
    assert codes_on(first) == FIRST and codes_on(second) == SECOND
    assert "全4件中 1〜2件" in first and "全4件中 3〜4件" in second
    # The count of indicators in the status bar is the department's, not the page's.
    assert re.search(r"<dt>指標数</dt><dd>4</dd>", first)
    assert "保存はページごとです" in first
    # The pager's links keep the department.
    assert 'href="?department=kodomo&amp;page=2#entry-rows"' in first
    assert 'href="?department=kodomo&amp;page=1#entry-rows"' in second


@pytest.mark.parametrize("asked", ["99", "x", "0", "-1"])
def test_a_page_out_of_range_or_not_a_number_shows_a_page_not_an_error(staff, asked):
    response = staff.get(f"{entry_url()}&page={asked}")
    assert response.status_code == 200
    assert codes_on(response.content.decode()) in (FIRST, SECOND)


def test_one_page_of_a_small_department_shows_no_pager(staff, monkeypatch):
    monkeypatch.setattr(entry_views, "ROWS_PER_PAGE", 100)
    html = staff.get(entry_url()).content.decode()
    assert codes_on(html) == OWN_CODES
    assert "全4件中" not in html and "保存はページごとです" not in html


def test_a_save_on_the_second_page_saves_its_rows_only_and_comes_back_to_it(staff):
    set_actual("G3-M1-K1", 2025, "7", status=ActualValue.Status.DRAFT)
    data = page_data(staff.get(page_url(2)))
    assert field("G3-M1-K1") not in data  # the first page's rows are not in the second page's form
    data[field("G3-M1-K2")] = "１，２３４"
    response = staff.post(page_url(2), data)
    assert response.status_code == 302
    assert response.url == page_url(2)
    assert value_of("G3-M1-K2") == Decimal(1234)
    assert value_of("G3-M1-K1") == Decimal(7)  # untouched, not emptied
    assert value_of("G2-KGI1") is None


def test_an_error_on_a_page_saves_nothing_and_shows_that_page_again(staff):
    data = page_data(staff.get(page_url(2)))
    data[field("G3-M1-K2")] = "12"
    data[field("G3-M1-K3")] = "十二"
    response = staff.post(page_url(2), data)
    assert response.status_code == 400
    assert codes_on(response.content.decode()) == SECOND
    assert value_of("G3-M1-K2") is None


def test_a_conflict_on_the_second_page_is_shown_on_it_with_both_values(staff, users):
    data = page_data(staff.get(page_url(2)))
    indicator = Indicator.objects.get(code="G3-M1-K3")
    services.actual_save(
        user=users["planning"],
        strategy=indicator.strategy,
        department=indicator.department,
        fiscal_year=2025,
        rows=[services.RowInput(indicator=indicator, version=0, value=Decimal(30))],
    )
    data[field("G3-M1-K3")] = "31"
    response = staff.post(page_url(2), data)
    assert response.status_code == 409
    html = response.content.decode()
    assert codes_on(html) == SECOND
    assert "has-conflict" in html
    assert value_of("G3-M1-K3") == Decimal(30)


def test_the_questioned_list_links_each_row_on_the_page_that_shows_it(staff, users, departments, plan):
    for code in OWN_CODES:
        set_actual(code, 2025, "5", status=ActualValue.Status.SUBMITTED)
    submission = Submission.objects.create(
        department=departments[0], strategy=plan, fiscal_year=2025, state=Submission.State.SUBMITTED
    )
    notes = {
        Indicator.objects.get(code=code): f"{code}を確認してください。" for code in ("G3-M1-K1", "G3-M1-K3")
    }
    services.submission_return(
        user=users["planning"], submission=submission, comment="", row_comments=notes, seen_state="submitted"
    )
    first = staff.get(entry_url()).content.decode()
    k1, k3 = (Indicator.objects.get(code=code).pk for code in ("G3-M1-K1", "G3-M1-K3"))
    questioned = first[first.index('<div class="questioned">') :]
    listed = re.findall(r'<li><a href="([^"]+)">([^ <]+) ', questioned[: questioned.index("</div>")])
    assert listed == [
        (f"#row-{k1}", "G3-M1-K1"),
        (f"{reverse('cycle:entry', args=[2025])}?department=kodomo&amp;page=2#row-{k3}", "G3-M1-K3"),
    ]
    second = staff.get(page_url(2)).content.decode()
    assert f'id="row-{k3}"' in second and f'id="row-{k1}"' not in second
