"""Evaluate on write (kpis.rules.stored): every write of an input refreshes the stored results of exactly
the indicators it affects, in its own transaction, and what is stored always equals a fresh computation;
pages, exports and the API read the stored results and never recompute them."""

import io
import threading
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from goals.models import Department, Goal, Strategy
from kpis.cycle import services as cycle
from kpis.models import ActualValue, GradeBand, Indicator, Kind, StoredResult
from kpis.rules import evaluation, stored
from kpis.rules.scale import DEFAULT_GRADES
from office import services as office
from tests.support.factories import PASSWORD, make_user
from tests.support.races import own_connections_database

Status = ActualValue.Status
YEARS = (2025, 2026, 2027)
values = st.decimals(min_value=-1000, max_value=100000, places=2, allow_nan=False, allow_infinity=False)
indicator_number = st.integers(min_value=0, max_value=2)
year = st.sampled_from(YEARS)

# One write each, as the app makes them: a figure saved or deleted (the entry screen's save()), the
# statuses of an indicator's figures changed in bulk (submit, approve, return), the indicator's definition
# and its explicit expected values (the planning office's form), the grade bands, the plan's years.
writes = st.one_of(
    st.tuples(st.just("actual"), indicator_number, year, st.none() | values, st.sampled_from(Status.values)),
    st.tuples(st.just("status"), indicator_number, st.sampled_from(Status.values)),
    st.tuples(
        st.just("definition"),
        indicator_number,
        st.fixed_dictionaries(
            {},
            optional={
                "baseline_value": st.none() | values,
                "target_value": st.none() | values,
                "direction": st.sampled_from(["higher", "lower"]),
                "aggregation": st.sampled_from(["annual", "cumulative"]),
            },
        ),
    ),
    st.tuples(st.just("expected"), indicator_number, year, st.none() | values),
    st.tuples(st.just("bands"), st.sampled_from([Decimal("90.0"), Decimal("100.0"), Decimal("110.0")])),
    st.tuples(st.just("years"), st.sampled_from([2026, 2027, 2028])),
)


def make_strategy(code="stored") -> Strategy:
    strategy = Strategy.objects.create(
        code=code, name="評価の保存", first_year=2025, last_year=2027, baseline_year=2024, is_active=True
    )
    for grade in DEFAULT_GRADES:
        GradeBand.objects.create(
            strategy=strategy,
            label=grade.label,
            name=grade.name,
            lower_bound=grade.lower_bound,
            description=grade.description,
            colour=grade.colour,
        )
    goal = Goal.objects.create(strategy=strategy, code="G1", number=1, title="目標")
    department, _ = Department.objects.get_or_create(code="d", defaults={"name": "課"})
    for number, (direction, aggregation) in enumerate(
        [("higher", "annual"), ("lower", "annual"), ("higher", "cumulative")], start=1
    ):
        Indicator.objects.create(
            strategy=strategy,
            code=f"G1-KGI{number}",
            kind=Kind.KGI,
            goal=goal,
            order=number,
            name=f"指標{number}",
            direction=direction,
            aggregation=aggregation,
            baseline_year=2024,
            baseline_value=Decimal(100),
            target_year=2027,
            target_value=Decimal(130),
            department=department,
        )
    return strategy


def apply(write, strategy: Strategy, user) -> None:
    kind, *args = write
    indicators = list(Indicator.objects.filter(strategy=strategy).order_by("order"))
    if kind == "actual":
        number, fiscal_year, value, status = args
        record = ActualValue.objects.filter(indicator=indicators[number], fiscal_year=fiscal_year).first()
        if value is None:
            if record is not None:
                record.delete()
            return
        record = record or ActualValue(indicator=indicators[number], fiscal_year=fiscal_year)
        record.value, record.status = value, status
        record.save()
    elif kind == "status":
        number, status = args
        cycle._set_status(
            ActualValue.objects.filter(indicator=indicators[number]), status, user=user, reason="検証"
        )
    elif kind in ("definition", "expected"):
        indicator = indicators[args[0]]
        changes, expected = (args[1], {}) if kind == "definition" else ({}, {args[1]: args[2]})
        cycle.indicator_update(
            user=user,
            indicator=indicator,
            changes=changes,
            expected=expected,
            marker=cycle.indicator_marker(indicator),
            reason="検証",
        )
    elif kind == "bands":
        (lower_bound,) = args
        band = GradeBand.objects.get(strategy=strategy, label="A")
        band.lower_bound = lower_bound
        office.grade_bands_save(user=user, strategy=strategy, bands=[band], deleted=[], reason="検証")
    else:
        (strategy.last_year,) = args
        strategy.save()


