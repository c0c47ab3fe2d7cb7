from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from goals.models import Department, Goal, Strategy
from kpis.models import Indicator, Kind


def current_strategy_or_404(request: HttpRequest) -> Strategy:
    strategy = Strategy.objects.current()
    if strategy is None:
        raise Http404("No strategy has been loaded yet (python manage.py load_plan).")
    return strategy


def home(request: HttpRequest) -> HttpResponse:
    strategy = Strategy.objects.current()
    goals = []
    if strategy is not None:
        kgis = Indicator.objects.filter(strategy=strategy, kind=Kind.KGI).order_by("order")
        goals = strategy.goals.prefetch_related(Prefetch("indicators", queryset=kgis, to_attr="kgis"))
    return render(request, "reports/home.html", {"strategy": strategy, "goals": goals})


def goal_detail(request: HttpRequest, code: str) -> HttpResponse:
    strategy = current_strategy_or_404(request)
    goal = get_object_or_404(Goal, strategy=strategy, code=code)
    return render(request, "reports/goal.html", {"goal": goal})


def indicator_detail(request: HttpRequest, code: str) -> HttpResponse:
    strategy = current_strategy_or_404(request)
    indicator = get_object_or_404(Indicator, strategy=strategy, code=code)
    return render(request, "reports/indicator.html", {"indicator": indicator})


def department_detail(request: HttpRequest, code: str) -> HttpResponse:
    department = get_object_or_404(Department, code=code)
    return render(request, "reports/department.html", {"department": department})
