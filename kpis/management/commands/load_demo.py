"""Invented demo figures and one account per role, so a newcomer sees a living app.

Refuses to run when DEBUG is off: demo figures must never reach a production database.
"""

import datetime
import os
import random
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.access import Role
from goals.history import save_with_history
from goals.models import Department, Strategy
from kpis import versioning
from kpis.models import ActualValue, FiscalYear, Indicator, Kind, Submission
from kpis.rules import stored as stored_results
from kpis.rules.achievement import expected_value
from kpis.rules.evaluation import spec_for

DEMO_PASSWORD_DEFAULT = "ami-demo-2025"

# Invented for the demo: which 担当課 answers for which indicators is the town's own decision.
DEPARTMENTS = [
    (
        "seisaku",
        "政策企画課",
        ["G1-KGI1", "G2-KGI1", "G3-KGI1", "G3-KGI2", "G4-KGI1", "G4-M1-K3", "G4-M4-K3"],
    ),
    (
        "shoko",
        "商工観光課",
        ["G1-M1-K2", "G1-M1-K3", "G1-M2-K3", "G1-M3-K1", "G2-KGI2", "G2-M1", "G2-M2-K1", "G2-M2-K2"],
    ),
    ("nogyo", "農業振興課", ["G1-M2-K1", "G1-M2-K2"]),
    ("kyodo", "協働推進課", ["G1-M1-K1", "G4-M1-K1", "G4-M1-K2", "G2-M2-K3", "G2-M2-K4"]),
    ("toshi", "都市計画課", ["G2-M3-K1", "G3-M1-K4", "G4-M3-K4", "G4-M3-K5", "G4-M3-K6"]),
    ("kodomo", "こども家庭課", ["G3-M1-K1", "G3-M1-K2", "G3-M1-K5", "G3-M2-K1"]),
    ("gakko", "学校教育課", ["G3-M1-K3", "G3-M3-K1", "G3-M3-K2", "G3-M3-K3"]),
    ("shogai", "生涯学習課", ["G3-M3-K4"]),
    ("kenko", "健康づくり課", ["G4-M2"]),
    ("kankyo", "廃棄物対策課", ["G4-M3-K2", "G4-M3-K3"]),
    ("bosai", "防災危機管理課", ["G4-M3-K1"]),
    ("somu", "総務課", ["G4-M4-K1", "G4-M4-K2"]),
]
# The demo staff account belongs here; its FY2025 figures are left for a visitor to enter.
STAFF_DEPARTMENT = "kodomo"

USERS = [
    ("demo-planning", "企画 太郎（デモ）", Role.PLANNING),
    ("demo-staff", "子育て 花子（デモ）", Role.STAFF),
    ("demo-council", "有識者 一郎（デモ）", Role.COUNCIL),
]


