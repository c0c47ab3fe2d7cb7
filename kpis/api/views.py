"""Open data: every indicator with its yearly figures, as JSON or CSV (/api/v1/indicators.json|.csv).

Anyone may read it; anonymous visitors (and accounts without a role) get approved figures only, as
the town publishes them. Signed-in users with a role see every figure with its status. Both are streamed
(read and written as the client reads), and answered 304 by kpis.versioning while nothing changed.
"""

from collections.abc import Iterable, Iterator
from typing import NamedTuple

from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts import access
from accounts.strategy import current_strategy
from goals.models import Strategy
from kpis.api import serializers
from lib.fiscal import parse_fiscal_year

# Bytes written to the client at a time (about) while the answer is streamed.
PIECE = 64 * 1024


class BadRequest(Exception):
    pass


class Export(NamedTuple):
    """What a request asks for, checked before anything is streamed."""

    strategy: Strategy
    approved_only: bool
    fiscal_year: int | None

    def head(self) -> dict:
        return serializers.document_head(
            self.strategy, approved_only=self.approved_only, fiscal_year=self.fiscal_year
        )

    def items(self):
        return serializers.plain_items(
            self.strategy, approved_only=self.approved_only, fiscal_year=self.fiscal_year
        )


def _export(request: HttpRequest) -> Export:
    strategy = current_strategy(request)
    if strategy is None:
        raise LookupError(_("計画がまだ登録されていません。"))
    fiscal_year = None
    text = request.GET.get("fiscal_year", "").strip()
    if text:
        try:
            fiscal_year = parse_fiscal_year(text)
        except ValueError as error:
            raise BadRequest(_("年度（fiscal_year）: %(error)s") % {"error": error}) from error
        if fiscal_year not in strategy.plan_years:
            raise BadRequest(
                _("年度（fiscal_year）: 計画期間（%(first)s〜%(last)s年度）の外の年度です: %(year)s")
                % {"first": strategy.first_year, "last": strategy.last_year, "year": fiscal_year}
            )
    return Export(strategy, not access.can_read_internal(request.user), fiscal_year)


def _respond(request: HttpRequest, render) -> HttpResponse:
    """The answer is streamed (StreamingHttpResponse): the indicators are read and written as the client
    reads, so memory does not grow with the plan. What can fail is checked first, with a 4xx."""
    try:
        export = _export(request)
    except BadRequest as error:
        response = JsonResponse({"error": str(error)}, status=400, json_dumps_params={"ensure_ascii": False})
    except LookupError as error:
        response = JsonResponse({"error": str(error)}, status=404, json_dumps_params={"ensure_ascii": False})
    else:
        response = render(export)
        if not export.approved_only:
            # Drafts must not be kept by shared caches.
            patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, ["Cookie"])
    return response


def _in_pieces(texts: Iterable[str], size: int = PIECE) -> Iterator[bytes]:
    """UTF-8 bytes in pieces of about `size` characters: fewer, larger writes than one per indicator."""
    buffer, length = [], 0
    for text in texts:
        buffer.append(text)
        length += len(text)
        if length >= size:
            yield "".join(buffer).encode("utf-8")
            buffer, length = [], 0
    if buffer:
        yield "".join(buffer).encode("utf-8")


@require_GET
def indicators_json(request: HttpRequest) -> HttpResponse:
    return _respond(
        request,
        lambda export: StreamingHttpResponse(
            _in_pieces(serializers.json_pieces(export.head(), export.items())),
            content_type="application/json; charset=utf-8",
        ),
    )


@require_GET
def indicators_csv(request: HttpRequest) -> HttpResponse:
    def render(export: Export):
        suffix = f"-{export.fiscal_year}" if export.fiscal_year else ""
        filename = f"indicators-{export.strategy.code}{suffix}.csv"
        response = StreamingHttpResponse(
            _in_pieces(serializers.csv_pieces(export.items())), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    return _respond(request, render)
