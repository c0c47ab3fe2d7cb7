"""Import yearly actual values from a CSV (or .xlsx) file: all rows are checked first, then all or nothing."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accounts import access
from goals.models import Strategy
from kpis.importing.apply import ImportConflict, ImportRefused, apply_import
from kpis.importing.prepare import describe, prepare_import
from kpis.importing.readers import read_rows
from kpis.importing.rows import HEADER_ALIASES, MAX_REPORTED_ERRORS, ImportFileError
from lib import reasons
from lib.fiscal import fiscal_year_label


class Command(BaseCommand):
    help = (
        "実績値をCSV（UTF-8 / Shift_JIS）またはExcelファイルから取り込みます。"
        "見出し: 指標コード,年度,実績値,備考（code,fiscal_year,value,note も可）。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("取り込むファイル（.csv または .xlsx）"))
        parser.add_argument(
            "--dry-run", action="store_true", help=_("変更内容を表示するだけで書き込みません")
        )
        parser.add_argument(
            "--user",
            help=_(
                "取り込む利用者名：その人が実績入力画面で変更できる値だけを取り込みます（省略時は政策企画課の権限で、確定していない年度に）"
            ),
        )
        parser.add_argument(
            "--approve", action="store_true", help=_("承認済みとして取り込みます（政策企画課のみ）")
        )
        parser.add_argument("--reason", help=_("履歴に記録する変更理由"))

    def handle(self, *args, **options):
        path = Path(options["file"])
        user = self.user(options["user"])
        if user is not None and not access.can_use_templates(user):
            raise CommandError(_("利用者 %(name)s には実績値を取り込む権限がありません。") % {"name": user})
        department_ids = None if user is None else access.import_department_ids(user)
        if options["approve"] and department_ids is not None:
            raise CommandError(_("--approve（承認済みとして取り込む）は政策企画課だけが使えます。"))

        strategy = Strategy.objects.current()
        if strategy is None:
            raise CommandError(_("計画がありません。先に python manage.py load_plan を実行してください。"))
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(
                _("ファイルを読めません: %(path)s（%(error)s）") % {"path": path, "error": error.strerror}
            ) from error
        try:
            rows = read_rows(path.name, data)
        except ImportFileError as error:
            raise CommandError(f"{path.name}: {error}") from error

        batch = prepare_import(rows, strategy=strategy, user=user, department_ids=department_ids)
        if not batch.ok:
            self.report_errors(batch.errors)
            lines = len({e.line for e in batch.errors})
            raise CommandError(_("%(count)s行に誤りがあります。何も書き込んでいません。") % {"count": lines})

        for change in batch.changes:
            self.stdout.write(self.describe_change(change))
        if options["dry_run"]:
            self.stdout.write(
                _("（試行）%(changes)s件を変更します（変更なし %(unchanged)s件）。何も書き込んでいません。")
                % {"changes": len(batch.changes), "unchanged": batch.unchanged}
            )
            return

        reason = options["reason"] or reasons.FILE_IMPORTED_BY_COMMAND % {"name": path.name}
        try:
            written = apply_import(batch, user=user, reason=reason, approve=options["approve"])
        except ImportRefused as refused:
            self.report_errors(refused.errors)
            raise CommandError(str(refused)) from refused
        except ImportConflict as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                _("%(written)s件を書き込みました（変更なし %(unchanged)s件）。")
                % {"written": written, "unchanged": batch.unchanged}
            )
        )

    def user(self, username: str | None):
        if not username:
            return None
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(_("利用者 %(name)s は登録されていません。") % {"name": username}) from None

    def report_errors(self, errors):
        """One message per bad row, naming each bad column; the first MAX_REPORTED_ERRORS rows, then a count."""
        by_line: dict[int, list] = {}
        for error in errors:
            by_line.setdefault(error.line, []).append(error)
        lines = sorted(by_line.items())
        for line, line_errors in lines[:MAX_REPORTED_ERRORS]:
            details = "／".join(f"{e.column}: {e.message}" for e in line_errors)
            self.stderr.write(_("%(line)s行目 %(details)s") % {"line": line, "details": details})
        if len(lines) > MAX_REPORTED_ERRORS:
            self.stderr.write(
                _("ほかに%(count)s行に誤りがあります。") % {"count": len(lines) - MAX_REPORTED_ERRORS}
            )

    def describe_change(self, change) -> str:
        labels = {name: aliases[1] for name, aliases in HEADER_ALIASES.items()}
        parts = [
            f"{labels[name]} {describe(name, before)} → {describe(name, after)}"
            for name, (before, after) in change.fields.items()
        ]
        new = _("（新規）") if change.record is None else ""
        return f"{change.indicator.code} {fiscal_year_label(change.fiscal_year)}{new}: " + "; ".join(parts)
