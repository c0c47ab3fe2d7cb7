"""The forecast (達成見込み, kpis.rules.forecast) as the pages and the workbook show it.

Its figures come from an Evaluation the caller already has (the same audience: approved figures only for
outsiders), so it costs no query; its label and one-line explanation are in the reader's language, its
numbers written as the page or export writes them (「△3」 where the strategy prints negatives so).
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kpis.models import Indicator
from kpis.rules.achievement import Aggregation
from kpis.rules.evaluation import Evaluation, spec_for, spec_in_force
from kpis.rules.forecast import Basis, Forecast, Outlook, forecast
from lib.fiscal import fiscal_year_lines
from lib.numbers import format_decimal

LABELS = {
    Outlook.ON_TRACK: gettext_lazy("見込みあり"),
    Outlook.AT_RISK: gettext_lazy("要注意"),
    Outlook.UNKNOWN: gettext_lazy("判定不可"),
}


@dataclass(frozen=True)
class ShownForecast:
    forecast: Forecast
    explanation: str

    @property
    def status(self) -> str:
        return self.forecast.status.value

    @property
    def label(self) -> str:
        return str(LABELS[self.forecast.status])

    @property
    def decided(self) -> bool:
        """見込みあり or 要注意: a judgement to show as such (判定不可 is only said, never badged)."""
        return self.forecast.status != Outlook.UNKNOWN


def forecast_of(evaluation: Evaluation, up_to: int | None = None) -> Forecast:
    """The forecast from the evaluation's figures (those of its audience), up to the year `up_to` if given."""
    indicator = evaluation.indicator
    actuals = {
        year: record.value
        for year, record in evaluation.records.items()
        if record.value is not None and (up_to is None or year <= up_to)
    }
    # A review of a year before a mid-term revision forecasts against the target then in force.
    revised = up_to is not None and indicator.revised_from_year and up_to < indicator.revised_from_year
    spec = spec_in_force(indicator, up_to) if revised else spec_for(indicator)
    return forecast(spec, actuals, indicator.shown_places)


def shown_forecast(evaluation: Evaluation, *, triangle: bool, up_to: int | None = None) -> ShownForecast:
    """The forecast with its one-line explanation; `triangle`: negatives written 「△3」."""
    result = forecast_of(evaluation, up_to)
    return ShownForecast(result, explanation(result, evaluation.indicator, triangle=triangle))


def explanation(result: Forecast, indicator: Indicator, *, triangle: bool) -> str:
    """「このペースでは2027年度に 288,593百万円（目標 284,394百万円）」 and the like."""
    if result.basis == Basis.NO_TARGET:
        return _("目標値または目標年度が定められていないため、判定できません。")
    if result.basis == Basis.NO_FIGURE:
        return _("基準年度より後の実績値がまだないため、判定できません。")

    def shown(value) -> str:
        return format_decimal(value, indicator.shown_places, triangle=triangle) + indicator.unit

    if result.basis == Basis.TOO_FEW:
        return _("基準値がなく実績値が%(year)sの1年度分だけのため、傾向を出せません。") % {
            "year": fiscal_year_lines(result.latest_year)[0]
        }
    if result.basis == Basis.REACHED:
        message = _("%(year)sに %(value)s で既に目標（%(target)s）に達しています。")
        year, value = result.latest_year, result.latest
    elif result.basis == Basis.TARGET_YEAR:
        message = _("目標年度の%(year)sに %(value)s（目標 %(target)s）。")
        year, value = result.target_year, result.projected
    else:
        message = _("このペースでは%(year)sに %(value)s（目標 %(target)s）。")
        year, value = result.target_year, result.projected
    reached = shown(value)
    if indicator.aggregation == Aggregation.CUMULATIVE:
        reached = _("累計 %(value)s") % {"value": reached}
    return message % {"year": fiscal_year_lines(year)[0], "value": reached, "target": shown(result.target)}
