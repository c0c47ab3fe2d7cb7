"""Restore a backup made by `backup_data` into a freshly migrated database (all or nothing).

The file is read in full and checked before anything is written: a truncated, corrupt or foreign file is
refused with a message and the database is left as it was. The load itself runs in one transaction, so a
file that passes the check but cannot be loaded changes nothing either.
"""

import gzip
import shutil
import tempfile
import xml.sax
import zlib
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from goals.models import Strategy
from kpis.rules import stored as stored_results
from maintenance import backup_format

# What a damaged gzip or text file raises while it is read.
UNREADABLE = (EOFError, OSError, zlib.error, UnicodeDecodeError, gzip.BadGzipFile)


@contextmanager
def _no_new_history():
    """The backup holds the history rows themselves: loading it must add none (simple-history records a
    many-to-many change, such as a department's members, even while loaddata restores it)."""
    missing = object()
    previous = getattr(settings, "SIMPLE_HISTORY_ENABLED", missing)
    settings.SIMPLE_HISTORY_ENABLED = False
    try:
        yield
    finally:
        if previous is missing:
            del settings.SIMPLE_HISTORY_ENABLED
        else:
            settings.SIMPLE_HISTORY_ENABLED = previous


class Command(BaseCommand):
    help = "Restore a backup_data file into an empty, migrated database."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--force", action="store_true", help="restore even if a plan is already loaded")

    def handle(self, *args, path, force, **options):
        source = Path(path)
        if not source.is_file():
            raise CommandError(f"バックアップファイルがありません: {source}")
        if Strategy.objects.exists() and not force:
            raise CommandError(
                "このデータベースには既に計画があります。空のデータベース（migrate 直後）に復元してください"
                "（上書きする場合は --force）。"
            )
        with tempfile.TemporaryDirectory() as tmp:
            fixture = Path(tmp) / "backup.xml"
            count = self._unpack(source, fixture)
            try:
                with transaction.atomic(), _no_new_history():
                    call_command("loaddata", str(fixture), verbosity=0)
                    # Results are not backed up: they are computed from what was just restored.
                    stored_results.refresh_all()
            except Exception as error:
                raise CommandError(
                    f"バックアップを復元できませんでした。データベースは変更していません: {source}\n{error}"
                ) from error
        self.stdout.write(f"復元しました: {source}（{count} 件）")

    def _unpack(self, source: Path, fixture: Path) -> int:
        """Copy the backup's XML to `fixture` and check all of it; the number of records, or CommandError."""
        compressed = backup_format.is_compressed(source)
        try:
            with (gzip.open if compressed else open)(source, "rb") as stream, open(fixture, "wb") as out:
                shutil.copyfileobj(stream, out)
            with open(fixture, "rb") as written:
                count = backup_format.check(written)
        except UNREADABLE as error:
            raise CommandError(
                f"バックアップファイルを読み取れません（壊れているか、途中で切れています）: {source}"
            ) from error
        except xml.sax.SAXParseException as error:
            raise CommandError(
                f"バックアップファイルが壊れているか、途中で切れています（{error.getLineNumber()}行目）。"
                f"データベースは変更していません: {source}"
            ) from error
        except (backup_format.NotABackup, ValueError) as error:
            raise CommandError(
                f"backup_data で作成したバックアップファイルではありません。データベースは変更していません: {source}"
            ) from error
        if count == 0:
            raise CommandError(f"バックアップファイルに記録が1件もありません: {source}")
        return count
