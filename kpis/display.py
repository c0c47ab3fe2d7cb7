"""How a strategy's figures are shown: negatives as 「△3」 where the town prints them so
(CycleSettings.show_triangle, Japanese interface only), on every page (the middleware) and in the review
workbook (reports.excel.review_data reads it once)."""

from django.http import HttpRequest

from accounts.strategy import current_strategy
from goals.models import Strategy
from lib.negatives import drawing_with, japanese_interface


def shows_triangle(strategy: Strategy | None) -> bool:
    """The strategy's CycleSettings.show_triangle (False without settings or a strategy).

    Strategy.objects.current() reads the settings with the strategy, so for the current one this costs no
    query; for another, one (then cached on the instance)."""
    settings = getattr(strategy, "cycle_settings", None) if strategy is not None else None
    return bool(settings and settings.show_triangle)


def triangle_in_exports(strategy: Strategy) -> bool:
    """Whether an export in the active language writes negatives as △ (English keeps "-3")."""
    return japanese_interface() and shows_triangle(strategy)


def negative_numbers(get_response):
    """Middleware: the page's numbers follow the current strategy's setting, looked up only when a page
    draws a number (lib.negatives)."""

    def middleware(request: HttpRequest):
        with drawing_with(lambda: shows_triangle(current_strategy(request))):
            return get_response(request)

    return middleware
