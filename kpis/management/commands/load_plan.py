from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kpis.loading.plan_file import PlanFormatError, load_plan
from kpis.loading.plan_workbook import load_plan_workbook
from lib import reasons

DEFAULT_PLAN = settings.BASE_DIR / "fixtures" / "plan_dai3ki.json"


class Command(BaseCommand):
    help = (
        "Load (or bring up to date) the plan from its JSON fixture, or from a plan workbook (.xlsx, "
        "docs/plan-template.md: the workbook is the whole plan). Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(DEFAULT_PLAN))
        parser.add_argument(
            "--dry-run", action="store_true", help="(.xlsx) show what would change, write nothing"
        )

    def handle(self, *args, path, dry_run, **options):
        workbook = path.lower().endswith(".xlsx")
        try:
            if workbook:
                report = self.load_workbook(Path(path), dry_run)
            else:
                report = load_plan(path)
        except PlanFormatError as exc:
            raise CommandError(str(exc)) from None
        if not report.changed:
            self.stdout.write("計画は最新です（変更なし）。")
            return
        done = "変更の確認（書き込みなし）" if dry_run else "計画を読み込みました"
        self.stdout.write(
            f"{done}: 追加 {len(report.created)} 件, 更新 {len(report.updated)} 件, 削除 {len(report.removed)} 件"
        )
        if workbook:
            for change in report.changes:
                self.stdout.write(
                    f"  更新: {change.target}: {change.field}: {change.before} → {change.after}"
                )
        else:
            for line in report.updated:
                self.stdout.write(f"  更新: {line}")
        for line in report.removed:
            self.stdout.write(f"  削除: {line}")
        for line in report.notices:
            self.stdout.write(f"  注意: {line}")

    def load_workbook(self, path: Path, dry_run: bool):
        try:
            data = path.read_bytes()
        except OSError:
            raise CommandError(f"計画ファイルがありません: {path}") from None
        return load_plan_workbook(
            data,
            filename=path.name,
            dry_run=dry_run,
            reason=reasons.FILE_IMPORTED_BY_COMMAND % {"name": path.name},
        )
