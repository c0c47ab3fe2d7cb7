"""Helpers for the tests of the entry and review screens: year states, the entry URL and a whole-form POST."""

from django.urls import reverse

from kpis.models import ActualValue, FiscalYear, Indicator

OWN_CODES = ["G2-KGI1", "G3-M1-K1", "G3-M1-K2", "G3-M1-K3"]


def set_year_state(strategy, year: int, state: str) -> FiscalYear:
    fiscal_year, _ = FiscalYear.objects.update_or_create(
        strategy=strategy, year=year, defaults={"state": state}
    )
    return fiscal_year


def entry_url(year: int = 2025, department: str = "kodomo") -> str:
    return f"{reverse('cycle:entry', args=[year])}?department={department}"


def entry_data(values: dict[str, str], action: str = "save", department: str = "kodomo", **extra) -> dict:
    """A POST of the whole entry form as the page shows it: every row with its stored version.

    `values` overrides what is typed on some rows; the other rows post what is stored.
    """
    data = {"action": action}
    indicators = Indicator.objects.filter(department__code=department)
    stored = {
        a.indicator_id: a for a in ActualValue.objects.filter(indicator__in=indicators, fiscal_year=2025)
    }
    for indicator in indicators:
        actual = stored.get(indicator.pk)
        prefix = f"i{indicator.pk}"
        shown = "" if actual is None or actual.value is None else str(actual.value)
        data[f"{prefix}-value"] = values.get(indicator.code, shown)
        data[f"{prefix}-note"] = extra.get("note", {}).get(indicator.code, actual.note if actual else "")
        data[f"{prefix}-cause_analysis"] = actual.cause_analysis if actual else ""
        data[f"{prefix}-next_step"] = extra.get("next_step", {}).get(
            indicator.code, actual.next_step if actual else ""
        )
        data[f"{prefix}-version"] = str(actual.version if actual else 0)
    return data


def login(client, user):
    client.force_login(user)
    return client


def value_of(code: str, year: int = 2025):
    actual = ActualValue.objects.filter(indicator__code=code, fiscal_year=year).first()
    return actual.value if actual else None
