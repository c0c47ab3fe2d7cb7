"""The meeting pack as a PDF: the pack template rendered to HTML, laid out by WeasyPrint, on the server.

WeasyPrint (HTML and CSS paged media → PDF, with Pango for Japanese line breaking) draws the inline SVG
charts as vectors and embeds the subset of the Noto CJK fonts it uses, so the text stays selectable and
searchable. It never reaches the network: everything the pack shows is in the HTML, and its URL fetcher
refuses every URL but inline data: ones (the town's network, LGWAN, has no internet anyway).
"""

import logging

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from kpis.display import shows_triangle
from lib.negatives import drawing_with
from reports.dashboards.presenters import grade_css
from reports.pack.data import MeetingPack

logger = logging.getLogger("ami_strategy.pack")

# The paper sizes the pack is laid out for: the default A4 portrait, and A3 landscape for the table.
PAPERS = {"a4": "A4 portrait", "a3": "A3 landscape"}


class LocalOnlyFetcher(URLFetcher):
    """Refuses every URL but inline data: ones, and remembers what it refused."""

    def __init__(self):
        super().__init__(allowed_protocols={"data"}, allow_redirects=False, timeout=1)
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        if not url.lower().startswith("data:"):
            self.refused.append(url)
            logger.warning("meeting pack: refused to fetch %s", url[:200])
            raise ValueError(f"the meeting pack fetches nothing: {url[:200]}")
        return super().fetch(url, headers)


def pack_html(pack: MeetingPack, paper: str = "a4") -> str:
    """The pack as one self-contained HTML document (its CSS and charts inline)."""
    context = {
        "pack": pack,
        "paper": paper,
        "page_size": PAPERS[paper],
        # Only #rrggbb colours and hexadecimal class names (presenters.grade_css): nothing to escape.
        "grade_css": mark_safe(grade_css(pack.scale)),
        "generated_on": timezone.localdate(),
    }
    with drawing_with(lambda: shows_triangle(pack.strategy)):
        return render_to_string("pack/meeting_pack.html", context)


def pack_pdf(pack: MeetingPack, paper: str = "a4", fetcher: LocalOnlyFetcher | None = None) -> bytes:
    """The pack as PDF bytes: A4 portrait, or A3 landscape with paper="a3"."""
    if paper not in PAPERS:
        raise ValueError(f"unknown paper {paper!r}")
    document = HTML(string=pack_html(pack, paper), url_fetcher=fetcher or LocalOnlyFetcher())
    # pdf_tags: a tagged PDF (headings, tables, reading order) for screen readers and copying text.
    return document.write_pdf(pdf_tags=True)