class StoredEqualsFresh(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.strategy = make_strategy()
        cls.user = make_user("planner", "planning_office")

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(writes, min_size=1, max_size=8))
    def test_after_every_write_the_stored_results_equal_a_fresh_computation(self, sequence):
        self.strategy.refresh_from_db()
        for write in sequence:
            apply(write, self.strategy, self.user)
            assert stored.differences() == [], write
        assert StoredResult.objects.count() == 3 * len(self.strategy.plan_years) * 2


class LeanReadsEqualFresh(TestCase):
    """The overview's, the goal page's and the review workbook's lean reads — the KPIs' grades by goal, each
    indicator's grade, the indicators whose grade changed since the year before, the whole plan's
    evaluations — give what a fresh computation gives, for both audiences, also when a result is missing
    from the store (computed on read)."""

    @classmethod
    def setUpTestData(cls):
        cls.strategy = make_strategy()
        cls.user = make_user("planner", "planning_office")

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(writes, min_size=1, max_size=8), st.booleans())
    def test_the_grades_by_goal_and_the_changed_grades_equal_a_fresh_computation(self, sequence, lose_one):
        self.strategy.refresh_from_db()
        for write in sequence:
            apply(write, self.strategy, self.user)
        if lose_one:
            StoredResult.objects.filter(indicator__strategy=self.strategy, indicator__order=2).delete()
        indicators = Indicator.objects.of_strategy(self.strategy)
        scale = evaluation.scale_for(self.strategy)
        for internal in (True, False):
            fresh = [
                evaluation.compute_indicator(i, self.strategy.plan_years, scale, approved_only=not internal)
                for i in indicators.with_figures()
            ]
            for year in self.strategy.plan_years:
                by_goal = evaluation.stored_grades_by_goal(indicators, year, internal)
                assert {g: sorted(grades) for g, grades in by_goal.items()} == {
                    self.strategy.goals.get().pk: sorted(e.year(year).grade for e in fresh)
                }
                # The goal page's read: each indicator's grade beside its fields, in the queryset's order.
                assert evaluation.graded_rows(indicators, year, internal, "code") == [
                    (e.indicator.pk, e.indicator.code, e.year(year).grade) for e in fresh
                ], (internal, year)
                # The review workbook's read: every year's results and figures; the reviewed year's
                # figures as the model objects (their notes are shown), the others' value and status.
                plan = evaluation.evaluate_plan(self.strategy, year, approved_only=not internal, scale=scale)
                assert [(e.indicator.pk, e.results) for e in plan] == [
                    (e.indicator.pk, e.results) for e in fresh
                ]
                for lean, full in zip(plan, fresh, strict=True):
                    assert {y: (r.value, r.status) for y, r in lean.records.items()} == {
                        y: (r.value, r.status) for y, r in full.records.items()
                    }
                    if (reviewed := lean.record(year)) is not None:
                        assert reviewed == full.record(year) and reviewed.indicator is lean.indicator
                if year - 1 not in self.strategy.plan_years:
                    continue
                steps = evaluation.stored_grade_steps(indicators, year, internal)
                assert [(s.indicator.code, s.before, s.after, s.reported) for s in steps] == [
                    (
                        e.indicator.code,
                        e.year(year - 1).grade,
                        e.year(year).grade,
                        e.year(year).actual is not None,
                    )
                    for e in fresh
                    if e.year(year - 1).grade != e.year(year).grade
                ], (internal, year)


