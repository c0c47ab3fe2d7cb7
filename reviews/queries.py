"""Opinions as the goal and indicator pages and the review workbook show them."""

from goals.models import Strategy
from reviews.models import Opinion


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
