from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kpis.loading.plan_file import PlanFormatError, load_plan

DEFAULT_PLAN = settings.BASE_DIR / "fixtures" / "plan_dai3ki.json"


class Command(BaseCommand):
    help = "Load (or bring up to date) the plan from its JSON fixture. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(DEFAULT_PLAN))

    def handle(self, *args, path, **options):
        try:
            report = load_plan(path)
        except PlanFormatError as exc:
            raise CommandError(str(exc)) from None
        if not report.changed:
            self.stdout.write("計画は最新です（変更なし）。")
            return
        self.stdout.write(
            f"計画を読み込みました: 追加 {len(report.created)} 件, 更新 {len(report.updated)} 件"
        )
        for line in report.updated:
            self.stdout.write(f"  更新: {line}")
