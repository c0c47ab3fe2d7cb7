"""Small factories for tests: named users per role, departments, figures, and a plan 100× the real size."""

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from accounts.access import Role
from goals.models import Department, Goal, Measure, Policy, Strategy, Vision
from kpis.models import ActualValue, Indicator, Kind, Placement
from kpis.rules import stored as stored_results

PASSWORD = "test-pass-4821"


def make_department(code="kodomo", name="こども家庭課", indicators=()) -> Department:
    department, _ = Department.objects.get_or_create(code=code, defaults={"name": name})
    if indicators:
        Indicator.objects.filter(code__in=indicators).update(department=department)
    return department


def make_user(username: str, role: str | None, departments=()) -> "get_user_model()":
    user = get_user_model().objects.create_user(username=username, password=PASSWORD)
    if role:
        user.groups.add(Group.objects.get_or_create(name=role)[0])  # a transactional test may have flushed it
    for department in departments:
        department.members.add(user)
    return user


def role_users(own: Department, other: Department) -> dict:
    """The matrix's people: anonymous is None; staff of the owning and of another department."""
    return {
        "anonymous": None,
        "staff_own": make_user("staff-own", Role.STAFF, [own]),
        "staff_other": make_user("staff-other", Role.STAFF, [other]),
        "planning": make_user("planning", Role.PLANNING),
        "council": make_user("council", Role.COUNCIL),
    }


def set_actual(
    code: str, fiscal_year: int, value, status=ActualValue.Status.APPROVED, **fields
) -> ActualValue:
    actual, _ = ActualValue.objects.update_or_create(
        indicator=Indicator.objects.get(code=code),
        fiscal_year=fiscal_year,
        defaults={"value": None if value is None else Decimal(str(value)), "status": status, **fields},
    )
    return actual


def _share(total: int, goal_number: int) -> int:
    """Spread `total` over the 4 goals as evenly as possible."""
    return total // 4 + (1 if goal_number <= total % 4 else 0)


def build_synthetic_plan(copies: int, code: str = "synthetic") -> Strategy:
    """A plan with 42 × copies KPIs and 6 × copies KGIs, every plan year filled in (for query counts)."""
    strategy = Strategy.objects.create(
        code=code,
        name=f"合成計画×{copies}",
        first_year=2025,
        last_year=2027,
        baseline_year=2024,
        is_active=True,
    )
    department = Department.objects.create(code=f"{code}-dept", name=f"{code}課")
    for g in range(1, 5):
        goal = Goal.objects.create(strategy=strategy, code=f"G{g}", number=g, title=f"目標{g}")
        measure = Measure.objects.create(goal=goal, code=f"G{g}-M1", number=1, title="施策の方向")
        policy = Policy.objects.create(measure=measure, code=f"G{g}-M1-P1", number=1, title="施策")
        kgis = _share(6 * copies, g)
        kpis = _share(42 * copies, g)
        indicators = [
            Indicator(
                strategy=strategy,
                code=f"G{g}-KGI{n}",
                kind=Kind.KGI,
                goal=goal,
                order=n,
                name=f"KGI {g}-{n}",
                unit="人",
                baseline_year=2024,
                baseline_value=Decimal(100),
                target_year=2027,
                target_value=Decimal(130),
                department=department,
            )
            for n in range(1, kgis + 1)
        ] + [
            Indicator(
                strategy=strategy,
                code=f"G{g}-M1-K{n}",
                kind=Kind.KPI,
                goal=goal,
                measure=measure,
                order=n,
                name=f"KPI {g}-{n}",
                unit="件",
                baseline_year=2024,
                baseline_value=Decimal(10),
                target_year=2027,
                target_value=Decimal(16),
                department=department,
            )
            for n in range(1, kpis + 1)
        ]
        Indicator.objects.bulk_create(indicators)
        created = Indicator.objects.filter(strategy=strategy, goal=goal)
        Placement.objects.bulk_create(
            [Placement(policy=policy, indicator=i, order=i.order) for i in created if i.kind == Kind.KPI]
        )
        ActualValue.objects.bulk_create(
            [
                ActualValue(
                    indicator=i,
                    fiscal_year=year,
                    value=Decimal(11 + year - 2025),
                    status=ActualValue.Status.APPROVED,
                )
                for i in created
                for year in (2025, 2026, 2027)
            ]
        )
    # 3 regional visions per copy, each served by every goal: the overview's diagram at any size.
    visions = Vision.objects.bulk_create(
        Vision(strategy=strategy, number=n, theme=f"ビジョン{n}", title=f"地域ビジョン{n}")
        for n in range(1, 3 * copies + 1)
    )
    goals = list(strategy.goals.all())
    Vision.goals.through.objects.bulk_create(
        Vision.goals.through(vision=vision, goal=goal) for vision in visions for goal in goals
    )
    # The synthetic plan becomes the current one (latest first year wins ties by is_active ordering).
    Strategy.objects.exclude(pk=strategy.pk).update(is_active=False)
    stored_results.refresh_strategy(strategy.pk)  # bulk_create sends no signals
    return strategy


def update_indicators(indicators, **fields) -> None:
    """Change indicators' plan figures past the forms, as a test's shortcut: `.update()` sends no signals,
    so the stored results are refreshed here, as the app's own bulk writers do."""
    ids = list(indicators.values_list("pk", flat=True))
    Indicator.objects.filter(pk__in=ids).update(**fields)
    stored_results.refresh(ids)
