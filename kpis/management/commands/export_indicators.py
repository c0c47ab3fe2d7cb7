"""Export every indicator with its yearly figures (all statuses) as JSON or CSV, as the API shows them."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from goals.models import Strategy
from kpis.api import serializers
from lib.fiscal import parse_fiscal_year


class Command(BaseCommand):
    help = "指標と年度ごとの実績・達成率・評価を JSON または CSV で書き出します（すべての状態の値）。"

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["json", "csv"], default="json", help=_("json または csv"))
        parser.add_argument("--fiscal-year", help=_("この年度だけを書き出します（例: 2025）"))
        parser.add_argument("--output", help=_("書き出すファイル（省略時は標準出力）"))

    def handle(self, *args, **options):
        strategy = Strategy.objects.current()
        if strategy is None:
            raise CommandError(_("計画がありません。先に python manage.py load_plan を実行してください。"))
        fiscal_year = None
        if options["fiscal_year"]:
            try:
                fiscal_year = parse_fiscal_year(options["fiscal_year"])
            except ValueError as error:
                raise CommandError(f"--fiscal-year: {error}") from error
            if fiscal_year not in strategy.plan_years:
                raise CommandError(
                    _("--fiscal-year: 計画期間（%(first)s〜%(last)s年度）の外の年度です: %(year)s")
                    % {"first": strategy.first_year, "last": strategy.last_year, "year": fiscal_year}
                )

        items = list(serializers.plain_items(strategy, approved_only=False, fiscal_year=fiscal_year))
        if options["format"] == "csv":
            text = "".join(serializers.csv_pieces(items))
        else:
            head = serializers.document_head(strategy, approved_only=False, fiscal_year=fiscal_year)
            text = "".join(serializers.json_pieces(head, items))
        data = text.encode("utf-8")

        if options["output"]:
            try:
                Path(options["output"]).write_bytes(data)
            except OSError as error:
                raise CommandError(
                    _("書き出せません: %(path)s（%(error)s）")
                    % {"path": options["output"], "error": error.strerror}
                ) from error
            self.stderr.write(
                _("%(count)s指標を %(path)s に書き出しました。")
                % {"count": len(items), "path": options["output"]}
            )
        else:
            self.stdout.write(data.decode("utf-8"), ending="")
