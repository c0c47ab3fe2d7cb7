"""lib.choices.ChoiceLabels says what Django's get_FOO_display says, on every model of the project."""

import pytest
from django.apps import apps
from django.db import models
from django.utils import translation

from lib.choices import ChoiceLabels

PROJECT_APPS = {"accounts", "goals", "kpis", "reviews", "reports", "office", "maintenance"}


def _choice_fields():
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS or model.__name__.startswith("Historical"):
            continue
        for field in model._meta.concrete_fields:
            if field.choices:
                yield model, field


CHOICE_FIELDS = list(_choice_fields())


def test_every_model_with_choices_shows_its_labels_through_the_mixin():
    assert len(CHOICE_FIELDS) >= 10  # ActualValue.status, Submission.state, Opinion.follow_up…
    assert [f"{m.__name__}.{f.name}" for m, f in CHOICE_FIELDS if not issubclass(m, ChoiceLabels)] == []


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize(
    ("model", "field"), CHOICE_FIELDS, ids=lambda p: getattr(p, "__name__", getattr(p, "name", p))
)
def test_labels_are_djangos_in_each_language(model, field, language):
    instance = model()
    values = [value for value, _label in field.flatchoices] + ["", "not-a-choice", None]
    with translation.override(language):
        for value in values:
            setattr(instance, field.attname, value)
            shown = getattr(instance, f"get_{field.name}_display")()
            assert shown == models.Model._get_FIELD_display(instance, field)
            assert type(shown) is type(models.Model._get_FIELD_display(instance, field))


def test_a_label_follows_the_language_of_the_request_in_turn():
    from kpis.models import ActualValue

    figure = ActualValue(status=ActualValue.Status.APPROVED)
    with translation.override("ja"):
        assert figure.get_status_display() == "承認済"
    with translation.override("en"):
        english = figure.get_status_display()
    with translation.override("ja"):
        again = figure.get_status_display()
    assert english != "承認済" and english.strip() and again == "承認済"
