"""Open data: every indicator with its yearly figures, as JSON or CSV (/api/v1/indicators.json|.csv).

Anyone may read it; anonymous visitors (and accounts without a role) get approved figures only, as
the town publishes them. Signed-in users with a role see every figure with its status.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts import access
from accounts.strategy import current_strategy
from kpis.api import serializers
from lib.csvsafe import csv_response
from lib.fiscal import parse_fiscal_year


class BadRequest(Exception):
    pass


def _document(request: HttpRequest) -> dict:
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
    approved_only = not access.can_read_internal(request.user)
    return serializers.indicators_document(strategy, approved_only=approved_only, fiscal_year=fiscal_year)


def _respond(request: HttpRequest, render) -> HttpResponse:
    try:
        document = _document(request)
    except BadRequest as error:
        response = JsonResponse({"error": str(error)}, status=400, json_dumps_params={"ensure_ascii": False})
    except LookupError as error:
        response = JsonResponse({"error": str(error)}, status=404, json_dumps_params={"ensure_ascii": False})
    else:
        response = render(document)
        if not document["approved_only"]:
            # Drafts must not be kept by shared caches.
            patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, ["Cookie"])
    return response


@require_GET
def indicators_json(request: HttpRequest) -> HttpResponse:
    return _respond(
        request,
        lambda document: HttpResponse(
            serializers.json_text(document), content_type="application/json; charset=utf-8"
        ),
    )


@require_GET
def indicators_csv(request: HttpRequest) -> HttpResponse:
    def render(document):
        suffix = f"-{document['fiscal_year']}" if document["fiscal_year"] else ""
        filename = f"indicators-{document['strategy']['code']}{suffix}.csv"
        return csv_response(filename, serializers.csv_header(), serializers.csv_rows(document))

    return _respond(request, render)
