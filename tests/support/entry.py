"""Helpers for the tests of the entry and review screens: year states, the entry URL and a whole-form POST."""

from html.parser import HTMLParser

from django.urls import reverse

from kpis.cycle.services import shown_mark
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
    """A POST of the whole entry form as the page shows it now: every row with its stored version and mark.

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
        data[f"{prefix}-shown"] = shown_mark(actual)
    return data


def login(client, user):
    client.force_login(user)
    return client


def value_of(code: str, year: int = 2025):
    actual = ActualValue.objects.filter(indicator__code=code, fiscal_year=year).first()
    return actual.value if actual else None


class _FormFields(HTMLParser):
    """The fields a browser posts from the form of a class (form.entry-form) as the page shows them."""

    def __init__(self, form_class: str):
        super().__init__()
        self.form_class = form_class
        self.inside = False
        self.fields: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = self.form_class in (attrs.get("class") or "").split()
            return
        if tag == "option" and self.inside and self._select:
            if self._select not in self.fields or "selected" in attrs:
                self.fields[self._select] = attrs.get("value", "")
            return
        if not self.inside or "name" not in attrs or "disabled" in attrs:
            return
        name = attrs["name"]
        if tag == "input" and attrs.get("type") in ("radio", "checkbox"):
            if "checked" in attrs:
                self.fields[name] = attrs.get("value", "on")
        elif tag == "input" and attrs.get("type") not in ("submit", "button"):
            self.fields[name] = attrs.get("value") or ""
        elif tag == "textarea":
            self.fields[name] = ""
            self._textarea = name
        elif tag == "select":
            self._select = name

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            # Browsers drop the one line break that follows <textarea>.
            if self._textarea and self.fields[self._textarea].startswith("\n"):
                self.fields[self._textarea] = self.fields[self._textarea][1:]
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data


def form_fields(html: str, form_class: str = "entry-form") -> dict[str, str]:
    """Every input of the page's form of that class (hidden ones too) as a browser would post it."""
    parser = _FormFields(form_class)
    parser.feed(html)
    assert parser.fields, f"the page has no form.{form_class}"
    return parser.fields


def page_data(response, action: str = "save") -> dict[str, str]:
    """What pressing a button of the entry page sends, as the page stands."""
    return {**form_fields(response.content.decode()), "action": action}


def field(code: str, name: str = "value") -> str:
    """The name of one input of the entry form: field("G3-M1-K1", "note") → "i12-note"."""
    return f"i{Indicator.objects.get(code=code).pk}-{name}"


def submit_url(year: int = 2025, department: str = "kodomo") -> str:
    return f"{reverse('cycle:entry_submit', args=[year])}?department={department}"


def save_and_submit(client, values: dict[str, str], department: str = "kodomo", explain: bool = True):
    """保存して提出 on the entry page, then 提出する on the confirmation step; the second response.

    explain: every row carries a note, so that plausibility warnings do not stop the submission.
    """
    extra = {"note": {code: "確認済みです。" for code in values}} if explain else {}
    saved = client.post(entry_url(department=department), entry_data(values, "submit", department, **extra))
    assert saved.status_code == 302, saved.status_code
    assert saved.url == submit_url(department=department), saved.url
    return client.post(submit_url(department=department), {"seen": ""})
