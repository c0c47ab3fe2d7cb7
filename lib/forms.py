"""The project's form renderer and text field: every form is drawn by the project's templates, and no
text a form accepts holds an invisible control character."""

from django import forms
from django.forms.renderers import TemplatesSetting

from lib.text import clean_text


class FormRenderer(TemplatesSetting):
    """Renders with the project's TEMPLATES, so templates/ holds the one form and one field layout.

    ``{{ form }}`` draws includes/form.html and ``{{ form.field.as_field_group }}`` draws
    includes/field.html; Django's own widget templates come from the django.forms app.
    """

    form_template_name = "includes/form.html"
    field_template_name = "includes/field.html"


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
