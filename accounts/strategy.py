"""The one lookup of the strategy a request works on (one query per request, shared with the templates)."""

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from goals.models import Strategy


def current_strategy(request: HttpRequest) -> Strategy | None:
    """The strategy the app shows (Strategy.objects.current()), looked up once per request."""
    if not hasattr(request, "_current_strategy"):
        request._current_strategy = Strategy.objects.current()
    return request._current_strategy


def current_strategy_or_404(request: HttpRequest) -> Strategy:
    strategy = current_strategy(request)
    if strategy is None:
        raise Http404(_("計画が読み込まれていません。"))
    return strategy
