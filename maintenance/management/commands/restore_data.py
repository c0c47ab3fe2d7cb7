"""Restore a backup made by `backup_data` into a freshly migrated database (all or nothing)."""

import gzip
import tempfile
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from goals.models import Strategy


class Command(BaseCommand):
    help = "Restore a backup_data file into an empty, migrated database."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--force", action="store_true", help="restore even if a plan is already loaded")

    def handle(self, *args, path, force, **options):
        source = Path(path)
        if not source.exists():
            raise CommandError(f"バックアップファイルがありません: {source}")
        if Strategy.objects.exists() and not force:
            raise CommandError(
                "このデータベースには既に計画があります。空のデータベース（migrate 直後）に復元してください"
                "（上書きする場合は --force）。"
            )
        with tempfile.TemporaryDirectory() as tmp:
            fixture = Path(tmp) / "backup.xml"
            opener = gzip.open if source.suffix == ".gz" else open
            with opener(source, "rt", encoding="utf-8") as stream:
                fixture.write_text(stream.read(), encoding="utf-8")
            with transaction.atomic():
                call_command("loaddata", str(fixture), verbosity=0)
        self.stdout.write(f"復元しました: {source}")
