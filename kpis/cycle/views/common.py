"""What the entry, review and fiscal-year screens share: the plan year asked for, the entry screen's address."""

from urllib.parse import urlencode

from django.http import Http404
from django.urls import reverse

from goals.models import Department, Strategy
from kpis.cycle import services
from kpis.models import FiscalYear


def fiscal_year_or_404(strategy: Strategy, year: int) -> FiscalYear:
    fiscal_year = services.fiscal_year_for(strategy=strategy, year=year)
    if fiscal_year is None or year not in strategy.plan_years:
        raise Http404("Not a fiscal year of the plan.")
    return fiscal_year


def entry_url(fiscal_year: int, department: Department, page: int = 1) -> str:
    """One department's entry screen for a year; `page`: which page of its rows (the first: none given)."""
    query = {"department": department.code} | ({"page": page} if page > 1 else {})
    return f"{reverse('cycle:entry', args=[fiscal_year])}?{urlencode(query)}"


def submit_url(fiscal_year: int, department: Department) -> str:
    """The confirmation step of 提出 for one department and year."""
    return f"{reverse('cycle:entry_submit', args=[fiscal_year])}?{urlencode({'department': department.code})}"
