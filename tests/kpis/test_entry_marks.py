"""The entry screen's figures beside each other: last year's figure marked while it is not approved, and
negatives shown as 「△3」 where the town prints them so, while the inputs keep a form that reads back."""

import pytest

from kpis.models import ActualValue, CycleSettings, FiscalYear
from tests.support.entry import entry_url, field, login, set_year_state
from tests.support.factories import set_actual


@pytest.fixture
def staff_2026(client, users, plan):
    set_year_state(plan, 2026, FiscalYear.State.OPEN)
    return login(client, users["staff_own"])


def previous_cell(html: str, code: str) -> str:
    """The row's 前年度実績 cell: the 7th cell of its row (see templates/kpis/_figure_cells.html)."""
    row = html[html.index(f'<td class="code">{code}</td>') :]
    return row.split("<td")[6].split("</td>")[0]


def test_last_years_figure_is_marked_while_it_is_a_draft_or_submitted(staff_2026):
    set_actual("G3-M1-K1", 2025, "310", status=ActualValue.Status.DRAFT)
    set_actual("G3-M1-K2", 2025, "13", status=ActualValue.Status.SUBMITTED)
    set_actual("G3-M1-K3", 2025, "7")  # approved
    html = staff_2026.get(entry_url(2026)).content.decode()
    draft = previous_cell(html, "G3-M1-K1")
    assert "310" in draft and "入力中" in draft
    submitted = previous_cell(html, "G3-M1-K2")
    assert "13" in submitted and "提出済" in submitted
    approved = previous_cell(html, "G3-M1-K3")
    assert "7" in approved and "unapproved-mark" not in approved


def test_the_review_screen_marks_last_years_draft_too(client, users, plan):
    set_year_state(plan, 2026, FiscalYear.State.OPEN)
    set_actual("G3-M1-K1", 2025, "310", status=ActualValue.Status.DRAFT)
    login(client, users["planning"])
    from django.urls import reverse

    html = client.get(reverse("cycle:review_department", args=[2026, "kodomo"])).content.decode()
    assert "入力中" in previous_cell(html, "G3-M1-K1")


def test_negatives_show_with_a_triangle_but_the_input_keeps_a_value_that_reads_back(staff_2026, plan):
    CycleSettings.objects.create(strategy=plan, show_triangle=True)
    set_actual("G3-M1-K1", 2025, "-3")
    set_actual("G3-M1-K1", 2026, "-5", status=ActualValue.Status.DRAFT)
    plan.refresh_from_db()
    html = staff_2026.get(entry_url(2026)).content.decode()
    assert "△3" in previous_cell(html, "G3-M1-K1")
    name = field("G3-M1-K1")
    value = html[html.index(f'name="{name}"') :].split(">")[0]
    assert 'value="-5"' in value
