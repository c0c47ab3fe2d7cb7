"""The real plan for the `plan` fixture: loaded by load_plan once per test process, then copied back.

Two thirds of the suite start from the real 第３期 plan, and load_plan takes about half a second (700 queries:
each object validated, saved and given its history row). The first test of a process that asks for the plan
runs load_plan and keeps what it wrote: every row it added and every row it changed, in every table. Later
tests get those rows written back in a few bulk inserts, with the same keys, when their database is in the
same state as the first one's was (the rows and key range of every table); a test whose database is in
another state (it made rows before asking for the plan, or followed a transactional test) runs load_plan,
and the copy is kept for that state too. tests/test_plan_copy.py proves a copy equals a fresh load, table
by table.
"""

from django.apps import apps
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction

from kpis import versioning


def _tables():
    """The model of every table Django manages, history and many-to-many tables included."""
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    ]


def _rows(model) -> dict:
    """Every row of a model's table by key, each as the values of its columns."""
    key = model._meta.pk.attname
    columns = [field.attname for field in model._meta.concrete_fields]
    return {row[key]: row for row in model._base_manager.values(*columns)}


def _shape() -> tuple:
    """How many rows each table holds, and its lowest and highest key, in one query."""
    parts = []
    for model in _tables():
        table = connection.ops.quote_name(model._meta.db_table)
        pk = connection.ops.quote_name(model._meta.pk.column)
        parts.append(f"SELECT COUNT(*), CAST(MIN({pk}) AS TEXT), CAST(MAX({pk}) AS TEXT) FROM {table}")
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(f"SELECT * FROM ({part}) AS t{i}" for i, part in enumerate(parts)))
        return tuple(tuple(str(value) for value in row) for row in cursor.fetchall())


class PlanCopy:
    """What load_plan wrote into a database, for each state (`_shape`) it was run in: rows added and rows
    changed. A transactional test empties the tables and makes the content types again, under new keys: the
    tests after it find a second state, which gets its own copy."""

    def __init__(self):
        self.copies: dict[tuple, tuple[list, list]] = {}

    def load(self) -> None:
        shape = _shape()
        if shape in self.copies:
            self._write(*self.copies[shape])
        else:
            self.copies[shape] = self._record()

    @staticmethod
    def _record() -> tuple[list, list]:
        """Run load_plan; return (model, rows) of the rows it added and of those it changed."""
        before = {model: _rows(model) for model in _tables()}
        call_command("load_plan", verbosity=0)
        added, changed = [], []
        for model, old in before.items():
            now = _rows(model)
            if new := [row for pk, row in now.items() if pk not in old]:
                added.append((model, new))
            if different := [row for pk, row in now.items() if pk in old and row != old[pk]]:
                changed.append((model, different))
        return added, changed

    @staticmethod
    def _write(added: list, changed: list) -> None:
        # Foreign keys are checked when the transaction ends (Django declares them deferrable), so the
        # tables can be filled in any order.
        with transaction.atomic():
            for model, rows in added:
                model._base_manager.bulk_create([model(**row) for row in rows], batch_size=500)
            _keys_after_the_copy([model for model, _ in added])
            for model, rows in changed:
                key = model._meta.pk.attname
                for row in rows:
                    values = {column: value for column, value in row.items() if column != key}
                    model._base_manager.filter(pk=row[key]).update(**values)
            versioning.changed()  # as load_plan's saves do, through the model signals bulk writes skip


def _keys_after_the_copy(models: list) -> None:
    """PostgreSQL's key sequences moved past the keys copied (SQLite's follow the rows by themselves).

    A sequence is not rolled back with a test's transaction, and loaddata (a test of the restore) sets it
    to the largest key its table held then: a copy's rows could otherwise sit on keys the next insert takes.
    """
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    if statements:
        with connection.cursor() as cursor:
            cursor.execute("\n".join(statements))


COPY = PlanCopy()
