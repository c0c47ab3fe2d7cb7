"""Bench-only URLconf: the whole app (ami_strategy.urls) plus an empty view, the floor every page is compared to.

Used by scripts/bench.py through override_settings(ROOT_URLCONF="bench_urls"); never by the app itself.
If the app's URLconf cannot be imported (a page under construction), each area is mounted on its own so the
pages that do import can still be measured; BROKEN then says which areas failed and why.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

EMPTY_PATH = "__bench__/empty/"
BROKEN: dict[str, str] = {}

# Where ami_strategy/urls.py mounts each area (used only when that module itself fails to import).
AREAS = [
    ("", "reports.dashboards.urls"),
    ("", "kpis.cycle.urls"),
    ("", "reviews.urls"),
    ("api/v1/", "kpis.api.urls"),
    ("reports/", "reports.excel.urls"),
]


def empty(request: HttpRequest) -> HttpResponse:
    """Nothing at all: what the middleware and the test client cost by themselves."""
    return HttpResponse(b"", content_type="text/plain")


def _app_patterns() -> list:
    try:
        return [path("", include("ami_strategy.urls"))]
    except Exception as error:  # noqa: BLE001 - a page under construction must not stop the bench
        BROKEN["ami_strategy.urls"] = f"{type(error).__name__}: {error}"
    patterns = []
    for prefix, module in AREAS:
        try:
            patterns.append(path(prefix, include(module)))
        except Exception as error:  # noqa: BLE001
            BROKEN[module] = f"{type(error).__name__}: {error}"
    return patterns


urlpatterns = [path(EMPTY_PATH, empty, name="bench_empty"), *_app_patterns()]