def rows_by_indicator(strategy) -> dict[str, set[int]]:
    """Each indicator's stored rows (their primary keys): a refreshed indicator gets new ones."""
    found = {}
    for code, pk in StoredResult.objects.filter(indicator__strategy=strategy).values_list(
        "indicator__code", "pk"
    ):
        found.setdefault(code, set()).add(pk)
    return found


@pytest.fixture
def two_strategies(db):
    return make_strategy("first"), make_strategy("second")


def test_a_figure_refreshes_its_own_indicator_only(two_strategies):
    first, second = two_strategies
    before = {strategy.code: rows_by_indicator(strategy) for strategy in two_strategies}
    indicator = Indicator.objects.get(strategy=first, code="G1-KGI1")
    ActualValue.objects.create(indicator=indicator, fiscal_year=2025, value=Decimal(112), status=Status.DRAFT)
    after = {strategy.code: rows_by_indicator(strategy) for strategy in two_strategies}
    assert after["second"] == before["second"]
    assert {code: pks for code, pks in after["first"].items() if code != "G1-KGI1"} == {
        code: pks for code, pks in before["first"].items() if code != "G1-KGI1"
    }
    assert after["first"]["G1-KGI1"].isdisjoint(before["first"]["G1-KGI1"])
    internal = {"indicator": indicator, "fiscal_year": 2025, "audience": StoredResult.Audience.INTERNAL}
    assert StoredResult.objects.get(**internal).actual == Decimal(112)
    # The public audience counts only approved figures: a draft changes nothing there.
    public = {**internal, "audience": StoredResult.Audience.PUBLIC}
    assert StoredResult.objects.get(**public).actual is None


def test_the_grade_bands_refresh_their_strategy_only(two_strategies):
    first, second = two_strategies
    user = make_user("planner", "planning_office")
    for strategy in (first, second):
        for indicator in Indicator.objects.filter(strategy=strategy):
            ActualValue.objects.create(
                indicator=indicator, fiscal_year=2025, value=Decimal(105), status=Status.APPROVED
            )
    before_second = rows_by_indicator(second)
    band = GradeBand.objects.get(strategy=first, label="A")
    band.lower_bound = Decimal("120.0")
    office.grade_bands_save(user=user, strategy=first, bands=[band], deleted=[], reason="基準の見直し")
    assert rows_by_indicator(second) == before_second
    grades = set(
        StoredResult.objects.filter(indicator__strategy=first, fiscal_year=2025).values_list(
            "grade", flat=True
        )
    )
    assert "A" not in grades and stored.differences() == []


def test_a_status_change_in_bulk_refreshes_the_public_results(two_strategies):
    first, _second = two_strategies
    user = make_user("planner", "planning_office")
    indicator = Indicator.objects.get(strategy=first, code="G1-KGI1")
    ActualValue.objects.create(
        indicator=indicator, fiscal_year=2025, value=Decimal(112), status=Status.SUBMITTED
    )
    public = {"indicator": indicator, "fiscal_year": 2025, "audience": StoredResult.Audience.PUBLIC}
    assert StoredResult.objects.get(**public).actual is None
    cycle._set_status(
        ActualValue.objects.filter(indicator=indicator), Status.APPROVED, user=user, reason="承認"
    )
    assert StoredResult.objects.get(**public).actual == Decimal(112)


def test_deleting_an_indicator_takes_its_results_with_it(two_strategies):
    first, _second = two_strategies
    indicator = Indicator.objects.get(strategy=first, code="G1-KGI1")
    ActualValue.objects.create(indicator=indicator, fiscal_year=2025, value=Decimal(112))
    indicator.delete()
    assert not StoredResult.objects.filter(indicator_id=indicator.pk).exists()
    assert stored.differences() == []