class Command(BaseCommand):
    help = "Load invented demo figures and demo accounts (development only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "デモデータは開発環境（DEBUG=1）でのみ読み込めます。本番データベースには架空の数値を入れられません。"
            )
        strategy = Strategy.objects.current()
        if strategy is None:
            raise CommandError("計画がありません。先に python manage.py load_plan を実行してください。")
        password = os.getenv("DEMO_PASSWORD", DEMO_PASSWORD_DEFAULT)
        with transaction.atomic(), stored_results.refreshed_once():
            departments = self.assign_departments(strategy)
            self.create_users(password, departments[STAFF_DEPARTMENT])
            if not strategy.has_demo_data:
                self.create_figures(strategy, departments)
                strategy.has_demo_data = True
                strategy.save(update_fields=["has_demo_data"])
        self.stdout.write("デモデータを読み込みました（数値はすべて架空です）。")
        self.stdout.write(f"デモアカウント（パスワード: {password}）:")
        for username, name, _role in USERS:
            self.stdout.write(f"  {username}  {name}")

    def assign_departments(self, strategy):
        departments = {}
        for order, (code, name, prefixes) in enumerate(DEPARTMENTS, start=1):
            department, _ = Department.objects.get_or_create(
                code=code, defaults={"name": name, "order": order}
            )
            departments[code] = department
            for prefix in prefixes:
                Indicator.objects.filter(strategy=strategy, code__startswith=prefix, department=None).update(
                    department=department
                )
        versioning.changed()  # .update() sends no model signals
        return departments

    def create_users(self, password, staff_department):
        User = get_user_model()
        for username, name, role in USERS:
            user, _ = User.objects.get_or_create(username=username)
            user.last_name = name
            user.set_password(password)
            user.is_staff = role == Role.PLANNING  # the planning office may use the admin
            user.save()
            user.groups.set([Group.objects.get_or_create(name=role)[0]])
            if role == Role.STAFF:
                staff_department.members.add(user)

    def create_figures(self, strategy, departments):
        rng = random.Random(2025)  # the same invented figures on every machine
        planning = get_user_model().objects.get(username="demo-planning")
        now = timezone.now()
        for indicator in Indicator.objects.filter(strategy=strategy):
            if indicator.kind == Kind.KPI:
                base = Decimal(rng.choice([12, 25, 40, 60, 85, 120, 300, 1200, 4500]))
                if indicator.unit == "％":
                    base = Decimal(rng.randint(30, 80))
                growth = Decimal(rng.choice([105, 110, 115, 120, 130])) / 100
                if indicator.direction == "lower":
                    base, growth = Decimal(rng.randint(850, 950)), Decimal("0.95")
                indicator.baseline_year, indicator.baseline_value = strategy.baseline_year, base
                indicator.target_year = strategy.last_year
                target = (base * growth).quantize(Decimal("1"))
                indicator.target_value = min(target, Decimal(100)) if indicator.unit == "％" else target
                indicator.save()
            if indicator.department_id == departments[STAFF_DEPARTMENT].pk:
                continue
            expected_2025 = self.expected(indicator, strategy, 2025)
            if expected_2025 is None:
                continue
            # KGIs (GDP, population…) move little in a year; KPIs spread over every grade.
            choices = (
                [93, 96.5, 98.5, 99.5, 100.5, 102]
                if indicator.kind == Kind.KGI
                else [45, 70, 85, 92, 98, 101, 104, 110]
            )
            factor = Decimal(str(rng.choice(choices))) / 100
            if indicator.direction == "lower":
                value = (expected_2025 / factor).quantize(Decimal("1"))
            else:
                value = (expected_2025 * factor).quantize(
                    Decimal("0.01") if indicator.decimal_places else Decimal("1")
                )
            approved = indicator.department.code in ("seisaku", "shoko", "nogyo", "gakko")
            ActualValue.objects.create(
                indicator=indicator,
                fiscal_year=2025,
                value=value,
                note="デモ用の架空の値です。",
                status=ActualValue.Status.APPROVED if approved else ActualValue.Status.SUBMITTED,
                entered_by=planning,
                entered_at=now,
            )
        for code, department in departments.items():
            if code == STAFF_DEPARTMENT:
                state = Submission.State.NOT_STARTED
            elif code in ("seisaku", "shoko", "nogyo", "gakko"):
                state = Submission.State.APPROVED
            else:
                state = Submission.State.SUBMITTED
            Submission.objects.update_or_create(
                department=department, strategy=strategy, fiscal_year=2025, defaults={"state": state}
            )
        # Saved, not .update(): the year's history then says when and by whom it was opened.
        year = FiscalYear.objects.get(strategy=strategy, year=2025)
        if year.state != FiscalYear.State.OPEN:
            year.state = FiscalYear.State.OPEN
            # Two weeks from today, within what a FY2025 deadline may be: the countdown shows in the demo.
            soon = timezone.localdate() + datetime.timedelta(days=14)
            year.deadline = min(max(soon, datetime.date(2026, 4, 1)), datetime.date(2029, 3, 31))
            save_with_history(year, user=planning, reason=gettext_noop("入力受付開始（デモデータ）"))

    @staticmethod
    def expected(indicator, strategy, year):
        return expected_value(spec_for(indicator), year)
