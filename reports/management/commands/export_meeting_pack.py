"""Write the meeting pack (会議資料) of one meeting to a PDF file: the same PDF as its page's download."""

from django.core.management.base import BaseCommand, CommandError

from reports.management.output import write_export
from reports.pack.data import meeting_pack
from reports.pack.pdf import pack_pdf
from reviews.models import Meeting


class Command(BaseCommand):
    help = "Write a meeting's pack (会議資料, PDF): A4 portrait, or A3 landscape with --a3."

    def add_arguments(self, parser):
        parser.add_argument("meeting", type=int, help="the meeting's id (as in /meetings/<id>/)")
        parser.add_argument("-o", "--output", required=True, help="the .pdf file to write")
        parser.add_argument("--a3", action="store_true", help="A3 landscape instead of A4 portrait")

    def handle(self, *args, meeting, output, a3=False, **options):
        found = Meeting.objects.select_related("strategy").filter(pk=meeting).first()
        if found is None:
            raise CommandError(f"会議 {meeting} がありません。")
        data = pack_pdf(meeting_pack(found.strategy, found), "a3" if a3 else "a4")
        write_export(self, output, data)
