"""The migration that gives grade bands English texts fills the plan's default bands, with a history row."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("kpis", "0006_staged_upload")]
AFTER = [("kpis", "0007_grade_band_english")]


@pytest.fixture
def before_english(transactional_db):
    """The schema as it was before the migration; put back to the latest afterwards, whatever happens."""
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    yield executor
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_the_default_bands_get_english_and_renamed_ones_keep_their_japanese_only(before_english):
    executor = before_english
    old = executor.loader.project_state(BEFORE).apps
    strategy = old.get_model("goals", "Strategy").objects.create(
        code="s", name="戦略", first_year=2025, last_year=2027, baseline_year=2024
    )
    bands = old.get_model("kpis", "GradeBand").objects
    bands.create(strategy=strategy, label="A", name="順調", lower_bound=100, description="達成率100％以上")
    bands.create(strategy=strategy, label="B+", name="まずまず", lower_bound=80, description="独自の説明")
    bands.create(strategy=strategy, label="C", name="遅れ", lower_bound=None, description="独自の説明")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    stored = new.get_model("kpis", "GradeBand").objects.order_by("label")
    assert list(stored.values_list("label", "name_en", "description_en")) == [
        ("A", "On track", "Achievement rate 100% or more"),
        ("B+", "", ""),
        ("C", "Behind", ""),  # the default name, a description of the town's own: no English for it
    ]
    history = new.get_model("kpis", "HistoricalGradeBand").objects
    assert sorted(history.values_list("label", "history_change_reason")) == [
        ("A", "評価区分の英語の名称・説明の設定"),
        ("C", "評価区分の英語の名称・説明の設定"),
    ]
