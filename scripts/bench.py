"""Benchmarks (a script, not timed tests): every page against a plan 100 times the real size.

    .venv/bin/python scripts/bench.py                          # throwaway SQLite file
    scripts/with-postgres .venv/bin/python scripts/bench.py    # throwaway PostgreSQL database
    .venv/bin/python scripts/bench.py --load                   # the load run (scripts/load_run.sh)

Builds, in a fresh database that is removed afterwards (a temporary SQLite file, or a database of its own
next to the one DATABASE_URL names), a synthetic plan of 4,200 KPIs + 600 KGIs over 10 fiscal years with
an actual value for every indicator and year (48,000 rows), then measures every page the URLconf has, in
process, as the planning office: HTTP status, query count, median server time, response size, and the
ratio to (a) an empty view through the same middleware and (b) one raw SQL read of the same rows.
See docs/bench.md.
"""

import argparse
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))  # bench_urls
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ami_strategy.settings")
# WhiteNoise says so when staticfiles/ has not been collected; the bench serves no static files.
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)

import django  # noqa: E402

REAL_KPIS, REAL_KGIS = 42, 6
MEASURES_PER_GOAL = 3
POLICIES_PER_MEASURE = 3
FIRST_YEAR, BASELINE_YEAR = 2025, 2024
BENCH_URLCONF = "bench_urls"
SLOW_SECONDS, SLOW_RUNS = 5.0, 3  # a page slower than this is timed 3 times, not --runs times

# Never measured: the admin (Django's own), POST-only actions with no page, and the bench's own view.
SKIPPED_NAMES = {
    "set_language": "POST only (language switch)",
    "logout": "POST only",
    "bench_empty": "the baseline itself",
}
SKIPPED_NAMESPACES = {"admin": "Django admin (not the app's pages)"}


# --- the synthetic plan ------------------------------------------------------------------------------


def share(total: int, parts: int, index: int) -> int:
    """Spread `total` over `parts` as evenly as possible; the share of part `index` (0-based)."""
    return total // parts + (1 if index < total % parts else 0)


@dataclass
class Plan:
    strategy: object
    fiscal_year: int
    planning: object
    department: object
    indicator: object
    goal: object
    meeting: object
    opinion: object
    counts: dict = field(default_factory=dict)


