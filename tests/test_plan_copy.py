"""The `plan` fixture's copy of the real plan (tests/support/plan_copy.py) is what load_plan writes."""

import io

from django.core.management import call_command
from django.db import transaction

from tests.support.plan_copy import PlanCopy, _rows, _tables

# Written when a row is saved, so a copy's differ from a fresh load's by the moment they were made.
MOMENTS = {"created_at", "updated_at", "history_date", "computed_at", "changed_at", "modified_at"}


def _database():
    """Every row of every table, keys included, without the moments they were written."""
    return {
        model._meta.db_table: {
            key: {column: value for column, value in row.items() if column not in MOMENTS}
            for key, row in _rows(model).items()
        }
        for model in _tables()
    }


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

    copy = PlanCopy()
    start = transaction.savepoint()
    copy.load()
    transaction.savepoint_rollback(start)

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
    copy = PlanCopy()
    start = transaction.savepoint()
    copy.load()
    transaction.savepoint_rollback(start)
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