def test_the_command_recomputes_and_its_check_names_every_difference(two_strategies):
    first, _second = two_strategies
    out = io.StringIO()
    call_command("recompute_results", "--check", stdout=out)
    assert "一致" in out.getvalue()
    StoredResult.objects.filter(
        indicator__code="G1-KGI2", indicator__strategy=first, fiscal_year=2026
    ).update(grade="A")
    out = io.StringIO()
    with pytest.raises(CommandError, match="2 件"):
        call_command("recompute_results", "--check", stdout=out)
    assert "G1-KGI2 2026年度" in out.getvalue()
    call_command("recompute_results", stdout=io.StringIO())
    call_command("recompute_results", "--check", stdout=io.StringIO())


def test_migrate_fills_in_the_results_an_upgrade_has_not_computed_yet(two_strategies):
    count = StoredResult.objects.count()
    StoredResult.objects.all().delete()
    stored.fill_missing(apps=apps)
    assert StoredResult.objects.count() == count and stored.differences() == []


def test_every_page_export_and_the_api_read_the_stored_results_without_computing(
    plan, client, monkeypatch, settings
):
    """With the computation switched off, every reader still answers: none of them recomputes."""
    from tests.support.factories import set_actual

    set_actual("G1-KGI1", 2025, "279000")
    set_actual("G1-M1-K1", 2025, "23")

    def refuse(*args, **kwargs):
        raise AssertionError("computed on read")

    monkeypatch.setattr(evaluation, "compute_indicator", refuse)
    client.login(username=make_user("planner", "planning_office").username, password=PASSWORD)
    for url in [
        reverse("dashboards:home"),
        reverse("dashboards:goal", args=["G1"]),
        reverse("dashboards:indicators"),
        reverse("dashboards:indicator", args=["G1-KGI1"]),
        reverse("api:indicators_json"),
        reverse("api:indicators_csv"),
        reverse("excel:review_workbook") + "?fiscal_year=2025",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        if response.streaming:
            b"".join(response.streaming_content)  # a streamed body is made while it is read


@pytest.mark.django_db(transaction=True)
def test_two_people_saving_figures_of_one_indicator_at_once_both_count(tmp_path, monkeypatch):
    """Both have written their figure before either refreshes the (cumulative) indicator's results: on
    PostgreSQL neither waits for the other's figure, and the refreshes take turns, the second reading what
    the first committed; on SQLite the second writer waits for the first's commit."""
    strategy = make_strategy()
    indicator = Indicator.objects.get(strategy=strategy, code="G1-KGI3")
    with own_connections_database(tmp_path):
        both_written = threading.Barrier(2, timeout=3)
        real_refresh = stored.refresh

        def refresh_when_both_have_written(ids):
            try:
                both_written.wait()
            except threading.BrokenBarrierError:
                pass  # SQLite: the other writer is waiting for this commit
            return real_refresh(ids)

        monkeypatch.setattr(stored, "refresh", refresh_when_both_have_written)
        errors = []

        def save(year, value):
            try:
                with transaction.atomic():
                    ActualValue.objects.create(
                        indicator_id=indicator.pk,
                        fiscal_year=year,
                        value=Decimal(value),
                        status=Status.APPROVED,
                    )
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                errors.append(error)
            finally:
                connections.close_all()

        people = [threading.Thread(target=save, args=args) for args in [(2025, "40"), (2026, "45")]]
        for person in people:
            person.start()
        for person in people:
            person.join(timeout=60)
        monkeypatch.setattr(stored, "refresh", real_refresh)
        assert errors == []
        assert stored.differences() == []
        internal = StoredResult.objects.get(
            indicator=indicator, fiscal_year=2026, audience=StoredResult.Audience.INTERNAL
        )
        assert internal.compared == Decimal(85)  # 40 + 45: the sum since the plan's first year


def test_loading_the_plan_computes_its_results_once_at_the_end(db):
    with CaptureQueriesContext(connection) as queries:
        call_command("load_plan", verbosity=0)
    deletes = [q["sql"] for q in queries if q["sql"].startswith("DELETE") and "storedresult" in q["sql"]]
    assert len(deletes) == 1  # one refresh of every indicator, not one per saved row
    assert StoredResult.objects.count() == Indicator.objects.count() * 3 * 2
    assert stored.differences() == []