def build_plan(copies: int = 100, years: int = 10, departments: int = 12, seed: int = 2025) -> Plan:
    """A plan `copies` times the real one (42 KPIs, 6 KGIs), every indicator filled in for every year.

    Indicators and actual values are written with bulk_create (and their django-simple-history rows, as
    the app's own saves would leave them); the rest is small. The measured fiscal year is the last one:
    the earlier years are locked and approved, the last one is open with a few drafts and submissions.
    """
    from django.db import transaction
    from django.utils import timezone

    from kpis.models import Kind
    from kpis.rules import stored as stored_results
    from reviews.models import Opinion

    rng = random.Random(seed)
    last_year = FIRST_YEAR + years - 1
    plan_years = list(range(FIRST_YEAR, last_year + 1))
    now = timezone.now()

    # The steps write in this order and draw from `rng` in this order: the same seed, the same plan.
    with transaction.atomic():
        strategy = _create_strategy(copies, last_year)
        depts, planning, council = _create_departments_and_users(departments)
        goals, policies_by_goal = _create_goals(strategy)
        indicators = _new_indicators(strategy, goals, copies)
        specs = _set_indicator_figures(indicators, depts, rng, years, last_year)
        by_code = _save_indicators(indicators, strategy, planning)
        placements = _create_placements(by_code, policies_by_goal)
        _create_expected_values(specs, by_code, last_year, planning)
        actuals = _create_actual_values(specs, by_code, plan_years, last_year, rng, planning, now)
        _create_fiscal_years_and_submissions(strategy, depts, plan_years, last_year, planning, now)
        meetings = _create_reviews(strategy, goals, by_code, last_year, council, planning)
        # bulk_create sends no signals: the results are computed once, as after an import.
        stored_results.refresh_strategy(strategy.pk)

    kpi = by_code[f"G2-M2-K{share(share(REAL_KPIS * copies, 4, 1), MEASURES_PER_GOAL, 1) // 2 or 1}"]
    return Plan(
        strategy=strategy,
        fiscal_year=last_year,
        planning=planning,
        department=depts[len(depts) // 2],
        indicator=kpi,
        goal=goals[0],
        meeting=meetings[-1],
        opinion=Opinion.objects.filter(meeting=meetings[-1]).order_by("pk").first(),
        counts={
            "KPIs": sum(1 for i in by_code.values() if i.kind == Kind.KPI),
            "KGIs": sum(1 for i in by_code.values() if i.kind == Kind.KGI),
            "actual values": len(actuals),
            "placements": len(placements),
            "departments": len(depts),
            "fiscal years": len(plan_years),
        },
    )


def _create_strategy(copies: int, last_year: int):
    """The synthetic strategy, made the only active one, with the default grade bands."""
    from goals.models import Strategy
    from kpis.models import GradeBand
    from kpis.rules.scale import DEFAULT_GRADES

    strategy = Strategy.objects.create(
        code="bench",
        name=f"ベンチマーク用合成計画（×{copies}）",
        first_year=FIRST_YEAR,
        last_year=last_year,
        baseline_year=BASELINE_YEAR,
        is_active=True,
    )
    Strategy.objects.exclude(pk=strategy.pk).update(is_active=False)
    GradeBand.objects.bulk_create(
        GradeBand(
            strategy=strategy,
            label=g.label,
            name=g.name,
            lower_bound=g.lower_bound,
            description=g.description,
            colour=g.colour,
        )
        for g in DEFAULT_GRADES
    )
    return strategy


def _create_departments_and_users(departments: int):
    """`departments` departments with one staff member each, the planning office and a council member."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from accounts.access import Role
    from goals.models import Department

    User = get_user_model()
    Department.objects.bulk_create(
        Department(code=f"bench-{n:02d}", name=f"ベンチ第{n}課", order=n) for n in range(1, departments + 1)
    )
    depts = list(Department.objects.filter(code__startswith="bench-").order_by("order"))

    planning = User.objects.create_user("bench-planning", first_name="企画", last_name="ベンチ")
    planning.groups.add(Group.objects.get(name=Role.PLANNING))
    council = User.objects.create_user("bench-council", last_name="有識者")
    council.groups.add(Group.objects.get(name=Role.COUNCIL))
    staff_group = Group.objects.get(name=Role.STAFF)
    for dept in depts:
        user = User.objects.create_user(f"bench-staff-{dept.order:02d}")
        user.groups.add(staff_group)
        dept.members.add(user)
    return depts, planning, council


def _create_goals(strategy):
    """Four goals, MEASURES_PER_GOAL measures each, POLICIES_PER_MEASURE policies each (the last digital).

    Returns the goals and, by goal number, that goal's policies in order.
    """
    from goals.models import Goal, Measure, Policy

    goals, policies_by_goal = [], {}
    for g in range(1, 5):
        goal = Goal.objects.create(strategy=strategy, code=f"G{g}", number=g, title=f"基本目標{g}（合成）")
        goals.append(goal)
        for m in range(1, MEASURES_PER_GOAL + 1):
            measure = Measure.objects.create(
                goal=goal, code=f"G{g}-M{m}", number=m, title=f"施策の方向{g}-{m}"
            )
            for p in range(1, POLICIES_PER_MEASURE + 1):
                policy = Policy.objects.create(
                    measure=measure,
                    code=f"G{g}-M{m}-P{p}",
                    number=p,
                    title=f"施策{g}-{m}-{p}",
                    is_digital=(p == POLICIES_PER_MEASURE),
                )
                policies_by_goal.setdefault(g, []).append(policy)
    return goals, policies_by_goal


def _new_indicators(strategy, goals, copies: int) -> list:
    """The indicators, not yet saved: KGIs per goal, then KPIs per measure, numbered within the measure."""
    from kpis.models import Indicator, Kind

    indicators = []
    for goal in goals:
        g = goal.number
        for n in range(1, share(REAL_KGIS * copies, 4, g - 1) + 1):
            indicators.append(_indicator(Indicator, Kind.KGI, strategy, goal, None, f"G{g}-KGI{n}", n))
        kpis = share(REAL_KPIS * copies, 4, g - 1)
        for measure in goal.measures.order_by("number"):
            for k in range(1, share(kpis, MEASURES_PER_GOAL, measure.number - 1) + 1):
                code = f"G{g}-M{measure.number}-K{k}"
                indicators.append(_indicator(Indicator, Kind.KPI, strategy, goal, measure, code, k))
    return indicators


def _set_indicator_figures(indicators: list, depts: list, rng, years: int, last_year: int) -> dict:
    """Give each indicator its direction, aggregation, baseline, target, decimal places and department.

    Returns, by indicator code, the spec its actual values are drawn from:
    (lower, cumulative, yearly, baseline, target, places).
    """
    from kpis.rules.achievement import Aggregation, Direction

    specs = {}
    for i, indicator in enumerate(indicators):
        lower = i % 5 == 4
        cumulative = i % 7 == 6
        places = 1 if i % 10 == 3 else None
        yearly, baseline, target = _baseline_and_target(rng, lower, cumulative, years)
        indicator.direction = Direction.LOWER if lower else Direction.HIGHER
        indicator.aggregation = Aggregation.CUMULATIVE if cumulative else Aggregation.ANNUAL
        indicator.baseline_year, indicator.baseline_value = BASELINE_YEAR, baseline
        indicator.target_year, indicator.target_value = last_year, target
        indicator.decimal_places = places
        indicator.department = depts[i % len(depts)]
        specs[indicator.code] = (lower, cumulative, yearly, baseline, target, places)
    return specs


def _baseline_and_target(rng, lower: bool, cumulative: bool, years: int) -> tuple[Decimal, Decimal, Decimal]:
    """A yearly figure drawn from `rng`, and the baseline and target made from it: (yearly, baseline, target)."""
    yearly = Decimal(rng.randint(50, 5000))
    if cumulative:
        return yearly, Decimal(0), yearly * years
    if lower:
        return yearly, yearly, (yearly * Decimal(rng.randint(50, 90)) / 100).quantize(Decimal(1))
    return yearly, yearly, (yearly * Decimal(rng.randint(110, 160)) / 100).quantize(Decimal(1))


def _save_indicators(indicators: list, strategy, planning) -> dict:
    """Write the indicators (with their history rows); the saved ones by code."""
    from simple_history.utils import bulk_create_with_history

    from kpis.models import Indicator

    bulk_create_with_history(indicators, Indicator, batch_size=1000, default_user=planning)
    return {i.code: i for i in Indicator.objects.filter(strategy=strategy)}


def _create_placements(by_code: dict, policies_by_goal: dict) -> list:
    """Each KPI under one policy of its measure; every 50th also 【再掲】 under the next goal."""
    from kpis.models import Kind, Placement

    policy_of = {p.code: p for ps in policies_by_goal.values() for p in ps}
    placements = []
    for code, indicator in by_code.items():
        if indicator.kind != Kind.KPI:
            continue
        g, m, k = (int(part[1:]) for part in code.split("-"))
        p = (k - 1) % POLICIES_PER_MEASURE + 1
        placements.append(Placement(policy=policy_of[f"G{g}-M{m}-P{p}"], indicator=indicator, order=k))
        if k % 50 == 0:
            other = policies_by_goal[g % 4 + 1][k % len(policies_by_goal[g % 4 + 1])]
            placements.append(Placement(policy=other, indicator=indicator, order=10000 + k, is_repost=True))
    Placement.objects.bulk_create(placements, batch_size=2000)
    return placements


def _create_expected_values(specs: dict, by_code: dict, last_year: int, planning) -> None:
    """A few explicit expected values (they win over the straight line)."""
    from simple_history.utils import bulk_create_with_history

    from kpis.models import ExpectedValue

    expected = [
        ExpectedValue(indicator=by_code[code], fiscal_year=last_year - 1, value=spec[4])
        for n, (code, spec) in enumerate(specs.items())
        if n % 40 == 0 and not spec[1]
    ]
    bulk_create_with_history(expected, ExpectedValue, default_user=planning)


def _create_actual_values(
    specs: dict, by_code: dict, plan_years: list, last_year: int, rng, planning, now
) -> list:
    """One actual value for every indicator and year (with history rows); the last year's not all approved."""
    from simple_history.utils import bulk_create_with_history

    from kpis.models import ActualValue, NextStep

    actuals = []
    next_steps = list(NextStep.values)
    for code, spec in specs.items():
        indicator = by_code[code]
        for year in plan_years:
            value = _actual_figure(rng, spec, year, last_year)
            status = ActualValue.Status.APPROVED
            if year == last_year:
                status = rng.choices(
                    [ActualValue.Status.APPROVED, ActualValue.Status.SUBMITTED, ActualValue.Status.DRAFT],
                    [80, 15, 5],
                )[0]
            noted = rng.random() < 0.3
            actuals.append(
                ActualValue(
                    indicator=indicator,
                    fiscal_year=year,
                    value=value,
                    status=status,
                    note="合成データ（ベンチマーク用）" if noted else "",
                    cause_analysis="事業の周知が進み、参加者が増加した。" if noted else "",
                    next_step=rng.choice(next_steps) if noted else "",
                    entered_by=planning,
                    entered_at=now,
                )
            )
    bulk_create_with_history(actuals, ActualValue, batch_size=2000, default_user=planning)
    return actuals


def _actual_figure(rng, spec: tuple, year: int, last_year: int) -> Decimal:
    """An indicator's figure for `year`, drawn from `rng`: around its yearly figure, or its straight line."""
    lower, cumulative, yearly, baseline, target, places = spec
    if cumulative:
        value = yearly * Decimal(rng.randint(60, 120)) / 100
    else:
        line = baseline + (target - baseline) * (year - BASELINE_YEAR) / (last_year - BASELINE_YEAR)
        value = line * Decimal(rng.randint(60, 115) if not lower else rng.randint(90, 150)) / 100
    return value.quantize(Decimal("0.1") if places else Decimal(1))


def _create_fiscal_years_and_submissions(
    strategy, depts: list, plan_years: list, last_year: int, planning, now
) -> None:
    """Earlier years locked and every department's submission approved; the last year open and under way."""
    from kpis.models import FiscalYear, Submission

    FiscalYear.objects.bulk_create(
        FiscalYear(
            strategy=strategy,
            year=year,
            state=FiscalYear.State.OPEN if year == last_year else FiscalYear.State.LOCKED,
        )
        for year in plan_years
    )
    open_states = [Submission.State.SUBMITTED, Submission.State.IN_PROGRESS, Submission.State.APPROVED]
    Submission.objects.bulk_create(
        Submission(
            department=dept,
            strategy=strategy,
            fiscal_year=year,
            state=Submission.State.APPROVED if year < last_year else open_states[dept.order % 3],
            submitted_by=planning,
            submitted_at=now,
        )
        for dept in depts
        for year in plan_years
    )


def _create_reviews(strategy, goals: list, by_code: dict, last_year: int, council, planning) -> list:
    """Two council meetings with 20 opinions each (last year's carried over, and the measured year's), and
    the measured year's evaluation of every goal. Returns the meetings, the measured year's last.
    """
    from reviews.models import GoalEvaluation, Meeting, Opinion

    some = list(by_code.values())[:: max(1, len(by_code) // 10)]
    meetings = []
    for year in (last_year - 1, last_year):
        meeting = Meeting.objects.create(
            strategy=strategy,
            fiscal_year=year,
            name=f"{year}年度 第1回 創生有識者会議（合成）",
            date=f"{year + 1}-07-15",
        )
        meetings.append(meeting)
        Opinion.objects.bulk_create(
            Opinion(
                strategy=strategy,
                fiscal_year=year,
                meeting=meeting,
                goal=goals[n % 4] if n % 3 == 1 else None,
                indicator=some[n % len(some)] if n % 3 == 2 else None,
                speaker=f"委員{n + 1}",
                text="合成の意見です。" * 5,
                author=council,
                response="対応方針（合成）" if n % 2 else "",
                follow_up=Opinion.FollowUp.DONE if n % 2 else Opinion.FollowUp.OPEN,
            )
            for n in range(20)
        )
    GoalEvaluation.objects.bulk_create(
        GoalEvaluation(goal=goal, fiscal_year=last_year, text="総合評価（合成）", updated_by=planning)
        for goal in goals
    )
    return meetings


def _indicator(Indicator, kind, strategy, goal, measure, code, order):
    return Indicator(
        strategy=strategy,
        code=code,
        kind=kind,
        goal=goal,
        measure=measure,
        order=order,
        name=f"{'KGI' if measure is None else 'KPI'} {code}（合成）",
        unit="件" if measure is not None else "人",
    )


# --- what is measured --------------------------------------------------------------------------------

RAW_SQL = (
    "SELECT i.code, i.name, i.unit, i.direction, i.aggregation, i.baseline_value, i.target_value,"
    " a.fiscal_year, a.value, a.status, a.note"
    " FROM kpis_indicator i JOIN kpis_actualvalue a ON a.indicator_id = i.id"
    " WHERE i.strategy_id = %s{where} ORDER BY i.id, a.fiscal_year"
)


@dataclass
class Scope:
    """The rows a page shows, for the raw SQL comparison."""

    name: str
    where: str = ""
    params: tuple = ()

    def sql(self, strategy_id: int) -> tuple[str, tuple]:
        return RAW_SQL.format(where=self.where), (strategy_id, *self.params)


def scopes(plan: Plan) -> dict[str, Scope]:
    fy, dept = plan.fiscal_year, plan.department.pk
    return {
        "plan": Scope("plan"),
        "plan, 1 year": Scope("plan, 1 year", " AND a.fiscal_year = %s", (fy,)),
        "goal": Scope("goal", " AND i.goal_id = %s", (plan.goal.pk,)),
        "indicator": Scope("indicator", " AND i.id = %s", (plan.indicator.pk,)),
        "department": Scope("department", " AND i.department_id = %s", (dept,)),
        "department, 1 year": Scope(
            "department, 1 year", " AND i.department_id = %s AND a.fiscal_year = %s", (dept, fy)
        ),
    }


@dataclass
class Target:
    label: str
    path: str | None = None  # None: a Python call instead of a request
    query: dict = field(default_factory=dict)
    scope: str = "plan"
    call: Callable | None = None
    view_name: str = ""
    note: str = ""


@dataclass
class Result:
    target: Target
    status: str
    queries: int | str | None = None
    median: float | None = None
    size: int | None = None
    runs: int = 0
    error: str = ""
    first: float | None = None  # the warm-up request


def required_targets(plan: Plan) -> list[Target]:
    """The pages the issue names, in its order (each reported as missing when the URLconf lacks it)."""
    fy, dept, kpi = plan.fiscal_year, plan.department.code, plan.indicator.code
    return [
        Target("/", "/", scope="plan"),
        Target("/goals/G1/", "/goals/G1/", scope="goal"),
        Target("/indicators/<code>/", f"/indicators/{kpi}/", scope="indicator"),
        Target("/indicators/", "/indicators/", scope="plan"),
        Target("/departments/<code>/", f"/departments/{dept}/", scope="department"),
        Target(
            "/entry/<fy>/?department=<code>",
            f"/entry/{fy}/",
            {"department": dept},
            scope="department, 1 year",
        ),
        Target("/review/<fy>/", f"/review/{fy}/", scope="plan, 1 year"),
        Target("/api/v1/indicators.json", "/api/v1/indicators.json", scope="plan"),
        Target("/api/v1/indicators.csv", "/api/v1/indicators.csv", scope="plan"),
        workbook_target(plan),
        Target("/meetings/<pk>/", f"/meetings/{plan.meeting.pk}/", scope="plan"),
    ]


def workbook_target(plan: Plan) -> Target:
    """The review workbook: its download URL when reports/excel_urls.py has one, else the builder itself."""
    from django.urls import NoReverseMatch, reverse

    try:
        from reports.excel import urls as excel_urls

        patterns = [p for p in excel_urls.urlpatterns if "workbook" in (getattr(p, "name", "") or "")]
    except Exception:  # noqa: BLE001 - a module under construction
        patterns = []
    patterns.sort(key=lambda p: p.name != "review_workbook")
    for pattern in patterns:
        params = list(getattr(pattern.pattern, "converters", {}))
        if any("year" not in param for param in params):
            continue
        try:
            path = reverse(
                f"excel:{pattern.name}", kwargs={p: plan.fiscal_year for p in params}, urlconf=BENCH_URLCONF
            )
        except NoReverseMatch:
            continue
        query = {} if params else {"fiscal_year": plan.fiscal_year}
        label = path.replace(str(plan.fiscal_year), "<fy>") + ("?fiscal_year=<fy>" if query else "")
        return Target(label, path, query, scope="plan")
    try:
        from reports.excel.workbook import build_review_workbook
    except Exception as error:  # noqa: BLE001
        return Target("review workbook", None, note=f"missing ({type(error).__name__}: {error})")
    return Target(
        "review workbook (build_review_workbook)",
        None,
        scope="plan",
        call=lambda: build_review_workbook(plan.strategy, plan.fiscal_year),
        note="no download URL in reports/excel_urls.py yet: the builder is called directly",
    )


def walk(patterns, prefix: str = "", namespace: str = ""):
    """Every URL pattern: (namespaced name, route, pattern)."""
    from django.urls import URLPattern, URLResolver

    for p in patterns:
        if isinstance(p, URLResolver):
            ns = ":".join(n for n in (namespace, p.namespace or "") if n)
            yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else (p.name or "")
            yield name, prefix + str(p.pattern), p


def discovered_targets(plan: Plan, measured_views: set[str]) -> tuple[list[Target], list[tuple[str, str]]]:
    """The URLconf's other pages, with their parameters filled in from the plan; and the ones skipped."""
    from django.urls import NoReverseMatch, get_resolver, reverse

    extra, skipped = [], []
    seen = set()
    for name, route, pattern in walk(get_resolver(BENCH_URLCONF).url_patterns):
        shown = "/" + route.lstrip("^").rstrip("$")
        namespace = name.split(":")[0] if ":" in name else ""
        if namespace in SKIPPED_NAMESPACES or route.startswith("admin/"):
            if ("/admin/", SKIPPED_NAMESPACES["admin"]) not in skipped:
                skipped.append(("/admin/", SKIPPED_NAMESPACES["admin"]))
            continue
        if not name:
            skipped.append((shown, "unnamed pattern"))
            continue
        if name in seen or name in measured_views:
            continue
        seen.add(name)
        if name.split(":")[-1] in SKIPPED_NAMES:
            skipped.append((shown, SKIPPED_NAMES[name.split(":")[-1]]))
            continue
        params = list(getattr(pattern.pattern, "converters", {}))
        kwargs, scope = {}, ""
        for param in params:
            value, scope = fill(param, name, route, plan, scope)
            if value is None:
                break
            kwargs[param] = value
        else:
            try:
                path = reverse(name, kwargs=kwargs, urlconf=BENCH_URLCONF)
            except NoReverseMatch as error:
                skipped.append((shown, f"cannot reverse: {error}"))
                continue
            query, scope = QUERIES.get(name, lambda plan, scope: ({}, scope))(plan, scope)
            label = shown + ("?" + "&".join(f"{k}={PLACEHOLDERS.get(k, k)}" for k in query) if query else "")
            extra.append(Target(label, path, query, scope=scope, view_name=name))
            continue
        skipped.append((shown, f"no value for <{param}>"))
    return extra, skipped


PLACEHOLDERS = {"fiscal_year": "<fy>", "department": "<code>"}
# Pages that need a query string to show anything (their form's fields), and the rows they then show.
QUERIES = {
    "excel:entry_template": lambda plan, scope: (
        {"fiscal_year": plan.fiscal_year, "department": plan.department.code},
        "department, 1 year",
    ),
    # 提出の確認 checks one department's rows of the year (the first of the user's without ?department=).
    "cycle:entry_submit": lambda plan, scope: ({"department": plan.department.code}, "department, 1 year"),
}


def fill(param: str, name: str, route: str, plan: Plan, scope: str):
    if param == "fiscal_year":
        return plan.fiscal_year, scope or "plan, 1 year"
    if param == "department_code":
        return plan.department.code, "department, 1 year"
    if param == "pk":
        if route.startswith("meetings/"):
            return plan.meeting.pk, "plan" if route.count("/") == 2 else ""
        if route.startswith("opinions/"):
            return plan.opinion.pk, scope
        return None, scope
    if param == "code":
        if route.startswith("goals/"):
            return plan.goal.code, "goal"
        if route.startswith("departments/"):
            return plan.department.code, "department"
        if route.startswith("indicators/"):
            return plan.indicator.code, "indicator"
    return None, scope


# --- measuring ---------------------------------------------------------------------------------------


def fetch(client, target: Target) -> tuple[int | str, int, float]:
    """One request (or call), body consumed: status, bytes, seconds."""
    from django.core.signals import request_finished
    from django.db import close_old_connections

    start = time.perf_counter()
    if target.call is not None:
        body = target.call()
        elapsed = time.perf_counter() - start
        return "fn", len(body), elapsed
    response = client.get(target.path, target.query)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    elapsed = time.perf_counter() - start
    # Closing fires request_finished, whose close_old_connections would drop the database connection
    # inside a transaction (a test's, on PostgreSQL); Django's own test client holds it back the same way.
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    return response.status_code, len(body), elapsed


def measure(client, target: Target, runs: int) -> Result:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import Resolver404, resolve

    if target.call is None and target.path is None:
        return Result(target, "missing", error=target.note)
    if target.path is not None:
        try:
            match = resolve(target.path, urlconf=BENCH_URLCONF)
        except Resolver404:
            return Result(target, "missing", error="no such URL yet")
        target.view_name = target.view_name or match.view_name
    try:
        warm = fetch(client, target)[2]  # warm-up: templates, caches, connections
        connection.queries_log.clear()  # a bounded deque: a full one would count nothing
        with CaptureQueriesContext(connection) as queries:
            status, size, _ = fetch(client, target)
        count = len(queries.captured_queries)
        if count >= connection.queries_log.maxlen:
            count = f"≥{count}"
        if warm >= SLOW_SECONDS:
            # A page this slow gains nothing from a warm-up: it counts as a run, and fewer runs make the
            # median, so the whole table stays within minutes. The run count is shown.
            n = min(runs, SLOW_RUNS)
            times = [warm] + [fetch(client, target)[2] for _ in range(n - 1)]
        else:
            n = runs
            times = [fetch(client, target)[2] for _ in range(n)]
    except Exception as error:  # noqa: BLE001 - pages under construction are reported, not fixed here
        message = str(error).splitlines()[0][:140] if str(error) else ""
        return Result(target, "error", error=f"{type(error).__name__}: {message}")
    return Result(target, str(status), count, statistics.median(times), size, n, first=warm)


def median_of(fn, runs: int) -> float:
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def raw_read(plan: Plan, scope: Scope, runs: int) -> tuple[float, int]:
    """One SELECT joining indicators and actual values, every row fetched: median seconds, rows."""
    from django.db import connection

    sql, params = scope.sql(plan.strategy.pk)
    rows = []

    def read():
        nonlocal rows
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()

    return median_of(read, runs), len(rows)


def raw_reads(plan: Plan, runs: int) -> dict[str, tuple[float, int]]:
    """Every scope's raw read: median seconds, rows (at least 21 runs: the small ones take microseconds)."""
    return {name: raw_read(plan, scope, max(runs, 21)) for name, scope in scopes(plan).items()}


def workbook_cells(body: bytes) -> list[tuple[str, list[list[tuple[object, str]]]]]:
    """Every sheet of a built workbook as rows of (value, number format): what the raw baseline writes."""
    from io import BytesIO

    from openpyxl import load_workbook

    book = load_workbook(BytesIO(body), read_only=True)
    return [
        (
            sheet.title,
            [
                [(cell.value, getattr(cell, "number_format", None) or "General") for cell in row]
                for row in sheet.iter_rows()
            ],
        )
        for sheet in book.worksheets
    ]


def raw_openpyxl(sheets: list[tuple[str, list[list[tuple[object, str]]]]], runs: int) -> tuple[float, int]:
    """openpyxl in write-only mode writing the same cells (values and number formats, no other styles, no
    database): median seconds and the number of cells. Issue 15's target: the workbook within 2× of it."""
    from io import BytesIO

    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    def write():
        book = Workbook(write_only=True)
        for title, rows in sheets:
            sheet = book.create_sheet(title)
            for row in rows:
                line = []
                for value, number_format in row:
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.number_format = number_format
                    line.append(cell)
                sheet.append(line)
        book.save(BytesIO())

    return median_of(write, runs), sum(len(row) for _, rows in sheets for row in rows)


def workbook_baselines(client, results: list[Result], runs: int) -> list[str]:
    """Each workbook's time against raw openpyxl writing its cells, a line each (the review workbook first).

    Issue 15 holds the review workbook to 2× of it. A workbook's floor is writing its cells, not reading its
    rows, so the entry template is set against the same measure, and its raw SQL ratio is in the table."""
    lines = []
    workbooks = [r for r in results if ".xlsx" in r.target.label and r.median and r.target.path is not None]
    workbooks.sort(key=lambda r: "review.xlsx" not in r.target.label)
    for result in workbooks:
        response = client.get(result.target.path, result.target.query)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        seconds, cells = raw_openpyxl(workbook_cells(body), max(runs, 3))
        target = (
            "issue 15's target: ≤ 2×"
            if "review.xlsx" in result.target.label
            else "the review workbook's target: ≤ 2×"
        )
        lines.append(
            f"Workbook baseline: raw openpyxl (write-only) writing the same {cells:,} cells with their number"
            f" formats {ms(seconds)} ms; {result.target.label} {ms(result.median)} ms ="
            f" {result.median / seconds:.1f}× raw openpyxl ({target})"
        )
    return lines


# --- reporting ---------------------------------------------------------------------------------------


def machine() -> str:
    from django.db import connection

    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    if connection.vendor == "sqlite":
        import sqlite3

        database = f"SQLite {sqlite3.sqlite_version}"
    elif connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            database = f"PostgreSQL {cursor.fetchone()[0]}"
    else:
        database = connection.vendor
    return (
        f"{cpu}, {os.cpu_count()} cores · Python {platform.python_version()} · Django {django.get_version()}"
        f" · {database} · {platform.system()} {platform.release()}"
    )


def ms(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return f"{seconds * 1000:,.1f}" if seconds >= 0.001 else f"{seconds * 1000:.3f}"


def ratio(a: float | None, b: float | None) -> str:
    """a / b, with one decimal where the targets are judged (3.4× is over a 3× target, not "3×")."""
    if a is None or not b:
        return ""
    return f"{a / b:.1f}×" if a / b < 10 else f"{a / b:,.0f}×"


def table(rows: list[list[str]], right: set[int]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = [
            c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("| " + " | ".join(cells) + " |")
        if n == 0:
            lines.append(
                "|"
                + "|".join(
                    ("-" * (w + 1) + ":") if i in right else "-" * (w + 2) for i, w in enumerate(widths)
                )
                + "|"
            )
    return "\n".join(lines)


# --- databases ---------------------------------------------------------------------------------------


def throwaway_database():
    """A fresh database of our own (Django's test-database machinery): migrated, removed by the caller."""
    from django.db import connection

    tmpdir = None
    if connection.vendor == "sqlite":
        tmpdir = tempfile.mkdtemp(prefix="ami-bench-")
        connection.settings_dict["TEST"]["NAME"] = os.path.join(tmpdir, "bench.sqlite3")
    else:
        connection.settings_dict["TEST"]["NAME"] = f"ami_bench_{os.getpid()}"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    return old_name, tmpdir


def drop_database(old_name, tmpdir):
    from django.db import connection

    connection.creation.destroy_test_db(old_name, verbosity=0)
    if tmpdir:
        shutil.rmtree(tmpdir, ignore_errors=True)


# --- the page table ----------------------------------------------------------------------------------


def _matches(only: str, label: str) -> bool:
    """--only: `=/` names exactly the page labelled "/"; anything else is a substring of the label."""
    return label == only[1:] if only.startswith("=") else only in label


def run_table(args) -> int:
    import bench_urls
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    vendor = connection.vendor
    print(
        f"Building the synthetic plan (×{args.copies}, {args.years} fiscal years) in a throwaway {vendor} database…"
    )
    old_name, tmpdir = throwaway_database()
    try:
        start = time.perf_counter()
        plan = build_plan(args.copies, args.years, args.departments)
        built = time.perf_counter() - start
        print("  " + ", ".join(f"{v:,} {k}" for k, v in plan.counts.items()) + f" — built in {built:.1f} s")
        if vendor == "postgresql":
            # A database in use has statistics (autovacuum analyses a table within about a minute of a bulk
            # load); without them the planner guesses, and the pages would be measured on its guesses.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        # Meeting packs made in the request: a background thread would share the cores with the pages measured
        # after it. The first request makes the pack; the runs after it are served the stored one (see notes).
        with override_settings(
            DEBUG=False,
            ROOT_URLCONF=BENCH_URLCONF,
            ALLOWED_HOSTS=["testserver"],
            PACK_BUILD_IN_BACKGROUND=False,
        ):
            # The raw reads are timed before the pages and again after them, and the faster of the two
            # counts: in a whole run the same read took up to a quarter longer after the pages (the meeting
            # pack among them) than before, which would flatter every ratio.
            raw_before = raw_reads(plan, args.runs)
            client = Client(raise_request_exception=True)
            client.force_login(plan.planning)
            targets = required_targets(plan)
            if args.only:
                targets = [t for t in targets if any(_matches(o, t.label) for o in args.only)]
            results = []
            for target in targets:
                result = measure(client, target, args.runs)
                results.append(result)
                print(f"  measured {target.label}: {result.status}", file=sys.stderr)
            measured = {r.target.view_name for r in results if r.target.view_name}
            extra, skipped = discovered_targets(plan, measured)
            if args.only:
                extra = [t for t in extra if any(_matches(o, t.label) for o in args.only)]
            for target in extra:
                result = measure(client, target, args.runs)
                results.append(result)
                print(f"  measured {target.label}: {result.status}", file=sys.stderr)
            empty = Target("empty view", "/" + bench_urls.EMPTY_PATH)
            floor = measure(client, empty, max(args.runs, 51))
            workbook_lines = workbook_baselines(client, results, args.runs)
        raw_after = raw_reads(plan, args.runs)
        raw = {name: min(raw_before[name], raw_after[name]) for name in raw_after}

        print()
        print(f"Machine: {machine()}")
        print(
            f"Plan: {plan.counts['KPIs']:,} KPIs + {plan.counts['KGIs']:,} KGIs, {plan.counts['fiscal years']} fiscal years"
            f" ({plan.strategy.first_year}–{plan.strategy.last_year}), {plan.counts['actual values']:,} actual values,"
            f" {plan.counts['departments']} departments; measured year FY{plan.fiscal_year};"
            f" signed in as the planning office; median of {args.runs} runs after one warm-up"
            f" (pages slower than {SLOW_SECONDS:.0f} s: {SLOW_RUNS} runs, the first one included)."
        )
        print(
            f"Baselines: empty view {ms(floor.median)} ms ({floor.status}, {floor.queries} queries);"
            " raw SQL reads (the faster of before and after the pages): "
            + ", ".join(f"{name} {rows:,} rows {ms(t)} ms" for name, (t, rows) in raw.items())
        )
        for line in workbook_lines:
            print(line)
        print()
        header = [
            "page",
            "status",
            "queries",
            "median ms",
            "runs",
            "KB",
            "× empty view",
            "× raw SQL",
            "raw SQL rows",
        ]
        rows = [header]
        for r in results:
            t, n = raw.get(r.target.scope, (None, 0))
            rows.append(
                [
                    r.target.label,
                    r.status,
                    "" if r.queries is None else str(r.queries),
                    ms(r.median),
                    str(r.runs or ""),
                    "" if r.size is None else f"{r.size / 1024:,.0f}",
                    ratio(r.median, floor.median),
                    ratio(r.median, t),
                    f"{n:,} ({r.target.scope})" if r.median is not None and r.target.scope else "",
                ]
            )
        print(table(rows, right={2, 3, 4, 5, 6, 7}))
        notes = [f"- {r.target.label}: {r.status}: {r.error}" for r in results if r.error]
        notes += [f"- {r.target.label}: {r.target.note}" for r in results if r.target.note and not r.error]
        notes += [
            f"- {r.target.label}: the first request took {ms(r.first)} ms; the later ones read what it made and kept"
            for r in results
            if r.first is not None and r.median and r.first >= SLOW_SECONDS and r.first > 10 * r.median
        ]
        notes += [
            f"- raw SQL read {name}: {ms(raw_before[name][0])} ms before the pages, {ms(raw_after[name][0])} ms after"
            for name in raw
            if abs(raw_before[name][0] - raw_after[name][0]) > 0.1 * raw[name][0]
        ]
        notes += [
            f"- URLconf {module} failed to import: {error}" for module, error in bench_urls.BROKEN.items()
        ]
        if notes:
            print("\nNotes:")
            print("\n".join(notes))
        if skipped:
            print("\nNot measured: " + "; ".join(f"{path} ({why})" for path, why in skipped))
    finally:
        drop_database(old_name, tmpdir)
    return 0


# --- the load run's figures --------------------------------------------------------------------------


def seed_load_figures() -> int:
    """For the load run (a throwaway database after load_plan): approved figures for the first plan years.

    The real plan's KPIs have no baselines or targets yet; this gives every indicator invented ones so the
    dashboards compute rates and grades as they will once the planning office has entered them.
    """
    from django.db import transaction

    from goals.models import Strategy
    from kpis.models import ActualValue, Indicator

    strategy = Strategy.objects.current()
    if strategy is None:
        print("No plan: run manage.py load_plan first.", file=sys.stderr)
        return 1
    rng = random.Random(42)
    years = strategy.plan_years[:2]
    with transaction.atomic():
        for indicator in Indicator.objects.filter(strategy=strategy):
            if indicator.baseline_value is None or indicator.target_value is None:
                indicator.baseline_year = strategy.baseline_year
                indicator.baseline_value = Decimal(rng.randint(50, 500))
                indicator.target_year = strategy.last_year
                indicator.target_value = indicator.baseline_value * Decimal("1.2")
                indicator.save()
            for year in years:
                ActualValue.objects.update_or_create(
                    indicator=indicator,
                    fiscal_year=year,
                    defaults={
                        "value": (indicator.baseline_value * Decimal(rng.randint(80, 125)) / 100).quantize(
                            Decimal("0.1")
                        ),
                        "status": ActualValue.Status.APPROVED,
                    },
                )
    print(
        f"Approved figures for {len(years)} years of {Indicator.objects.filter(strategy=strategy).count()} indicators."
    )
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per page (median; default 7)")
    parser.add_argument("--copies", type=int, default=100, help="plan size as a multiple of the real one")
    parser.add_argument("--years", type=int, default=10, help="fiscal years (from FY2025; default 10)")
    parser.add_argument("--departments", type=int, default=12)
    parser.add_argument(
        "--only",
        nargs="*",
        help="measure only the named pages (substring of the label; =LABEL: exactly that label, e.g. =/)",
    )
    parser.add_argument("--load", action="store_true", help="the load run instead (scripts/load_run.sh)")
    parser.add_argument("--duration", type=int, default=60, help="load run: seconds (default 60)")
    parser.add_argument("--clients", type=int, default=50, help="load run: concurrent clients (default 50)")
    parser.add_argument("--seed-load-figures", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.load:
        script = str(ROOT / "scripts" / "load_run.sh")
        os.execv(script, [script, "--duration", str(args.duration), "--clients", str(args.clients)])
    django.setup()
    if args.seed_load_figures:
        return seed_load_figures()
    return run_table(args)


if __name__ == "__main__":
    sys.exit(main())
