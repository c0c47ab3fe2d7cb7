from .models import Strategy


def strategy(request):
    """The current strategy on every page (its name in the header, the demo banner)."""
    if not hasattr(request, "_current_strategy"):
        request._current_strategy = Strategy.objects.current()
    return {"current_strategy": request._current_strategy}
