"""Everything the app keeps — plan, figures, history, opinions, users — in one XML file.

For PostgreSQL in production, pg_dump is the primary backup (see README); this command is the portable,
database-independent copy that `restore_data` reads back, on SQLite or PostgreSQL alike.
"""

import gzip
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand

# Rebuilt by migrate, or worthless to restore.
EXCLUDE = ["contenttypes", "auth.permission", "sessions", "admin.logentry"]


class Command(BaseCommand):
    help = "Back up every table of the app to an XML file (gzip-compressed when the name ends in .gz)."

    def add_arguments(self, parser):
        parser.add_argument("--output", required=True, help="e.g. backup-2026-06-30.xml.gz")

    def handle(self, *args, output, **options):
        path = Path(output)
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "wt", encoding="utf-8") as stream:
            call_command(
                "dumpdata",
                format="xml",  # JSON would cut timestamps to milliseconds
                natural_foreign=True,
                exclude=EXCLUDE,
                stdout=stream,
                verbosity=0,
            )
        self.stdout.write(f"バックアップを作成しました: {path}")
