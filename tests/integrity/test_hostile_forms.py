"""Every form of the app, filled the way an attacker and a clumsy clerk would fill it.

Each page is opened as the role that uses it, its forms are read from the HTML as a browser would read
them, and one field at a time gets a hostile value. Whatever the answer, it is not a 5xx, nothing stored
holds a control character or a value the database cannot read back, and the pages still open.
"""

import datetime
from html.parser import HTMLParser

from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from goals.models import Goal, Strategy
from kpis.models import ActualValue, FiscalYear, Indicator, Submission
from lib.text import has_control_characters
from reviews.models import Meeting, Opinion
from tests.support.factories import make_department, role_users

EXAMPLES = [
    "99999999999999.99",
    "12345678901234.567891",
    "9" * 30,
    "12,5",
    "１２，５",
    "1,2,3",
    "△3",
    "−0",
    "1e400",
    "NaN",
    "Infinity",
    "a\x00b",
    "note\x0bwith\x1bcontrols\x7f\x85",
    "\u2028",
    "<script>alert(1)</script>",
    '<a href="//evil.example">u</a>',
    '=HYPERLINK("http://evil.example")',
    "x" * 5000,
    "",
    "   ",
    "2025年度",
    "２０２５",
    "-1",
]
hostile = st.one_of(
    st.sampled_from(EXAMPLES),
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40),
    st.text(alphabet="0123456789１２,.，．△-−e\x00\x0b\x1b <>&\"'", max_size=25),
)

# Hidden fields too: an attacker edits them as easily as the visible ones.
TEXT_INPUTS = {"text", "search", "number", "date", "email", "url", "tel", "hidden", "password", None}


class _Forms(HTMLParser):
    """The POST forms of a page: action and the fields a browser would send as they stand.

    A field with a form="id" attribute belongs to that form wherever it stands (the review page's 指摘,
    drawn beside the rows, above their form).
    """

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._by_id: dict[str, dict] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def _form_with_id(self, form_id: str) -> dict:
        return self._by_id.setdefault(form_id, {"action": "", "fields": {}, "free": []})

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            if (attrs.get("method") or "get").lower() == "post":
                form = self._form_with_id(attrs["id"]) if attrs.get("id") else {"fields": {}, "free": []}
                form["action"] = attrs.get("action") or ""
                self.forms.append(form)
            else:
                self.forms.append(None)
            return
        form = self.forms[-1] if self.forms else None
        if attrs.get("form"):
            form = self._form_with_id(attrs["form"])
        if form is None or "name" not in attrs or "disabled" in attrs:
            return
        name = attrs["name"]
        if tag == "button" and (attrs.get("type") or "submit") == "submit":
            self._input(form, name, {**attrs, "type": "submit"})
        elif tag == "input":
            self._input(form, name, attrs)
        elif tag == "textarea":
            form["fields"][name] = ""
            form["free"].append(name)
            self._textarea = (form, name)
        elif tag == "select":
            self._select = name
            form["fields"].setdefault(name, None)
        elif tag == "option" and self._select and form["fields"].get(self._select) is None:
            form["fields"][self._select] = attrs.get("value", "")
        if tag == "option" and self._select and "selected" in attrs:
            form["fields"][self._select] = attrs.get("value", "")

    @staticmethod
    def _input(form: dict, name: str, attrs: dict) -> None:
        kind = attrs.get("type")
        if kind in ("radio", "checkbox"):
            if "checked" in attrs:
                form["fields"][name] = attrs.get("value", "on")
        elif kind == "submit" or kind == "button":
            # The first named button is the one a click sends (the entry form's 下書き保存).
            if kind == "submit" and "_button" not in form:
                form["_button"] = True
                form["fields"][name] = attrs.get("value", "")
        elif kind != "file":
            form["fields"][name] = attrs.get("value", "")
            if kind in TEXT_INPUTS:
                form["free"].append(name)

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            form, name = self._textarea
            form["fields"][name] += data


def post_forms(html: str) -> list[dict]:
    parser = _Forms()
    parser.feed(html)
    return [form for form in parser.forms if form is not None and form["free"]]


def _text_columns():
    for model in apps.get_models():
        if model._meta.app_label not in {"goals", "kpis", "reviews"}:
            continue
        names = [
            f.name for f in model._meta.concrete_fields if isinstance(f, models.CharField | models.TextField)
        ]
        if names:
            yield model, names


