"""Write the review workbook (効果検証シート) of one fiscal year to a file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from goals.models import Strategy
from reports.excel.workbook import build_review_workbook


class Command(BaseCommand):
    help = "Write the review workbook (.xlsx) of one fiscal year of the current strategy."

    def add_arguments(self, parser):
        parser.add_argument("--fiscal-year", type=int, required=True, help="e.g. 2025")
        parser.add_argument("--output", required=True, help="the .xlsx file to write")
        parser.add_argument("--strategy", help="the strategy's code (default: the current one)")

    def handle(self, *args, fiscal_year, output, strategy=None, **options):
        if strategy:
            plan = Strategy.objects.filter(code=strategy).first()
            if plan is None:
                raise CommandError(f"総合戦略 {strategy} がありません。")
        else:
            plan = Strategy.objects.current()
            if plan is None:
                raise CommandError("計画がありません。先に python manage.py load_plan を実行してください。")
        if fiscal_year not in plan.plan_years:
            raise CommandError(
                f"{fiscal_year}年度は計画期間（{plan.first_year}〜{plan.last_year}年度）の外です。"
            )
        data = build_review_workbook(plan, fiscal_year)
        path = Path(output)
        try:
            path.write_bytes(data)
        except OSError as error:
            raise CommandError(f"{path} に書き込めません: {error}") from error
        self.stdout.write(f"{path} を書き出しました（{len(data):,} バイト）。")
