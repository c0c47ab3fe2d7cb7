"""The error pages: in the site's layout and the visitor's language, each with a way back to the top page.

Django's own handlers draw 403.html and 404.html with the request's context. These views add what they do
not: a 413 page for a request too large to read (Django answers it as a plain 400), a 403 page for a
refused CSRF check, and a 500 page that needs neither the database nor the request, since either may be
what failed. The 400, 413 and 500 pages are drawn without context processors, like Django's own.
"""

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpResponse
from django.template import loader
from django.utils.translation import gettext as _

# Shown if even the 500 template cannot be drawn (a missing static file in the manifest, a broken URLconf).
FALLBACK_500 = (
    '<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"><title>サーバーエラー</title></head>'
    "<body><h1>サーバーエラー</h1><p>申し訳ありません。サーバーでエラーが発生しました。"
    '時間をおいてからもう一度お試しください。</p><p><a href="/">トップページへ戻る</a></p></body></html>'
)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


def _too_large_message(exception) -> str:
    if isinstance(exception, TooManyFieldsSent):
        return _("送信された項目の数が多すぎるため、受け付けませんでした（上限は%(limit)s項目）。") % {
            "limit": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        }
    if isinstance(exception, TooManyFilesSent):
        return _("送信されたファイルの数が多すぎるため、受け付けませんでした（上限は%(limit)s個）。") % {
            "limit": settings.DATA_UPLOAD_MAX_NUMBER_FILES
        }
    return _("送信された内容が大きすぎるため、受け付けませんでした（上限は%(limit)s）。") % {
        "limit": _megabytes(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    }


def _page(template: str, status: int, request=None, **context) -> HttpResponse:
    # The signed-in user only for the header; no context processor runs (no strategy lookup, no roles).
    user = getattr(request, "user", None) or AnonymousUser()
    return HttpResponse(loader.render_to_string(template, {"user": user, **context}), status=status)


def bad_request(request, exception):
    """400, or 413 when the request was too large to read (RequestDataTooBig, TooManyFieldsSent…)."""
    if isinstance(exception, RequestDataTooBig | TooManyFieldsSent | TooManyFilesSent):
        return _page("413.html", 413, request, message=_too_large_message(exception))
    return _page("400.html", 400, request)


def csrf_failure(request, reason=""):
    """A form sent without a valid CSRF token: usually a page left open past the session's end."""
    return _page("403_csrf.html", 403, request)


def server_error(request):
    try:
        html = loader.render_to_string("500.html", {"user": AnonymousUser()})
    except Exception:  # the error page itself must never fail
        html = FALLBACK_500
    return HttpResponse(html, status=500)
