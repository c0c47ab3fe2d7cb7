"""The data version, and pages that are never served stale from a browser's cache.

Every committed write advances one counter (kpis.models.DataVersion): the model signals of every model
people change schedule it for after the commit, and the bulk writes that send no signals (the import, the
year's lock) call `changed()` themselves. Signing in, which stores the user's last_login, is not a change:
it leaves every kept page, ETag and meeting pack current. The dashboards and the open-data API answer with an ETag made of
that version and of everything else the page depends on (who reads it, in which language, on which day,
which URL); a browser that sends the ETag back gets 304 Not Modified, without the page being computed
again, until something changes.

Why after the commit: a page read while a write is under way shows the old data under the old version
(its ETag then no longer matches after the write) or the new data under the old version (re-computed once
more, needlessly, but never stale). Advancing before the commit could pair the new version with old data.
The counter is a row of the database, so every app server sees the same version: nothing is cached in one
process.
"""

import hashlib
import secrets

from django.apps import apps
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F, signals
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.translation import get_language
from simple_history.models import HistoricalChanges

from accounts.models import UNRECORDED_USER_FIELDS
from kpis import page_cache

# The URL namespaces whose GET answers carry an ETag: the dashboards and the open data.
CONDITIONAL_NAMESPACES = frozenset({"dashboards", "api"})
# Models whose changes no page shows (or that are written on every request).
UNWATCHED = frozenset(
    {
        "admin.logentry",
        "auth.permission",
        "contenttypes.contenttype",
        "sessions.session",
        "axes.accessattempt",
        "axes.accessattemptexpiration",
        "axes.accesslog",
        "axes.accessfailurelog",
        "kpis.sentmail",
        "kpis.stagedupload",
        "kpis.dataversion",
        "kpis.storedresult",
        "reports.packbuild",  # a copy of what the data shows, made for a data version
    }
)


def current() -> str:
    """The data version now: the database's epoch and its count of committed changes."""
    from kpis.models import DataVersion

    row = DataVersion.objects.filter(pk=DataVersion.SINGLETON).values_list("epoch", "value").first()
    return "{}.{}".format(*row) if row else "-"


def advance() -> None:
    """Count one committed change (its own statement, after the change's commit)."""
    from kpis.models import DataVersion

    if not DataVersion.objects.filter(pk=DataVersion.SINGLETON).update(value=F("value") + 1):
        DataVersion.objects.get_or_create(
            pk=DataVersion.SINGLETON, defaults={"value": 1, "epoch": secrets.token_hex(8)}
        )


def changed(using: str = "default") -> None:
    """Schedule the version's advance for when the current transaction commits (at once outside one);
    once per transaction however many rows it writes."""
    connection = transaction.get_connection(using)
    # One already scheduled in this transaction runs whenever this one would: a callback still pending
    # was scheduled outside any savepoint, in one since released, or in one still open around this write
    # (rolling back a savepoint drops the callbacks scheduled inside it, and the writes with them).
    if connection.in_atomic_block and any(func is advance for _, func, _ in connection.run_on_commit):
        return
    transaction.on_commit(advance, using=using)


def _on_change(sender, using="default", update_fields=None, **kwargs) -> None:
    if update_fields and sender is User and set(update_fields) <= UNRECORDED_USER_FIELDS:
        return  # a sign-in (last_login, an upgraded password hash): nothing any page, export or pack shows
    changed(using)


def watch() -> None:
    """Connect the model signals (from KpisConfig.ready)."""
    for model in apps.get_models():
        if model._meta.label_lower in UNWATCHED or issubclass(model, HistoricalChanges):
            continue  # not shown, or a history table (written with the row it records)
        uid = f"data-version-{model._meta.label_lower}"
        signals.post_save.connect(_on_change, sender=model, dispatch_uid=f"{uid}-save")
        signals.post_delete.connect(_on_change, sender=model, dispatch_uid=f"{uid}-delete")
    signals.m2m_changed.connect(_on_change, dispatch_uid="data-version-m2m")


def etag_for(request: HttpRequest, version: str) -> str:
    """Everything a dashboard page or API answer depends on: the data, the reader (their roles and
    departments are data too), the language, the day (deadlines count days) and the URL."""
    user = request.user.pk if request.user.is_authenticated else 0
    parts = [version, user, get_language(), timezone.localdate().isoformat(), request.get_full_path()]
    return '"' + hashlib.sha256(repr(parts).encode()).hexdigest()[:32] + '"'


def _has_pending_messages(request: HttpRequest) -> bool:
    """A message waiting to be shown (「保存しました」): the page must be drawn to show it."""
    session = getattr(request, "session", None)
    return "messages" in request.COOKIES or bool(session is not None and session.get("_messages"))


class ConditionalPages:
    """Middleware: ETag on the dashboards and the API, 304 when the browser's copy is still current, and the
    anonymous pages served as kept while nothing changed (kpis.page_cache)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        etag = getattr(request, "_data_etag", None)
        if etag and response.status_code == 200 and not response.has_header("ETag"):
            if not getattr(request, "_page_kept", False) and page_cache.applies(request):
                page_cache.keep(request, response, etag)
            response["ETag"] = etag
            _revalidate(request, response)
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if (
            request.method not in ("GET", "HEAD")
            or match is None
            or match.namespace not in CONDITIONAL_NAMESPACES
            or _has_pending_messages(request)
        ):
            return None
        request._data_etag = etag = etag_for(request, current())
        if request.headers.get("If-None-Match"):
            response = HttpResponse(status=200)
            response["ETag"] = etag
            not_modified = get_conditional_response(request, etag=etag, response=response)
            if not_modified.status_code == 304:
                _revalidate(request, not_modified)
                return not_modified
        if page_cache.applies(request):
            kept = page_cache.served(request, etag)
            request._page_kept = kept is not None
            return kept
        return None


def _revalidate(request: HttpRequest, response: HttpResponse) -> None:
    """Keep a copy, but ask every time (a 304 costs one query); drafts stay out of shared caches."""
    if request.user.is_authenticated:
        patch_cache_control(response, private=True, no_cache=True)
    else:
        patch_cache_control(response, no_cache=True)
    patch_vary_headers(response, ["Cookie", "Accept-Language"])
