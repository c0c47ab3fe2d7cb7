"""Mail the reminders due today (run once a day by cron or a systemd timer: docs/operations.md)."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from kpis.cycle import notify


class Command(BaseCommand):
    help = "締切日の前と後に、未提出の担当課の職員へ督促メールを送ります（同じ督促は二度送りません）。"

    def add_arguments(self, parser):
        parser.add_argument("--date", help=_("この日として送ります（例: 2026-07-24、省略時は今日）"))

    def handle(self, *args, **options):
        today = timezone.localdate()
        if options["date"]:
            try:
                today = datetime.date.fromisoformat(options["date"])
            except ValueError as error:
                raise CommandError(_("--date は 2026-07-24 の形で指定してください。")) from error
        outcome = notify.send_reminders(today)
        self.stdout.write(_("送信：%(count)s通") % {"count": len(outcome.sent)})
        if outcome.without_address:
            self.stdout.write(
                _("メールアドレスのない利用者（ホーム画面のやることで確認してください）：%(names)s")
                % {"names": "、".join(sorted(outcome.without_address))}
            )
        if outcome.failed:
            raise CommandError(
                _("送信できなかった宛先があります（明日の実行で再送します）：%(addresses)s")
                % {"addresses": "、".join(outcome.failed)}
            )
