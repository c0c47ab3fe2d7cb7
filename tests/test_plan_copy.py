"""The `plan` fixture's copy of the real plan (tests/support/plan_copy.py) is what load_plan writes."""

import io

from django.core.management import call_command
from django.db import transaction
from simple_history.models import HistoricalChanges

from tests.support.plan_copy import PlanCopy, _rows, _tables


def _moments(model) -> set[str]:
    """The columns written with the moment a row is saved: a copy's differ from a fresh load's there."""
    stamped = {
        f.attname
        for f in model._meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    }
    return stamped | ({"history_date"} if issubclass(model, HistoricalChanges) else set())


def _database():
    """Every row of every table, keys included, without the moments they were written."""
    database = {}
    for model in _tables():
        moments = _moments(model)
        database[model._meta.db_table] = {
            key: {column: value for column, value in row.items() if column not in moments}
            for key, row in _rows(model).items()
        }
    return database


def _recorded() -> PlanCopy:
    """A PlanCopy that has run load_plan once in this test's database, rolled back: the next load copies."""
    copy = PlanCopy()
    start = transaction.savepoint()
    copy.load()
    transaction.savepoint_rollback(start)
    return copy


def test_a_copy_of_the_plan_is_what_load_plan_writes(db):
    copy = PlanCopy()
    start = transaction.savepoint()
    copy.load()  # the first time: load_plan, and what it wrote is kept
    fresh = _database()
    transaction.savepoint_rollback(start)
    ((added, _changed),) = copy.copies.values()
    assert added, "load_plan wrote nothing"

    copy.load()  # the second time, from the same start: the copy
    assert _database() == fresh


def test_a_database_in_another_state_gets_load_plan_and_its_own_copy(db, django_assert_max_num_queries):
    from goals.models import Department, Strategy

    copy = _recorded()
    Department.objects.create(code="extra", name="新しい課")
    other = transaction.savepoint()
    with django_assert_max_num_queries(10_000) as context:
        copy.load()
    assert len(context.captured_queries) > 100  # load_plan's own reads and writes, not a few bulk inserts
    assert Strategy.objects.get(code="dai3ki").goals.count() == 4
    assert len(copy.copies) == 2

    transaction.savepoint_rollback(other)
    with django_assert_max_num_queries(60):
        copy.load()  # that state's own copy
    assert Strategy.objects.get(code="dai3ki").goals.count() == 4


def test_the_copy_is_a_few_queries(db, django_assert_max_num_queries):
    copy = _recorded()
    with django_assert_max_num_queries(60):
        copy.load()

    out = io.StringIO()
    call_command("load_plan", stdout=out)  # load_plan, run again over the copy, finds nothing to do
    assert out.getvalue() == "計画は最新です（変更なし）。\n"


def test_the_copy_advances_the_data_version_when_it_commits(transactional_db):
    from kpis import versioning

    copy = PlanCopy()
    with transaction.atomic():
        start = transaction.savepoint()
        copy.load()
        transaction.savepoint_rollback(start)
    before = versioning.current()
    copy.load()  # outside a transaction, as a transactional test's plan is: committed, and counted
    assert versioning.current() != before


def test_rows_added_after_a_copy_take_new_keys_even_after_a_restore_lowered_the_sequences(db):
    """loaddata (the restore's tests) sets each key sequence to its table's largest key, and PostgreSQL keeps
    that when the test's transaction is rolled back: the copy moves them past the keys it writes."""
    from django.core.management.color import no_style
    from django.db import connection

    copy = _recorded()
    ((added, _changed),) = copy.copies.values()
    histories = [(model, rows) for model, rows in added if issubclass(model, HistoricalChanges)]
    assert len(histories) > 5
    restored = transaction.savepoint()  # a restore that loaded rows up to the copy's first key, rolled back
    for model, rows in histories:
        model._base_manager.bulk_create([model(**rows[0])])
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [model for model, _ in histories]):
            cursor.execute(statement)
    transaction.savepoint_rollback(restored)

    copy.load()
    for model, rows in histories:  # a history table has no other unique key: a second row of the first
        again = model(**{**rows[0], model._meta.pk.attname: None})
        model._base_manager.bulk_create([again])
        assert model._base_manager.count() == len(rows) + 1
