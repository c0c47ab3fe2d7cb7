"""The project's form renderer: every form and labelled field is drawn by the project's templates."""

from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    """Renders with the project's TEMPLATES, so templates/ holds the one form and one field layout.

    ``{{ form }}`` draws includes/form.html and ``{{ form.field.as_field_group }}`` draws
    includes/field.html; Django's own widget templates come from the django.forms app.
    """

    form_template_name = "includes/form.html"
    field_template_name = "includes/field.html"
