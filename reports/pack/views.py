"""The meeting pack (会議資料) of a meeting, as a PDF: whoever may open the meeting's page may download it."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from accounts.access import has_any_role, require
from accounts.strategy import current_strategy_or_404
from reports.pack.data import meeting_pack as pack_of
from reports.pack.pdf import PAPERS, pack_pdf
from reviews.models import Meeting


def pack_filename(meeting: Meeting, paper: str) -> str:
    return f"meeting-pack-{meeting.fiscal_year}-{meeting.pk}{'-a3' if paper == 'a3' else ''}.pdf"


@require_GET
@require(has_any_role)  # the rule of reviews.views.meeting_detail: everyone with a role reads meetings
def meeting_pack(request: HttpRequest, pk: int) -> HttpResponse:
    """?paper=a3 lays it out on A3 landscape; anything else gives A4 portrait."""
    strategy = current_strategy_or_404(request)
    meeting = get_object_or_404(Meeting, pk=pk, strategy=strategy)
    paper = request.GET.get("paper", "a4")
    paper = paper if paper in PAPERS else "a4"
    response = HttpResponse(pack_pdf(pack_of(strategy, meeting), paper), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{pack_filename(meeting, paper)}"'
    response["Cache-Control"] = "private, no-store"
    return response