def assert_data_intact():
    """No stored text holds a control character; every stored value reads back (SQLite would raise)."""
    for model, names in _text_columns():
        for row in model.objects.values_list(*names):
            for text in row:
                assert not (text and has_control_characters(text)), (model.__name__, text)
    list(ActualValue.objects.values_list("value", flat=True))
    list(Indicator.objects.values_list("baseline_value", "target_value"))


class EveryFormHoldsAgainstHostileInput(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("load_plan", verbosity=0)
        cls.strategy = Strategy.objects.get(code="dai3ki")
        own = make_department("kodomo", "こども家庭課", ["G3-M1-K1", "G3-M1-K2", "G3-M1-K3", "G2-KGI1"])
        other = make_department("shoko", "商工観光課", ["G2-KGI2", "G2-M1-K1", "G2-M1-K2"])
        cls.users = role_users(own, other)
        FiscalYear.objects.update_or_create(
            strategy=cls.strategy, year=2025, defaults={"state": FiscalYear.State.OPEN}
        )
        submitted = make_department("somu", "総務課", ["G1-KGI1", "G1-M1-K1"])
        Submission.objects.create(
            department=submitted,
            strategy=cls.strategy,
            fiscal_year=2025,
            state=Submission.State.SUBMITTED,
            submitted_by=cls.users["staff_own"],
        )
        meeting = Meeting.objects.create(
            strategy=cls.strategy, fiscal_year=2025, name="第1回", date=datetime.date(2026, 7, 1)
        )
        cls.meeting = meeting
        cls.opinion = Opinion.objects.create(
            strategy=cls.strategy,
            meeting=meeting,
            fiscal_year=2025,
            goal=Goal.objects.get(strategy=cls.strategy, number=1),
            speaker="委員",
            text="意見",
            author=cls.users["council"],
        )

    def pages(self):
        """(role, url) of every page with a form someone fills in."""
        return [
            ("staff_own", reverse("cycle:entry", args=[2025]) + "?department=kodomo"),
            ("planning", reverse("cycle:entry", args=[2025]) + "?department=shoko"),
            ("planning", reverse("cycle:review_department", args=[2025, "somu"])),
            ("planning", reverse("cycle:fiscal_years")),
            ("planning", reverse("cycle:indicator_edit", args=["G3-M1-K1"])),
            ("planning", reverse("reviews:meetings")),
            ("council", reverse("reviews:opinion_create", args=[self.meeting.pk])),
            ("council", reverse("reviews:opinion_new") + "?goal=G1"),
            ("planning", reverse("reviews:meeting_edit", args=[self.meeting.pk])),
            ("council", reverse("reviews:opinion_edit", args=[self.opinion.pk])),
            ("planning", reverse("reviews:opinion_respond", args=[self.opinion.pk])),
            ("planning", reverse("reviews:evaluations", args=[2025])),
            ("planning", reverse("office:grade_bands")),
            ("planning", reverse("office:role_edit", args=[self.users["staff_own"].pk])),
            ("anonymous", reverse("login")),
        ]

    def client_as(self, role: str) -> Client:
        client = Client(raise_request_exception=False)
        if self.users[role] is not None:
            client.force_login(self.users[role])
        return client

    def test_every_page_in_the_list_has_a_form_to_fill(self):
        for role, url in self.pages():
            response = self.client_as(role).get(url)
            assert response.status_code == 200, (role, url, response.status_code)
            assert post_forms(response.content.decode()), (role, url)

    @settings(
        deadline=None,
        max_examples=60,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(page=st.integers(min_value=0), field=st.integers(min_value=0), value=hostile)
    def test_a_hostile_value_in_any_field_gives_an_answer_and_leaves_the_data_intact(
        self, page, field, value
    ):
        role, url = self.pages()[page % len(self.pages())]
        client = self.client_as(role)
        forms = post_forms(client.get(url).content.decode())
        form = forms[field % len(forms)]
        name = form["free"][field % len(form["free"])]
        data = {key: v for key, v in form["fields"].items() if v is not None and not key.startswith("_")}
        data[name] = value
        response = client.post(form["action"] or url, data)
        assert response.status_code < 500, (role, url, name, value, response.status_code)
        assert_data_intact()
        reader = self.client_as("planning")
        for public in ("/", reverse("dashboards:indicators")):
            assert reader.get(public).status_code == 200, public
