"""Write the review workbook (効果検証シート) of one fiscal year to a file."""

from django.core.management.base import BaseCommand, CommandError

from goals.models import Strategy
from reports.excel.workbook import build_review_workbook
from reports.management.output import write_export


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
        write_export(self, output, data)
