"""Evaluate on write: every indicator's results are computed by the rules when one of their inputs changes,
in the same transaction as the change, and stored (kpis.StoredResult); pages, exports and the API read them.

What an indicator's results depend on, and what refreshes them:
- its own figures (ActualValue: the value and its status, since the public audience counts only approved
  figures), its explicit expected values (ExpectedValue) and its own definition (Indicator: baseline,
  target, direction, aggregation): saved or deleted one by one, the model signals refresh that indicator;
  written in bulk (a submission's status change, an import), the writer calls `refresh()` itself;
- its strategy's years and grade bands (Strategy, GradeBand): every indicator of the strategy.

Two transactions refreshing the same indicator take turns: each locks the indicator's row first, then reads
its inputs, so the second reads what the first committed and never stores a result computed from figures
older than the ones it stored over. (A refresh that waited reads with a new snapshot: PostgreSQL's READ
COMMITTED takes one per statement.)

`manage.py recompute_results` recomputes everything (after an upgrade, or a restore); `--check` compares
what is stored with a fresh computation.
"""

import threading
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import signals

from goals.models import Strategy
from kpis.models import ActualValue, ExpectedValue, GradeBand, Indicator, IndicatorRevision, StoredResult
from kpis.rules import achievement
from kpis.rules.evaluation import as_year_result, compute_indicator, scale_for

AUDIENCES = {StoredResult.Audience.INTERNAL: False, StoredResult.Audience.PUBLIC: True}  # → approved_only
FIELDS = ("expected", "actual", "compared", "rate", "grade", "progress")
# A strategy's fields its results depend on: a save naming only others (has_demo_data…) refreshes nothing.
STRATEGY_FIELDS = frozenset({"first_year", "last_year", "baseline_year"})


def fresh_rows(indicators: Iterable[Indicator]) -> list[StoredResult]:
    """The results of the indicators (fetched `with_figures()`) computed now, for every plan year of their
    strategy and both audiences."""
    scales = {}
    rows = []
    for indicator in indicators:
        strategy = indicator.strategy
        if strategy.pk not in scales:
            scales[strategy.pk] = scale_for(strategy)
        for audience, approved_only in AUDIENCES.items():
            evaluation = compute_indicator(indicator, strategy.plan_years, scales[strategy.pk], approved_only)
            rows.extend(
                StoredResult(
                    indicator=indicator,
                    fiscal_year=year,
                    audience=audience,
                    **{name: getattr(result, name) for name in FIELDS},
                )
                for year, result in evaluation.results.items()
            )
    return rows


