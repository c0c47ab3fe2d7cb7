"""The dashboards read entered figures as plain values (reports.dashboards.queries.ShownFigure), not as
ActualValue objects: for every status and quality, with and without a value, the marks drawn from one are
those drawn from the model, and page_figures reads what the model holds (outsiders: approved ones only)."""

import itertools
from decimal import Decimal

import pytest

from kpis.models import ActualValue, Indicator, ShownFigure
from kpis.templatetags.late_figures import quality_mark, unapproved_mark
from reports.dashboards.queries import page_figures
from tests.support.factories import set_actual

Status, Quality = ActualValue.Status, ActualValue.Quality


@pytest.mark.parametrize(
    ("status", "quality", "value"), list(itertools.product(Status, Quality, [None, Decimal("-3.5")]))
)
def test_a_shown_figure_draws_the_marks_the_model_draws(status, quality, value):
    model = ActualValue(fiscal_year=2025, value=value, status=status, quality=quality)
    shown = ShownFigure(2025, value, str(status), str(quality))
    assert shown.get_status_display() == model.get_status_display()
    assert shown.get_quality_display() == model.get_quality_display()
    assert shown.quality_symbol == model.quality_symbol
    assert quality_mark(shown) == quality_mark(model)
    assert unapproved_mark(shown) == unapproved_mark(model)


@pytest.mark.django_db
def test_page_figures_reads_each_figure_as_stored_and_hides_unapproved_ones_from_outsiders(plan):
    set_actual("G3-M1-K1", 2025, "12.5", quality=Quality.PROVISIONAL)
    set_actual("G3-M1-K1", 2026, 7, status=Status.DRAFT)
    set_actual("G3-M1-K2", 2025, None, status=Status.SUBMITTED)
    indicators = list(Indicator.objects.filter(code__in=["G3-M1-K1", "G3-M1-K2", "G3-M1-K3"]))
    by_code = {i.code: i.pk for i in indicators}

    internal = page_figures(indicators, [2025, 2026, 2027], internal=True)
    for actual in ActualValue.objects.filter(indicator__in=indicators):
        shown = internal[actual.indicator_id][actual.fiscal_year]
        assert shown == (actual.fiscal_year, actual.value, actual.status, actual.quality)
    assert set(internal[by_code["G3-M1-K1"]]) == {2025, 2026}
    assert by_code["G3-M1-K3"] not in internal or not internal[by_code["G3-M1-K3"]]

    public = page_figures(indicators, [2025, 2026, 2027], internal=False)
    assert set(public[by_code["G3-M1-K1"]]) == {2025}
    assert public[by_code["G3-M1-K1"]][2025].value == Decimal("12.5")
    assert by_code["G3-M1-K2"] not in public
    assert page_figures(indicators, [2028], internal=True) == {}
