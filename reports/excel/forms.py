"""The forms of the reports page: the year of the review workbook, a department's entry template, an upload
to import, and the confirmation of a previewed import."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accounts import access
from goals.models import Department, Strategy
from lib.fiscal import fiscal_year_label, fiscal_year_of
from lib.uploads import UploadRefused, check_size


def default_year(strategy: Strategy) -> int:
    """The year under review: the fiscal year that closed last, within the plan."""
    year = fiscal_year_of(timezone.localdate()) - 1
    return min(max(year, strategy.first_year), strategy.last_year)


class YearForm(forms.Form):
    fiscal_year = forms.TypedChoiceField(label=gettext_lazy("年度"), coerce=int)

    def __init__(self, *args, strategy: Strategy, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fiscal_year"].choices = [(year, fiscal_year_label(year)) for year in strategy.plan_years]
        self.fields["fiscal_year"].initial = default_year(strategy)


class TemplateForm(YearForm):
    department = forms.ModelChoiceField(
        label=gettext_lazy("担当課"),
        queryset=Department.objects.none(),
        to_field_name="code",
        required=False,
        empty_label=gettext_lazy("すべての指標"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = access.allowed_departments(user)
        if not access.chooses_among_all_departments(user):
            # Staff choose one of their own departments; "every indicator" is the planning office's.
            self.fields["department"].required = True
            self.fields["department"].empty_label = None


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("ファイル（.xlsx または .csv）"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            check_size(upload.size)
        except UploadRefused as refused:
            raise forms.ValidationError(str(refused)) from refused
        return upload


class ConfirmForm(forms.Form):
    digest = forms.CharField(widget=forms.HiddenInput, max_length=64)
    approve = forms.BooleanField(label=gettext_lazy("承認済みとして取り込む（政策企画課）"), required=False)