@transaction.atomic
def refresh(indicator_ids: Iterable[int]) -> int:
    """Recompute and store the results of these indicators (locked first, in a fixed order); the number
    of results stored."""
    ids = sorted(set(indicator_ids))
    if not ids:
        return 0
    # FOR NO KEY UPDATE on PostgreSQL: two refreshes of one indicator take turns (without the lock, the
    # second would store over the first's rows: tests/kpis/test_stored_results.py), while a write that only
    # refers to the indicator (its foreign-key check takes KEY SHARE) is not held up. SQLite has one writer
    # at a time anyway.
    locked = list(
        Indicator.objects.select_for_update(no_key=True)
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not locked:
        return 0  # deleted meanwhile: its results went with it
    indicators = Indicator.objects.filter(pk__in=locked).with_figures().prefetch_related("revisions")
    rows = fresh_rows(indicators.order_by("pk"))
    StoredResult.objects.filter(indicator_id__in=locked).delete()
    StoredResult.objects.bulk_create(rows)
    return len(rows)


def refresh_strategy(strategy_id: int) -> int:
    return refresh(Indicator.objects.filter(strategy_id=strategy_id).values_list("pk", flat=True))


def refresh_all() -> int:
    return refresh(Indicator.objects.values_list("pk", flat=True))


def fill_missing(sender=None, apps=None, using="default", **kwargs) -> None:
    """After `migrate` (post_migrate): the results of indicators that have none yet, as after the upgrade
    that brought the stored results; one query when nothing is missing."""
    try:
        if apps is not None:  # None after `flush`, which migrates nothing
            apps.get_model("kpis", "StoredResult")
    except LookupError:
        return  # migrated to a state before the stored results
    refresh(Indicator.objects.using(using).filter(results__isnull=True).values_list("pk", flat=True))


@dataclass(frozen=True)
class Difference:
    indicator: str
    fiscal_year: int
    audience: str
    stored: object
    fresh: object


def _key(row: StoredResult) -> tuple:
    return (row.indicator_id, row.fiscal_year, row.audience)


def differences() -> list[Difference]:
    """Every stored result that differs from a fresh computation, or is missing, or is left over."""
    indicators = list(
        Indicator.objects.with_figures().prefetch_related("revisions").order_by("strategy_id", "pk")
    )
    codes = {indicator.pk: indicator.code for indicator in indicators}
    fresh = {_key(row): as_year_result(row) for row in fresh_rows(indicators)}
    stored = {_key(row): as_year_result(row) for row in StoredResult.objects.all()}
    found = []
    for key in sorted(fresh.keys() | stored.keys()):
        if fresh.get(key) != stored.get(key):
            indicator_id, year, audience = key
            found.append(
                Difference(
                    codes.get(indicator_id, str(indicator_id)),
                    year,
                    audience,
                    stored.get(key),
                    fresh.get(key),
                )
            )
    return found


# --- Signals: the writes that go through save() and delete() ----------------------------------------


def _started_here(sender, kwargs) -> bool:
    """A delete this model's own row or queryset started; not one cascading from its indicator or strategy
    (whose results go with it)."""
    origin = kwargs.get("origin")
    model = getattr(origin, "model", None) or type(origin)
    return origin is None or model is sender


def _indicator_input_changed(sender, instance, raw=False, **kwargs) -> None:
    if raw or (kwargs.get("signal") is signals.post_delete and not _started_here(sender, kwargs)):
        return  # raw: loaddata (a restore recomputes everything once at the end)
    _schedule(indicator_id=instance.indicator_id)


def _indicator_changed(sender, instance, raw=False, **kwargs) -> None:
    if not raw:
        _schedule(indicator_id=instance.pk)


@dataclass
class _Pending:
    indicators: set[int] = field(default_factory=set)
    strategies: set[int] = field(default_factory=set)


_local = threading.local()


@contextmanager
def refreshed_once():
    """Many writes as one (loading a plan, saving a whole scale of grade bands, the demo): the signals
    note what changed, and the results are refreshed once, at the end, when everything is written (in
    between, a scale being replaced may have no bottom band). Nested, the outermost refreshes. An error
    leaves nothing to refresh: the transaction it breaks is rolled back."""
    if getattr(_local, "pending", None) is not None:
        yield
        return
    _local.pending = pending = _Pending()
    try:
        yield
    finally:
        _local.pending = None
    for strategy_id in sorted(pending.strategies):
        _refresh_whole_scale(strategy_id)
    refresh(
        pending.indicators
        - set(Indicator.objects.filter(strategy_id__in=pending.strategies).values_list("pk", flat=True))
    )


def _refresh_whole_scale(strategy_id: int) -> None:
    """Refresh the strategy's results if its bands make a scale to grade with. Bands saved one by one (the
    admin) pass through scales that cannot grade (no bottom band yet): the results wait for the save that
    makes the scale whole again."""
    if achievement.can_grade(scale_for(Strategy(pk=strategy_id)).bands):
        refresh_strategy(strategy_id)


def _schedule(*, indicator_id: int | None = None, strategy_id: int | None = None) -> None:
    pending = getattr(_local, "pending", None)
    if pending is None:
        if strategy_id is not None:
            _refresh_whole_scale(strategy_id)
        else:
            refresh([indicator_id])
    elif strategy_id is not None:
        pending.strategies.add(strategy_id)
    else:
        pending.indicators.add(indicator_id)


def _bands_changed(sender, instance, raw=False, **kwargs) -> None:
    if raw or (kwargs.get("signal") is signals.post_delete and not _started_here(sender, kwargs)):
        return
    _schedule(strategy_id=instance.strategy_id)


def _strategy_changed(sender, instance, raw=False, created=False, update_fields=None, **kwargs) -> None:
    if raw or created or (update_fields is not None and not STRATEGY_FIELDS & set(update_fields)):
        return  # a new strategy has no indicators yet
    _schedule(strategy_id=instance.pk)


def watch(app_config) -> None:
    """Connect the signals (from KpisConfig.ready)."""
    signals.post_migrate.connect(fill_missing, sender=app_config, dispatch_uid="results-fill-missing")
    for model in (ActualValue, ExpectedValue, IndicatorRevision):
        signals.post_save.connect(
            _indicator_input_changed, sender=model, dispatch_uid=f"results-{model.__name__}-save"
        )
        signals.post_delete.connect(
            _indicator_input_changed, sender=model, dispatch_uid=f"results-{model.__name__}-delete"
        )
    signals.post_save.connect(_indicator_changed, sender=Indicator, dispatch_uid="results-indicator-save")
    signals.post_save.connect(_bands_changed, sender=GradeBand, dispatch_uid="results-band-save")
    signals.post_delete.connect(_bands_changed, sender=GradeBand, dispatch_uid="results-band-delete")
    signals.post_save.connect(_strategy_changed, sender=Strategy, dispatch_uid="results-strategy-save")
