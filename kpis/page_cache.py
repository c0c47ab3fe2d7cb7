"""The anonymous public pages, kept once drawn until the data changes (issue 15: caching never stale).

A page drawn for an anonymous visitor (the public dashboards and the open data) is kept in the "pages"
cache under its ETag (kpis.versioning.etag_for), which is made of the data version that every committed
write advances, the language, the day and the URL. The next anonymous visitor asking for the same URL in
the same language on the same day, before anything changed, gets the kept bytes without the page being
drawn again. A write advances the version, so the key changes: a kept page is never served after a change,
whichever app server made it and whatever the cache is (one per process, or shared). Old entries are
simply never asked for again and age out.

Only what is the same for every anonymous visitor is kept:
- never for a signed-in user (their roles and departments change the page), nor for a visitor with a
  session cookie or a message waiting;
- never a page that sets a cookie of its own, or a status other than 200;
- the CSRF token of the header's language form is the only per-visitor part of a public page: it is
  taken out before the page is kept and a fresh one (the visitor's own) is put in when it is served.

A streamed answer (the open data) is kept as it passes to the client, whole or not at all (a client that
goes away mid-way leaves nothing behind), and only up to MAX_BYTES.
"""

import re
from collections.abc import Iterator

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.middleware.csrf import get_token

ALIAS = "pages"
# A page larger than this is drawn each time rather than held in memory (at most MAX_ENTRIES of them).
MAX_BYTES = 512 * 1024
# Where a page's CSRF tokens were (a byte that no HTML page contains).
HOLE = b"\x00csrf\x00"
TOKEN = re.compile(rb'(name="csrfmiddlewaretoken" value=")[A-Za-z0-9]{32,64}(")')
# Headers set outside this middleware on the way out, or per visitor: never kept.
NOT_KEPT = frozenset({"set-cookie", "etag", "vary", "cache-control", "content-length"})


def enabled() -> bool:
    return bool(getattr(settings, "PAGE_CACHE", True))


def applies(request: HttpRequest) -> bool:
    """Whether this request's page is the same for every visitor who could share it."""
    return (
        enabled()
        and request.method == "GET"
        and not request.user.is_authenticated
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
    )


def _key(etag: str) -> str:
    return "page:" + etag.strip('"')


def served(request: HttpRequest, etag: str) -> HttpResponse | None:
    """The kept page for this request, with the visitor's own CSRF token, or None."""
    kept = caches[ALIAS].get(_key(etag))
    if kept is None:
        return None
    headers, body = kept
    if HOLE in body:
        body = body.replace(HOLE, get_token(request).encode())
    response = HttpResponse(body)
    for name, value in headers:
        response[name] = value
    return response


def keep(request: HttpRequest, response: HttpResponse, etag: str) -> None:
    """Keep the page just drawn (or, streamed, as it is read) under its ETag, when it may be shared."""
    if response.status_code != 200 or response.cookies:
        return
    headers = [(name, value) for name, value in response.items() if name.lower() not in NOT_KEPT]
    if isinstance(response, StreamingHttpResponse):
        response.streaming_content = _kept_as_read(response.streaming_content, headers, _key(etag))
        return
    if len(response.content) <= MAX_BYTES:
        _store(_key(etag), headers, response.content)


def _kept_as_read(pieces, headers: list, key: str) -> Iterator[bytes]:
    kept, size = [], 0
    for piece in pieces:
        yield piece
        size += len(piece)
        if size <= MAX_BYTES:
            kept.append(piece)
    if size <= MAX_BYTES:
        _store(key, headers, b"".join(kept))


def _store(key: str, headers: list, body: bytes) -> None:
    """Keep a page with its CSRF tokens punched out: `served` fills in each visitor's own."""
    caches[ALIAS].set(key, (headers, TOKEN.sub(rb"\1" + HOLE + rb"\2", body)))
