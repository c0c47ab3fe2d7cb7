"""Plausibility warnings of a year's figures (kpis.rules.plausibility), as the entry and review pages, the
submit step and the lock checklist show them, with the thresholds of the strategy's CycleSettings."""

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from goals.models import Department, Strategy
from kpis.models import CycleSettings, Indicator
from kpis.rules import plausibility
from kpis.rules.achievement import YearResult
from kpis.rules.evaluation import Evaluation, scale_for, year_evaluations
from lib.negatives import triangle_negatives
from lib.numbers import format_decimal

_MESSAGES = {
    plausibility.Check.FAR_FROM_EXPECTED: gettext_lazy(
        "期待値（%(reference)s）から大きく離れています（%(ratio)s倍超または%(ratio)s分の1未満）。"
    ),
    plausibility.Check.FAR_FROM_PREVIOUS: gettext_lazy(
        "前年度（%(reference)s）から大きく変わっています（%(ratio)s倍超または%(ratio)s分の1未満）。"
    ),
    plausibility.Check.SIGN_CHANGE: gettext_lazy("前年度（%(reference)s）と符号が変わっています。"),
    plausibility.Check.NEGATIVE_COUNT: gettext_lazy("人数・件数などの指標に負の値が入力されています。"),
    plausibility.Check.OVER_100_PERCENT: gettext_lazy("割合が100％を超えています。"),
    plausibility.Check.GRADE: gettext_lazy("評価が「%(grade)s」です。"),
}


def thresholds_of(strategy: Strategy) -> plausibility.Thresholds:
    return CycleSettings.of(strategy).thresholds()


def previous(indicator: Indicator, evaluation: Evaluation, year: int) -> tuple[Decimal | None, bool]:
    """Last year's figure, or the baseline when the baseline year is last year: (value, is_baseline)."""
    if indicator.baseline_year == year - 1:
        return indicator.baseline_value, True
    record = evaluation.record(year - 1)
    return (record.value if record else None), False


def warning_texts(
    indicator: Indicator,
    result: YearResult,
    previous_value: Decimal | None,
    grade_name: str,
    thresholds: plausibility.Thresholds,
) -> list[str]:
    """The warnings the year's figure raises, as sentences for the person who typed it."""
    found = plausibility.check(
        result.actual,
        expected=result.expected,
        previous=previous_value,
        unit=indicator.unit,
        grade=result.grade or None,
        thresholds=thresholds,
    )
    texts = []
    for warning in found:
        reference = ""
        if warning.reference is not None:
            far = warning.check == plausibility.Check.FAR_FROM_EXPECTED
            places = indicator.shown_places if far else indicator.decimal_places
            reference = (
                format_decimal(warning.reference, places, triangle=triangle_negatives()) + indicator.unit
            )
        params = {"reference": reference, "ratio": format_decimal(thresholds.ratio), "grade": grade_name}
        texts.append(str(_MESSAGES[warning.check]) % params)
    return texts


def warned_indicators(
    strategy: Strategy, year: int, department: Department | None = None
) -> list[tuple[Indicator, list[str], bool]]:
    """(indicator, warnings, explained) of every figure of the year with a warning, in plan order;
    `explained`: its 要因分析 or 備考 says something. One department's, or every department's."""
    indicators = Indicator.objects.of_strategy(strategy)
    if department is not None:
        indicators = indicators.filter(department=department)
    scale = scale_for(strategy)
    thresholds = thresholds_of(strategy)
    found = []
    for evaluation in year_evaluations(indicators, strategy, year):
        indicator = evaluation.indicator
        result = evaluation.year(year)
        value, _is_baseline = previous(indicator, evaluation, year)
        texts = warning_texts(indicator, result, value, scale.name_of(result.grade), thresholds)
        if texts:
            record = evaluation.record(year)
            explained = bool(record and (record.cause_analysis.strip() or record.note.strip()))
            found.append((indicator, texts, explained))
    return found


def unexplained_message(warned: list[tuple[Indicator, list[str], bool]]) -> str:
    """The refusal of a submission whose warned figures carry no word of explanation; "" when none."""
    missing = [indicator for indicator, _texts, explained in warned if not explained]
    if not missing:
        return ""
    return _(
        "確認が必要な値に説明がありません。値が正しければ、要因分析または備考に理由を書いてから提出してください：%(codes)s"
    ) % {"codes": "、".join(f"{i.code} {i.name}" for i in missing)}
