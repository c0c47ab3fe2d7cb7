"""Whether the page being drawn shows negative numbers as 「△3」 rather than 「-3」.

Towns print negatives with △; a strategy's settings say whether this one does (kpis.CycleSettings), and
only the Japanese interface follows them. The setting is looked up once per request, and only when a
number is drawn: the request's middleware (kpis.display) hands a lookup to `drawing_with`, and the
`num` filter, the `figure` tag and the chart texts ask `triangle_negatives()` for every number.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils.translation import get_language

_lookup: ContextVar[Callable[[], bool] | None] = ContextVar("negatives_as_triangle", default=None)


@contextmanager
def drawing_with(lookup: Callable[[], bool]) -> Iterator[None]:
    """Within the block, `lookup()` (called at most once) tells whether the setting is on."""
    cache: list[bool] = []

    def once() -> bool:
        if not cache:
            cache.append(bool(lookup()))
        return cache[0]

    token = _lookup.set(once)
    try:
        yield
    finally:
        _lookup.reset(token)


def japanese_interface() -> bool:
    return (get_language() or "ja").split("-")[0] == "ja"


def triangle_negatives() -> bool:
    """True when the strategy prints negatives as △ and the interface is Japanese (English keeps "-3")."""
    lookup = _lookup.get()
    return lookup is not None and japanese_interface() and lookup()
