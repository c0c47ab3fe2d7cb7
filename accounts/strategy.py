"""Which plan a request works on: the current one at today's URLs, another at /plans/<code>/….

Every loaded plan (総合戦略) is browsable side by side. The current plan — the active one with the latest
first year (Strategy.objects.current()) — keeps the URLs it has always had: /goals/G1/, /api/v1/…. Any other
plan is reached under its code, /plans/dai4ki/goals/G1/, by the middleware `PlanPrefix`: it takes the
prefix off the path before the URL is resolved and puts it into the script prefix, so every URL reversed
while the page is drawn ({% url %}, redirect(), reverse()) carries the same plan without any view or template
knowing about it. The views ask `current_strategy(request)` as before.

All plans are read in one query per request, with their cycle settings: the same query gives the current
plan, the plan selector in the header and the plan named by a prefix.
"""

import logging
import re

from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.shortcuts import render
from django.urls import get_script_prefix, set_script_prefix
from django.utils.translation import gettext as _

from goals.models import Strategy

PREFIX = re.compile(r"^/plans/(?P<code>[-\w]+)(?P<rest>/.*)$")

# The URL namespaces whose POSTs change a plan's data (figures, reviews, uploads, its settings); an ended
# plan refuses them all. People's roles belong to no plan and the plans' own settings must be able to reopen
# one: those stay open.
PLAN_WRITES = {"cycle", "reviews", "excel", "office", "pack"}
NOT_PLAN_DATA = {
    ("office", name)
    for name in ("roles", "role_edit", "plans", "plan_state", "plan_upload", "plan_preview", "plan_confirm")
}

logger = logging.getLogger("ami_strategy.access")


def all_plans(request: HttpRequest) -> list[Strategy]:
    """Every loaded plan, newest first, looked up once per request."""
    if not hasattr(request, "_plans"):
        request._plans = list(Strategy.objects.select_related("cycle_settings").order_by("-first_year", "pk"))
    return request._plans


def default_plan(plans: list[Strategy]) -> Strategy | None:
    """The plan at today's URLs: the rule of Strategy.objects.current(), applied to plans already read."""
    return next((plan for plan in plans if plan.is_active), None)


def current_strategy(request: HttpRequest) -> Strategy | None:
    """The plan this request shows: the one its /plans/<code>/ prefix names, else the current one."""
    if not hasattr(request, "_current_strategy"):
        request._current_strategy = default_plan(all_plans(request))
    return request._current_strategy


def current_strategy_or_404(request: HttpRequest) -> Strategy:
    strategy = current_strategy(request)
    if strategy is None:
        raise Http404(_("計画が読み込まれていません。"))
    return strategy


def is_default(request: HttpRequest) -> bool:
    """Whether the request shows the plan at today's URLs (no /plans/<code>/ prefix)."""
    return not getattr(request, "_plan_prefixed", False)


def plan_url(request: HttpRequest, plan: Strategy) -> str:
    """The home page of `plan`: / for the current plan, /plans/<code>/ for any other."""
    root = getattr(request, "_root_prefix", get_script_prefix())
    if plan == default_plan(all_plans(request)):
        return root
    return f"{root}plans/{plan.code}/"


class PlanPrefix:
    """Middleware: /plans/<code>/… shows plan <code>; the rest of the path is resolved as usual."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        match = PREFIX.match(request.path_info)
        if match is None:
            return self.get_response(request)
        plan = next((p for p in all_plans(request) if p.code == match["code"]), None)
        if plan is None:
            raise Http404(_("計画「%(code)s」は読み込まれていません。") % {"code": match["code"]})
        root = get_script_prefix()
        if plan == default_plan(all_plans(request)):
            # One address per page: the current plan lives at today's URLs.
            query = request.META.get("QUERY_STRING", "")
            return HttpResponseRedirect(root + match["rest"].lstrip("/") + (f"?{query}" if query else ""))
        request._current_strategy = plan
        request._plan_prefixed = True
        request._root_prefix = root
        request.path_info = match["rest"]
        set_script_prefix(f"{root}plans/{plan.code}/")
        try:
            response = self.get_response(request)
        finally:
            set_script_prefix(root)
        if getattr(response, "streaming", False):
            response.streaming_content = _with_prefix(response.streaming_content, f"{root}plans/{plan.code}/")
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        """An ended plan (終了) is read-only: every change to its data is refused with a 403."""
        match = request.resolver_match
        if (
            request.method in ("GET", "HEAD", "OPTIONS")
            or match is None
            or match.namespace not in PLAN_WRITES
        ):
            return None
        if (match.namespace, match.url_name) in NOT_PLAN_DATA:
            return None
        plan = current_strategy(request)
        if plan is not None and plan.is_closed:
            logger.warning(
                "access refused: user=%s path=%s reason=plan closed",
                getattr(request.user, "username", "") or "anonymous",
                request.path,
            )
            return render(request, "403.html", {"closed_plan": plan}, status=403)
        return None


def _with_prefix(chunks, prefix: str):
    """A streamed body is written after the view returned: its URLs carry the plan's prefix too."""
    root = get_script_prefix()
    set_script_prefix(prefix)
    try:
        yield from chunks
    finally:
        set_script_prefix(root)
