"""Everything the app keeps — plan, figures, history, opinions, users — in one XML file.

For PostgreSQL in production, pg_dump is the primary backup (see README); this command is the portable,
database-independent copy that `restore_data` reads back, on SQLite or PostgreSQL alike.

The file is written under a temporary name in the same folder, read back in full, and only then renamed to
the name asked for (an atomic rename): an interruption, a full disk or any error leaves an earlier backup of
that name as it was, and never a truncated file in its place.
"""

import errno
import gzip
import os
import tempfile
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from maintenance import backup_format

# Rebuilt by migrate, computed again by restore_data (stored results) or on demand (meeting packs), or
# worthless to restore.
EXCLUDE = [
    "contenttypes",
    "auth.permission",
    "sessions",
    "admin.logentry",
    "kpis.stagedupload",
    "kpis.dataversion",
    "kpis.storedresult",
    "reports.packbuild",
]
# Records with control characters named in the warning; the rest are counted.
SHOWN_RECORDS = 50


def open_output(path: Path, compressed: bool):
    """The text stream the backup is written to (a seam for the fault tests)."""
    return gzip.open(path, "wt", encoding="utf-8") if compressed else open(path, "w", encoding="utf-8")


def _sync(path: Path) -> None:
    """Make the written bytes (or a rename in a folder) durable before the next step relies on them."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _disk_full(error: BaseException | None) -> bool:
    """Whether a full disk is behind the error (dumpdata wraps what it raises in a CommandError)."""
    while error is not None:
        if isinstance(error, OSError) and error.errno == errno.ENOSPC:
            return True
        error = error.__cause__ or error.__context__
    return False


def _failure(error: Exception) -> CommandError:
    kept = "（以前のバックアップはそのまま残っています）"
    if _disk_full(error):
        return CommandError(
            "ディスクの空き容量が足りないため、バックアップを作成できませんでした。"
            f"空き容量を確保してから、もう一度実行してください{kept}。"
        )
    return CommandError(f"バックアップを作成できませんでした{kept}: {error}")


class Command(BaseCommand):
    help = "Back up every table of the app to an XML file (gzip-compressed when the name ends in .gz)."

    def add_arguments(self, parser):
        parser.add_argument("--output", required=True, help="e.g. backup-2026-06-30.xml.gz")

    def handle(self, *args, output, **options):
        path = Path(output).absolute()
        if not path.parent.is_dir():
            raise CommandError(f"保存先のフォルダがありません: {path.parent}")
        backup_format.cleaned.clear()
        descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
        os.close(descriptor)
        partial = Path(name)
        try:
            count = self._write(partial, backup_format.is_compressed(path))
            os.replace(partial, path)
            if hasattr(os, "O_DIRECTORY"):
                _sync(path.parent)
        finally:
            partial.unlink(missing_ok=True)
        self._report_cleaned()
        self.stdout.write(f"バックアップを作成しました: {path}（{count} 件）")

    def _write(self, partial: Path, compressed: bool) -> int:
        """Dump into `partial`, read it back; the number of records. CommandError on any failure."""
        backup_format.register()
        try:
            with open_output(partial, compressed) as stream:
                call_command(
                    "dumpdata",
                    format=backup_format.FORMAT,  # Django's XML (JSON would cut timestamps to milliseconds)
                    natural_foreign=True,
                    exclude=EXCLUDE,
                    stdout=stream,
                    verbosity=0,
                )
            _sync(partial)
            with (gzip.open if compressed else open)(partial, "rb") as written:
                return backup_format.check(written)
        except Exception as error:
            raise _failure(error) from error

    def _report_cleaned(self) -> None:
        if not backup_format.cleaned:
            return
        shown = backup_format.cleaned[:SHOWN_RECORDS]
        records = "、".join(str(record) for record in shown)
        if len(backup_format.cleaned) > len(shown):
            records += f" ほか {len(backup_format.cleaned) - len(shown)} 件"
        self.stderr.write(
            "注意: 次の記録の文字列に、XMLに保存できない制御文字が含まれていました。"
            "バックアップには制御文字を除いた文字列を書き出しました（データベースの値は変更していません）。"
            f"管理画面で内容を確認してください: {records}"
        )
