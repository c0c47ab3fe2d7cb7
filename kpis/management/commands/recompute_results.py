"""Recompute every stored result (kpis.StoredResult) from the figures and the plan: after an upgrade that
changes the rules, or to repair. With --check, change nothing and report every stored result that differs
from a fresh computation (exit status 1 when any does)."""

from django.core.management.base import BaseCommand, CommandError

from kpis.rules import stored

SHOWN = 50


class Command(BaseCommand):
    help = "Recompute every indicator's stored results; --check only compares them with a fresh computation."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="change nothing; report results that differ from a fresh computation",
        )

    def handle(self, *args, check, **options):
        if not check:
            count = stored.refresh_all()
            self.stdout.write(f"評価を計算し直して保存しました（{count} 件）。")
            return
        found = stored.differences()
        if not found:
            self.stdout.write("保存されている評価は、すべて計算し直した結果と一致しています。")
            return
        for each in found[:SHOWN]:
            self.stdout.write(
                f"{each.indicator} {each.fiscal_year}年度 {each.audience}: 保存 {each.stored} / 計算 {each.fresh}"
            )
        if len(found) > SHOWN:
            self.stdout.write(f"ほか {len(found) - SHOWN} 件")
        raise CommandError(
            f"保存されている評価のうち {len(found)} 件が、計算し直した結果と異なります。"
            "python manage.py recompute_results で計算し直してください。"
        )
