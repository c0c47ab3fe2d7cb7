"""Invented demo meetings of the council (創生有識者会議), with opinions and responses, so a newcomer signed
in as demo-council or demo-planning sees the council's side working: one meeting held, one to come.

Runs after load_demo (it uses its accounts) and, like it, refuses to run when DEBUG is off. Idempotent: the
meetings are found again by name, and their opinions are added only once.
"""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from goals.models import Goal, Strategy
from kpis.models import Indicator
from reviews import services
from reviews.models import Meeting, Opinion

HELD = {
    "name": "令和7年度 第1回 創生有識者会議（デモ）",
    "date": datetime.date(2025, 11, 20),
    "agenda": "第３期総合戦略の進め方について\n令和7年度の取組状況について",
    "attendees": "有識者 一郎（デモ）\n阿見 次郎（デモ・町内企業）\n霞ヶ浦 三子（デモ・金融機関）",
    "minutes": "第３期総合戦略の推進体制と、KPIの評価方法（期待値に対する達成率）を確認した。",
}
COMING = {
    "name": "令和8年度 第1回 創生有識者会議（デモ）",
    "agenda": "令和7年度の効果検証（KPIの評価）について\n意見・提言への対応状況について",
    "attendees": HELD["attendees"],
}
# (meeting, goal code, indicator code, text, response, follow-up)
OPINIONS = [
    (
        HELD,
        "G1",
        None,
        "企業誘致の成果を、町内の雇用や取引の増加でも確かめてほしい。（デモ）",
        "次回の会議から、町内雇用者数を参考として報告します。（デモ）",
        Opinion.FollowUp.IN_PROGRESS,
    ),
    (
        HELD,
        None,
        "G3-KGI1",
        "子育て世代の人口は転入・転出の影響が大きいので、その内訳も併せて示してほしい。（デモ）",
        "令和7年度の資料から転入・転出の内訳を併記しました。（デモ）",
        Opinion.FollowUp.DONE,
    ),
]


class Command(BaseCommand):
    help = "Load invented demo meetings, opinions and responses (development only; after load_demo)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("デモデータは開発環境（DEBUG=1）でのみ読み込めます。")
        strategy = Strategy.objects.current()
        if strategy is None or not strategy.has_demo_data:
            raise CommandError("先に python manage.py load_demo を実行してください。")
        users = get_user_model().objects.in_bulk(["demo-planning", "demo-council"], field_name="username")
        planning, council = users["demo-planning"], users["demo-council"]
        with transaction.atomic():
            held = self.meeting(strategy, planning, HELD)
            # Four weeks from today: the meetings list shows it first, as 次回.
            coming = self.meeting(
                strategy, planning, {**COMING, "date": timezone.localdate() + datetime.timedelta(days=28)}
            )
            meetings = {id(HELD): held, id(COMING): coming}
            for source, goal, indicator, text, response, follow_up in OPINIONS:
                meeting = meetings[id(source)]
                if meeting.opinions.filter(text=text).exists():
                    continue
                subject = (
                    {"goal": Goal.objects.get(strategy=strategy, code=goal)}
                    if goal
                    else {"indicator": Indicator.objects.get(strategy=strategy, code=indicator)}
                )
                opinion = services.opinion_create(
                    user=council,
                    meeting=meeting,
                    opinion=Opinion(speaker=council.last_name, text=text, **subject),
                )
                services.opinion_respond(
                    user=planning,
                    pk=opinion.pk,
                    response=response,
                    follow_up=follow_up,
                    follow_up_reason="",
                    seen=services.opinion_marker(opinion),
                )
        self.stdout.write("デモの会議と意見・提言を読み込みました（内容はすべて架空です）。")

    @staticmethod
    def meeting(strategy, planning, fields) -> Meeting:
        found = Meeting.objects.filter(strategy=strategy, name=fields["name"]).first()
        if found is not None:
            return found
        meeting = Meeting(fiscal_year=2025, **fields)
        meeting.full_clean(exclude=["strategy"])
        return services.meeting_create(user=planning, strategy=strategy, meeting=meeting)
