"""A backup restores every value, history row and opinion."""

import datetime

import pytest
from django.apps import apps
from django.core.management import call_command

from goals.models import Strategy
from kpis.models import ActualValue
from reviews.models import Meeting, Opinion
from tests.support.factories import set_actual

pytestmark = pytest.mark.django_db(transaction=True)


def snapshot():
    """Every row of every table the backup covers, by model."""
    tables = {}
    for model in apps.get_models():
        if (
            model._meta.app_label in ("goals", "kpis", "reviews", "auth")
            and model._meta.model_name != "permission"
        ):
            tables[model._meta.label] = sorted(map(repr, model.objects.values()))
    return tables


def test_a_restore_gives_back_every_value_history_row_and_opinion(plan, users, tmp_path):
    set_actual("G2-KGI1", 2025, 400, note="転入超過")
    actual = set_actual("G2-KGI1", 2025, 420, note="修正")
    meeting = Meeting.objects.create(
        strategy=plan, fiscal_year=2025, name="令和7年度第1回創生有識者会議", date=datetime.date(2026, 7, 1)
    )
    Opinion.objects.create(
        strategy=plan,
        fiscal_year=2025,
        meeting=meeting,
        speaker="有識者A",
        text="意見",
        author=users["council"],
    )
    before = snapshot()
    assert ActualValue.history.filter(id=actual.pk).count() == 2

    backup = tmp_path / "backup.xml.gz"
    call_command("backup_data", output=str(backup), stdout=open(tmp_path / "out", "w"))
    call_command("flush", interactive=False, verbosity=0)
    assert not Strategy.objects.exists() and not Opinion.objects.exists()

    call_command("restore_data", str(backup), stdout=open(tmp_path / "out", "w"))
    assert snapshot() == before
    assert ActualValue.history.filter(id=actual.pk).count() == 2


def test_restoring_over_a_loaded_plan_is_refused(plan, tmp_path):
    backup = tmp_path / "backup.xml"
    call_command("backup_data", output=str(backup), stdout=open(tmp_path / "out", "w"))
    with pytest.raises(Exception, match="既に計画があります"):
        call_command("restore_data", str(backup))
