"""lib.forms.FormRenderer writes the commonest form templates itself (a field without errors; the input,
textarea and select widgets). What it writes is held equal, character for character, to what the templates
write (TemplateRenderer) for any value, label, help text and attribute, bound or not, with errors or not, in
both languages; the cases it leaves to the templates (errors, fieldsets, radio buttons) still come from them.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import TemplatesSetting
from django.test import override_settings
from django.utils import translation
from django.utils.datastructures import MultiValueDict
from django.utils.functional import lazy
from django.utils.safestring import mark_safe
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpis.models import ActualValue, FiscalYear, NextStep
from lib.forms import FormRenderer, TemplateRenderer
from tests.support.entry import entry_data, entry_url, login, set_year_state
from tests.support.factories import set_actual

texts = st.one_of(
    st.sampled_from(["", " ", "<b>件</b>", "\"&'<>", "１，２３４", "△12", "a\nb", "{{ x }}", "%s"]),
    st.text(max_size=12),
)
attr_values = st.one_of(
    st.booleans(),
    texts,
    st.integers(-(10**6), 10**6),
    st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False, allow_infinity=False),
    st.builds(mark_safe, st.sampled_from(["<i>safe</i>", "&amp;"])),
    st.builds(lazy(str, str), texts),
)
attrs = st.dictionaries(
    st.sampled_from(
        ["class", "placeholder", "aria-label", "data-note", "maxlength", "readonly", "autofocus"]
    ),
    attr_values,
    max_size=4,
)
choices = st.lists(st.tuples(texts, texts), max_size=4, unique_by=lambda c: c[0])
grouped = st.lists(st.tuples(st.sampled_from(["", "群<1>", "B & C"]), choices), max_size=3)


def widget_fields(data):
    """One field of each widget kind the renderer writes, and of some it leaves to the templates."""
    draw = data.draw
    help_text = draw(st.one_of(st.just(""), texts))
    label = draw(st.one_of(st.none(), texts, st.builds(lazy(str, str), texts)))
    flat = draw(choices)
    groups = [(name, options) for name, options in draw(grouped) if name and options] + draw(choices)
    common = {"label": label, "help_text": help_text, "required": draw(st.booleans())}
    return {
        "text": forms.CharField(widget=forms.TextInput(attrs=draw(attrs)), max_length=20, **common),
        "hidden": forms.CharField(widget=forms.HiddenInput(attrs=draw(attrs)), **common),
        "number": forms.IntegerField(widget=forms.NumberInput(attrs=draw(attrs)), **common),
        "decimal": forms.DecimalField(**common),
        "email": forms.EmailField(**common),
        "date": forms.DateField(**common),
        "check": forms.BooleanField(widget=forms.CheckboxInput(attrs=draw(attrs)), **common),
        "area": forms.CharField(widget=forms.Textarea(attrs=draw(attrs)), **common),
        "select": forms.ChoiceField(choices=flat, widget=forms.Select(attrs=draw(attrs)), **common),
        "grouped": forms.ChoiceField(choices=groups, **common),
        "many": forms.MultipleChoiceField(choices=flat, **common),
        "yes_no": forms.NullBooleanField(**common),
        "radio": forms.ChoiceField(choices=flat, widget=forms.RadioSelect, **common),
    }


initial_values = st.one_of(
    st.none(),
    texts,
    st.integers(-(10**6), 10**6),
    st.decimals(min_value=-(10**9), max_value=10**9, places=3, allow_nan=False, allow_infinity=False),
    st.dates(min_value=datetime.date(1990, 1, 1), max_value=datetime.date(2100, 12, 31)),
    st.booleans(),
)


def posted(values: dict) -> MultiValueDict:
    """The values as a browser posts them: text, a list for the multiple choice."""
    return MultiValueDict(
        {
            name: [str(v) for v in value] if isinstance(value, list) else [str(value)]
            for name, value in values.items()
            if value is not None
        }
    )


def drawn(fields, renderer, *, data, initial, auto_id):
    """Everything a template can ask of a form: the whole form, each field's group and each widget."""
    form_class = type("Drawn", (forms.Form,), dict(fields))
    form = form_class(data, initial=initial, renderer=renderer, auto_id=auto_id)
    return [str(form), *(part for bf in form for part in (bf.as_field_group(), str(bf), bf.as_hidden()))]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    bound=st.booleans(),
    auto_id=st.sampled_from(["id_%s", "", "f-%s"]),
    language=st.sampled_from(["ja", "en"]),
)
def test_the_renderer_writes_what_the_templates_write(data, bound, auto_id, language):
    fields = widget_fields(data)
    values = {
        name: data.draw(st.lists(texts, max_size=2) if name == "many" else initial_values) for name in fields
    }
    sent = posted(values) if bound else None
    with translation.override(language):
        written = drawn(fields, FormRenderer(), data=sent, initial=values, auto_id=auto_id)
        templated = drawn(fields, TemplateRenderer(), data=sent, initial=values, auto_id=auto_id)
    assert written == templated


