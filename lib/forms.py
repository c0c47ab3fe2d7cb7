"""The project's form renderer and text field: every form is drawn by the project's templates, and no
text a form accepts holds an invisible control character."""

from django import forms
from django.forms.renderers import TemplatesSetting
from django.template.base import render_value_in_context
from django.template.context import Context
from django.utils.html import conditional_escape

from lib.text import clean_text

FIELD_TEMPLATE = "includes/field.html"
WIDGETS = "django/forms/widgets/"
# Django's input widgets whose template is only {% include "django/forms/widgets/input.html" %}.
INPUTS = {
    f"{WIDGETS}{name}.html"
    for name in (
        "checkbox color date datetime email file hidden number password search tel text time url".split()
    )
}
SELECT_OPTION = f"{WIDGETS}select_option.html"


class FormRenderer(TemplatesSetting):
    """Renders with the project's TEMPLATES, so templates/ holds the one form and one field layout.

    ``{{ form }}`` draws includes/form.html and ``{{ form.field.as_field_group }}`` draws
    includes/field.html; Django's own widget templates come from the django.forms app.

    The commonest of those templates, a field without errors and the input, textarea and select widgets,
    are written here instead, character for character what the templates write, stripped as Django's
    renderers strip them (tests/lib/test_forms.py renders every case both ways, so an edit of
    includes/field.html or a new Django's templates that this code does not follow fails it). An entry page
    of 100 rows draws 1,300 of them, and the template engine took about two thirds of its time. Anything
    else, and a field with errors, goes to the templates.
    """

    form_template_name = "includes/form.html"
    field_template_name = FIELD_TEMPLATE

    def render(self, template_name, context, request=None):
        draw = DRAWERS.get(template_name)
        html = draw(context) if draw is not None and request is None else None
        return super().render(template_name, context, request) if html is None else html


class TemplateRenderer(TemplatesSetting):
    """The same layout drawn by the templates alone: what FormRenderer's own writing is tested against."""

    form_template_name = FormRenderer.form_template_name
    field_template_name = FormRenderer.field_template_name


_CONTEXT = Context()  # autoescaped, localised: how a template writes {{ value }}


def _shown(value) -> str:
    """``{{ value }}``."""
    return render_value_in_context(value, _CONTEXT)


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html."""
    return "".join(
        f" {_shown(name)}" if value is True else f' {_shown(name)}="{conditional_escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(context) -> str:
    """django/forms/widgets/input.html (and the widgets that only include it)."""
    widget = context["widget"]
    value = widget["value"]
    shown = "" if value is None else f' value="{conditional_escape(value)}"'
    return (
        f'<input type="{_shown(widget["type"])}" name="{_shown(widget["name"])}"{shown}'
        f"{_attrs(widget['attrs'])}>"
    )


def _textarea(context) -> str:
    """django/forms/widgets/textarea.html."""
    widget = context["widget"]
    value = widget["value"]
    return (
        f'<textarea name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{_shown(value) if value else ''}</textarea>"
    )


def _select(context) -> str | None:
    """django/forms/widgets/select.html, when every option is drawn by select_option.html."""
    widget = context["widget"]
    parts = [f'<select name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if any(option["template_name"] != SELECT_OPTION for option in options):
            return None
        if group_name:
            parts.append(f'\n  <optgroup label="{_shown(group_name)}">')
        parts.extend(
            f'\n  <option value="{conditional_escape(option["value"])}"{_attrs(option["attrs"])}>'
            f"{_shown(option['label'])}</option>\n"  # select_option.html ends with a line break
            for option in options
        )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _field(context) -> str | None:
    """includes/field.html, for a field drawn in a <div> (not a fieldset) without errors."""
    field = context["field"]
    if field.use_fieldset or field.errors:
        return None
    target = field.id_for_label
    label_for = f' for="{_shown(target)}"' if target else ""
    help_text = ""
    if field.help_text:
        help_id = f' id="{_shown(field.auto_id)}_helptext"' if field.auto_id else ""
        help_text = f'  <p class="help-text"{help_id}>{_shown(field.help_text)}</p>\n'
    return (
        f'<div class="field">\n  <label{label_for}>{_shown(field.label)}</label>\n'
        f"  {_shown(field)}\n{help_text}</div>"
    )


DRAWERS = {
    **dict.fromkeys(INPUTS, _input),
    f"{WIDGETS}textarea.html": _textarea,
    f"{WIDGETS}select.html": _select,
    FIELD_TEMPLATE: _field,
}


class TextField(forms.CharField):
    """A CharField whose text is cleaned by lib.text.clean_text: line breaks as LF, controls dropped.

    A NUL is left in place so that Django's own validator refuses it with a message that names it.
    """

    def to_python(self, value):
        text = super().to_python(value)
        if "\x00" in text:
            return text
        text = clean_text(text)
        return text.strip() if self.strip else text
