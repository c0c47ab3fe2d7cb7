"""Indicator lineage across plans (系譜): what an indicator continues, and how two plans compare.

An indicator of a new plan may continue one of an earlier plan (`Indicator.continues`: the same measurement,
perhaps renamed). Its page then draws the earlier plans' figures before its own, with the boundary between
the plans marked, and the planning office compares two plans in one table: which indicators continued
(renamed or not), which are new, which ended. The baseline a continued indicator could take is the last
approved actual of the indicator it continues.

Reads only: with a single plan loaded nothing here runs (there is no lineage to show), and an indicator that
continues nothing, in the latest plan, costs no query either.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q

from accounts.strategy import plan_url
from goals.models import Strategy
from kpis.models import ActualValue, Indicator, StoredResult

MAX_GENERATIONS = 10  # a plan every five years: half a century of lineage


@dataclass
class EarlierSeries:
    """An earlier plan's figures of the measurement an indicator continues."""

    plan: Strategy
    indicator: Indicator
    url: str
    points: list[tuple[int, Decimal]]  # (fiscal year, the value that plan compared: cumulative or annual)


@dataclass
class Lineage:
    """What an indicator continues (oldest first) and what continues it."""

    earlier: list[EarlierSeries] = field(default_factory=list)
    later: list[tuple[Indicator, str]] = field(default_factory=list)  # (indicator, its page)

    def __bool__(self) -> bool:
        return bool(self.earlier or self.later)


def ancestors(indicator: Indicator) -> list[Indicator]:
    """The indicators `indicator` continues, the nearest first (one query per generation)."""
    chain, seen, pk = [], {indicator.pk}, indicator.continues_id
    while pk is not None and pk not in seen and len(chain) < MAX_GENERATIONS:
        earlier = Indicator.objects.select_related("strategy").get(pk=pk)
        chain.append(earlier)
        seen.add(pk)
        pk = earlier.continues_id
    return chain


def indicator_url(request, indicator: Indicator) -> str:
    """The page of an indicator of any plan, under that plan's address."""
    return f"{plan_url(request, indicator.strategy)}indicators/{indicator.code}/"


def lineage_of(request, indicator: Indicator, internal: bool, plans: list[Strategy]) -> Lineage:
    """The indicator's lineage, read only when more than one plan is loaded."""
    if len(plans) < 2:
        return Lineage()
    chain = ancestors(indicator)
    audience = StoredResult.Audience.INTERNAL if internal else StoredResult.Audience.PUBLIC
    points: dict[int, list[tuple[int, Decimal]]] = {}
    results = StoredResult.objects.filter(indicator__in=chain, audience=audience, compared__isnull=False)
    for row in results.order_by("fiscal_year").values("indicator_id", "fiscal_year", "compared"):
        points.setdefault(row["indicator_id"], []).append((row["fiscal_year"], row["compared"]))
    earlier = [
        EarlierSeries(each.strategy, each, indicator_url(request, each), points.get(each.pk, []))
        for each in reversed(chain)
    ]
    # Only a plan that started later can continue this one's indicators.
    later_plans = [plan for plan in plans if plan.first_year > indicator.strategy.first_year]
    later = (
        [
            (each, indicator_url(request, each))
            for each in Indicator.objects.filter(continues=indicator).select_related("strategy")
        ]
        if later_plans
        else []
    )
    return Lineage(earlier, later)


# --- Two plans compared ---------------------------------------------------------------------------------


@dataclass
class ComparedRow:
    status: str  # "continued", "new", "ended"
    new: Indicator | None
    old: Indicator | None
    renamed: bool = False
    last_actual: tuple[int, Decimal] | None = None  # the old indicator's last approved actual
    proposal: tuple[int, Decimal] | None = None  # a baseline the new indicator could take from it


def predecessor(plan: Strategy, plans: list[Strategy]) -> Strategy | None:
    """The plan that started last before `plan`."""
    earlier = [p for p in plans if p.first_year < plan.first_year]
    return max(earlier, key=lambda p: (p.first_year, p.pk), default=None)


def last_actuals(indicators) -> dict[int, tuple[int, Decimal]]:
    """Each indicator's latest approved actual: (fiscal year, value)."""
    rows = (
        ActualValue.objects.filter(
            indicator__in=indicators, value__isnull=False, status=ActualValue.Status.APPROVED
        )
        .order_by("indicator_id", "fiscal_year")
        .values_list("indicator_id", "fiscal_year", "value")
    )
    return {pk: (year, value) for pk, year, value in rows}


def _continued(new: Indicator, old: Indicator, last: tuple[int, Decimal] | None) -> ComparedRow:
    proposal = None
    if last is not None and (new.baseline_year, new.baseline_value) != last:
        proposal = last
    return ComparedRow("continued", new, old, new.name != old.name, last, proposal)


def compare(plan: Strategy, earlier: Strategy) -> list[ComparedRow]:
    """Every indicator of both plans, once: continued (new ← old), new in `plan`, ended with `earlier`."""
    news = list(Indicator.objects.filter(strategy=plan).select_related("continues"))
    olds = list(Indicator.objects.filter(strategy=earlier))
    last = last_actuals(olds)
    old_ids = {old.pk for old in olds}
    rows, continued = [], set()
    for new in news:
        if new.continues_id in old_ids:
            continued.add(new.continues_id)
            rows.append(_continued(new, new.continues, last.get(new.continues_id)))
        else:
            rows.append(ComparedRow("new", new, None))
    rows += [
        ComparedRow("ended", None, old, last_actual=last.get(old.pk))
        for old in olds
        if old.pk not in continued
    ]
    return rows


def candidates(plan: Strategy, earlier: Strategy):
    """The indicators the planning office may link: those of `plan` and of the plan before it."""
    both = Q(strategy=plan) | Q(strategy=earlier)
    return Indicator.objects.filter(both).select_related("strategy")