class Note(forms.Form):
    name = forms.CharField(label="名前 <b>", help_text="例: 阿見 & 太郎", max_length=10)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    step = forms.ChoiceField(choices=[("", "―"), *NextStep.choices], required=False)
    period = forms.CharField(widget=forms.HiddenInput)


@pytest.fixture
def templates_drawn(monkeypatch):
    """The names of the templates the template engine drew for a form."""
    names = []
    original = TemplatesSetting.render

    def render(self, template_name, context, request=None):
        names.append(template_name)
        return original(self, template_name, context, request)

    monkeypatch.setattr(TemplatesSetting, "render", render)
    return names


def test_a_field_without_errors_and_its_widgets_are_written_without_a_template(templates_drawn):
    form = Note(initial={"name": "<阿見>", "note": "a & b", "step": "continue"}, renderer=FormRenderer())
    html = "".join(bf.as_field_group() for bf in form)
    assert templates_drawn == []
    assert '<label for="id_name">名前 &lt;b&gt;</label>' in html
    assert 'value="&lt;阿見&gt;"' in html and ">\na &amp; b</textarea>" in html
    assert '<option value="continue" selected>' in html


def test_a_field_with_errors_and_a_radio_list_are_left_to_the_templates(templates_drawn):
    form = Note({"name": "x" * 11}, renderer=FormRenderer())
    html = form["name"].as_field_group()
    assert templates_drawn == ["includes/field.html"]
    assert 'class="field has-error"' in html and 'role="alert"' in html

    radio = forms.ChoiceField(choices=[("a", "A")], widget=forms.RadioSelect)
    str(type("R", (forms.Form,), {"pick": radio})(renderer=FormRenderer())["pick"])
    assert templates_drawn[-1] == "django/forms/widgets/radio.html"


def normalised(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def both_ways(request) -> tuple[str, str]:
    """A page drawn with the project's renderer, then with the templates alone."""
    written = request()
    with override_settings(FORM_RENDERER="lib.forms.TemplateRenderer"):
        templated = request()
    return written, templated


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_entry_page_is_the_same_either_way(client, users, plan, language):
    set_year_state(plan, 2025, FiscalYear.State.OPEN)
    set_actual(
        "G3-M1-K1",
        2025,
        "12.5",
        ActualValue.Status.DRAFT,
        note='<script>"&',
        cause_analysis="待機児童\n減少",
        next_step=NextStep.values[1],
        data_period=2024,
    )
    login(client, users["staff_own"])
    client.cookies["django_language"] = language

    def page() -> str:
        response = client.get(entry_url())
        assert response.status_code == 200
        return normalised(response.content.decode())

    written, templated = both_ways(page)
    assert written == templated
    assert "&lt;script&gt;&quot;&amp;" in written

    def refused() -> str:
        response = client.post(entry_url(), entry_data({"G3-M1-K2": "12,5x"}))
        assert response.status_code == 400
        return normalised(response.content.decode())

    written, templated = both_ways(refused)
    assert written == templated
    assert 'aria-invalid="true"' in written
    assert ActualValue.objects.filter(indicator__code="G3-M1-K2").count() == 0
    assert Decimal("12.5") == ActualValue.objects.get(indicator__code="G3-M1-K1").value
