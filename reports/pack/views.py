"""The meeting pack (会議資料) of a meeting, as a PDF: whoever may open the meeting's page may download it.

The pack is made once per version of the data (reports.pack.builds): a pack already made is served at once;
one being made answers 202 with a page that asks again (static/js/pack_status.js) and opens it when it is
ready.
"""

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from accounts.access import has_any_role, require
from accounts.strategy import current_strategy_or_404
from reports.models import PackBuild
from reports.pack import builds
from reports.pack.pdf import PAPERS
from reviews.models import Meeting

# How often the page of a pack being made asks whether it is ready, in seconds.
CHECK_SECONDS = 5


def pack_filename(meeting: Meeting, paper: str) -> str:
    return f"meeting-pack-{meeting.fiscal_year}-{meeting.pk}{'-a3' if paper == 'a3' else ''}.pdf"


@require_GET
@require(has_any_role)  # the rule of reviews.views.meeting_detail: everyone with a role reads meetings
def meeting_pack(request: HttpRequest, pk: int) -> HttpResponse:
    """?paper=a3 lays it out on A3 landscape; anything else gives A4 portrait. ?check=1 answers whether it is
    made, as JSON, without waiting; ?retry=1 makes a pack whose making failed again (a pack is a copy of the
    data, so asking for it again changes no data)."""
    strategy = current_strategy_or_404(request)
    meeting = get_object_or_404(Meeting, pk=pk, strategy=strategy)
    paper = request.GET.get("paper", "a4")
    paper = paper if paper in PAPERS else "a4"
    checking = request.GET.get("check") == "1"
    build = builds.pack_for(meeting, paper, wait=0 if checking else None)
    if checking:
        return JsonResponse({"status": build.status}, headers={"Cache-Control": "private, no-store"})
    if build.status == PackBuild.Status.FAILED and request.GET.get("retry") == "1":
        build = builds.retry(build)
    if build.status != PackBuild.Status.DONE:
        return _waiting(request, meeting, paper, build)
    response = HttpResponse(builds.pdf_of(build), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{pack_filename(meeting, paper)}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _waiting(request: HttpRequest, meeting: Meeting, paper: str, build: PackBuild) -> HttpResponse:
    """The page of a pack being made (202; static/js/pack_status.js asks again until it is ready) or whose
    making failed (503, with a link to try again)."""
    building = build.status == PackBuild.Status.BUILDING
    url = reverse("pack:meeting_pack", args=[meeting.pk])
    query = {"paper": "a3"} if paper == "a3" else {}
    context = {
        "meeting": meeting,
        "paper": paper,
        "build": build,
        "building": building,
        "check_seconds": CHECK_SECONDS,
        "pack_url": url + (f"?{urlencode(query)}" if query else ""),
        "check_url": f"{url}?{urlencode({**query, 'check': '1'})}",
        "retry_url": f"{url}?{urlencode({**query, 'retry': '1'})}",
    }
    response = render(request, "pack/build_status.html", context, status=202 if building else 503)
    response["Cache-Control"] = "private, no-store"
    return response
