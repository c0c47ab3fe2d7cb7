"""Pages of a long list: which rows a page shows, how many there are in all, and the links to the pages
before and after that keep every other parameter of the request (filters, sort, year, department)."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.http import QueryDict


@dataclass(frozen=True)
class Pager:
    """One page of a long list, for templates/includes/pager.html: 「全4,800件中 1〜50件」 and its links."""

    page: Page
    total: int
    first: int
    last: int
    previous_query: str | None
    next_query: str | None


def pager(items: Sequence, per_page: int, query: QueryDict, param: str = "page") -> Pager:
    """The page of `items` that `query[param]` asks for (the first when missing or not a number)."""
    page = Paginator(items, per_page).get_page(query.get(param))

    def link(number: int) -> str:
        linked = query.copy()
        linked[param] = str(number)
        return "?" + linked.urlencode()

    return Pager(
        page=page,
        total=page.paginator.count,
        first=page.start_index(),
        last=page.end_index(),
        previous_query=link(page.previous_page_number()) if page.has_previous() else None,
        next_query=link(page.next_page_number()) if page.has_next() else None,
    )
