"""What the review pages read: opinions as the goal and indicator pages and the review workbook show them,
and the meeting page's KGIs."""

from goals.models import Strategy
from kpis.models import ActualValue, Indicator, Kind
from reviews.models import Opinion

# What the meeting page shows of a KGI: its row, its figures with their unit and decimals (shown_places).
KGI_FIELDS = (
    "code",
    "name",
    "kind",
    "goal",
    "unit",
    "note",
    "decimal_places",
    "baseline_value",
    "target_value",
)


def opinions_for_year(strategy: Strategy, fiscal_year: int):
    """This year's opinions, last year's (with their follow-up) and older ones still unsettled."""
    return Opinion.objects.carried_into(strategy, fiscal_year).with_related().order_by("fiscal_year", "pk")


def opinions_by_indicator(strategy: Strategy, fiscal_year: int) -> dict[int, list[Opinion]]:
    result: dict[int, list[Opinion]] = {}
    for opinion in opinions_for_year(strategy, fiscal_year).filter(indicator__isnull=False):
        result.setdefault(opinion.indicator_id, []).append(opinion)
    return result


def opinions_by_goal(strategy: Strategy, fiscal_year: int) -> dict[int | None, list[Opinion]]:
    """Opinions on a goal (key: goal id) and on the whole plan (key: None)."""
    result: dict[int | None, list[Opinion]] = {}
    for opinion in opinions_for_year(strategy, fiscal_year).filter(indicator__isnull=True):
        result.setdefault(opinion.goal_id, []).append(opinion)
    return result


def meeting_kgis(strategy: Strategy):
    """The strategy's KGIs in plan order, with only the fields the meeting page shows: their results are
    read as stored values (kpis.rules.evaluation.stored_results), not through figure objects."""
    return Indicator.objects.of_strategy(strategy).filter(kind=Kind.KGI).only(*KGI_FIELDS)


def kgi_figures(strategy: Strategy, fiscal_year: int) -> dict[int, ActualValue]:
    """By indicator id, each KGI's figure of `fiscal_year` as entered: its value and status (承認前 or not)."""
    figures = ActualValue.objects.filter(
        indicator__strategy=strategy, indicator__kind=Kind.KGI, fiscal_year=fiscal_year
    ).only("indicator", "fiscal_year", "value", "status")
    return {figure.indicator_id: figure for figure in figures}
