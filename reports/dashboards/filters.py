"""Filters of the indicator table.

Plan filters (goal, measure, department, KGI/KPI, デジタル活用) narrow the indicators; the grade is a result of
the year chosen, so `grade` (and the year it refers to) are validated here and applied to the rows with
their stored results (`chosen_grade`, views.indicator_list).
"""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from goals.models import Department, Goal, Measure
from kpis.models import Kind, Placement
from kpis.rules.achievement import NOT_EVALUABLE
from lib.fiscal import fiscal_year_label


def _keep(queryset, name, value):
    return queryset


class IndicatorFilter(django_filters.FilterSet):
    # No empty choice: the list always shows the year the table is of (show_year).
    fy = django_filters.TypedChoiceFilter(label=_("年度"), coerce=int, method=_keep)
    goal = django_filters.ModelChoiceFilter(
        label=_("基本目標"), queryset=Goal.objects.none(), method="filter_goal", empty_label=_("すべて")
    )
    measure = django_filters.ModelChoiceFilter(
        label=_("施策の方向"),
        queryset=Measure.objects.none(),
        method="filter_measure",
        empty_label=_("すべて"),
    )
    department = django_filters.ModelChoiceFilter(
        label=_("担当課"),
        queryset=Department.objects.none(),
        field_name="department",
        empty_label=_("すべて"),
    )
    kind = django_filters.ChoiceFilter(
        label=_("種別"), choices=Kind.choices, field_name="kind", empty_label=_("KGI・KPI")
    )
    digital = django_filters.ChoiceFilter(
        label=_("デジタル活用"),
        choices=[("1", _("デジタル活用の施策のみ"))],
        method="filter_digital",
        empty_label=_("すべて"),
    )
    grade = django_filters.ChoiceFilter(label=_("評価"), method=_keep, empty_label=_("すべて"))

    def __init__(self, data=None, *args, strategy, scale, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.strategy = strategy
        self.scale = scale
        filters = self.filters
        filters["fy"].extra["choices"] = [(y, fiscal_year_label(y)) for y in strategy.plan_years]
        filters["goal"].queryset = Goal.objects.filter(strategy=strategy)
        filters["measure"].queryset = Measure.objects.filter(goal__strategy=strategy).select_related("goal")
        filters["department"].queryset = Department.objects.all()
        filters["grade"].extra["choices"] = [
            (
                label,
                f"{label} {scale.name_of(label)}" if label != NOT_EVALUABLE else f"{label} {_('評価不能')}",
            )
            for label in scale.labels
        ]

    def filter_goal(self, queryset, name, goal):
        """Its own indicators and those it shows again (【再掲】)."""
        placed = Placement.objects.filter(policy__measure__goal=goal).values("indicator")
        return queryset.filter(Q(goal=goal) | Q(pk__in=placed))

    def filter_measure(self, queryset, name, measure):
        placed = Placement.objects.filter(policy__measure=measure).values("indicator")
        return queryset.filter(Q(measure=measure) | Q(pk__in=placed))

    def filter_digital(self, queryset, name, value):
        placed = Placement.objects.filter(policy__is_digital=True).values("indicator")
        return queryset.filter(pk__in=placed)

    def year_given(self) -> bool:
        return bool(self.is_bound and self.form.cleaned_data.get("fy"))

    def year(self, default: int) -> int:
        return self.form.cleaned_data.get("fy") or default if self.is_bound else default

    def show_year(self, year: int) -> None:
        """Make the 年度 list preselect the year the table shows, also when the request named none; the
        next 絞り込む then keeps that year instead of falling back to another one."""
        form = self.form
        if not form.is_bound:
            form.initial["fy"] = year
        elif not form.data.get("fy"):
            data = form.data.copy()
            data["fy"] = str(year)
            form.data = data

    def chosen_grade(self) -> str | None:
        """The grade chosen, applied to the rows with their stored results (views.indicator_list)."""
        return (self.form.cleaned_data.get("grade") or None) if self.is_bound else None
