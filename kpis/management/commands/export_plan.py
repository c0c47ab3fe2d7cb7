from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from goals.models import Strategy
from kpis.loading.plan_workbook import export_plan_workbook, template_workbook


class Command(BaseCommand):
    help = (
        "Write a plan to the plan workbook (.xlsx, docs/plan-template.md) that load_plan reads back; "
        "--template writes the empty template."
    )

    def add_arguments(self, parser):
        parser.add_argument("--strategy", help="the plan's code (default: the current plan)")
        parser.add_argument("--template", action="store_true", help="the empty template, no plan")
        parser.add_argument("-o", "--output", required=True, help="the .xlsx file to write")

    def handle(self, *args, strategy, template, output, **options):
        if template:
            data = template_workbook()
        else:
            data = export_plan_workbook(self.strategy(strategy))
        Path(output).write_bytes(data)
        self.stdout.write(f"書き出しました: {output}")

    def strategy(self, code: str | None) -> Strategy:
        if code:
            found = Strategy.objects.filter(code=code).first()
            if found is None:
                raise CommandError(f"計画 {code} がありません")
            return found
        current = Strategy.objects.current()
        if current is None:
            raise CommandError("計画がありません（load_plan で読み込んでください）")
        return current
