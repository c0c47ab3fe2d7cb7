from functools import cached_property

from accounts.access import is_council, is_planning, is_staff_member
from accounts.strategy import all_plans, current_strategy, default_plan, is_default, plan_url


class UserRoles:
    """The signed-in user's roles, looked up only when a template asks (the server checks again anyway)."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def planning(self) -> bool:
        return is_planning(self.user)

    @cached_property
    def staff(self) -> bool:
        return is_staff_member(self.user)

    @cached_property
    def council(self) -> bool:
        return is_council(self.user)


class PlanChoice:
    """One loaded plan in the header's selector: where it lives and what it is now."""

    def __init__(self, request, plan, default):
        self.plan = plan
        self.url = plan_url(request, plan)
        self.shown = plan == current_strategy(request)
        self.is_default = plan == default
        self.is_draft = not plan.is_active and (default is None or plan.first_year > default.first_year)


def plan_choices(request) -> list[PlanChoice]:
    """Every loaded plan, newest first (read with the current one: no query of its own)."""
    plans = all_plans(request)
    default = default_plan(plans)
    return [PlanChoice(request, plan, default) for plan in plans]


def strategy(request):
    """The plan shown on every page (its name in the header, the demo banner) and the plan selector."""
    return {
        "current_strategy": current_strategy(request),
        "plan_choices": plan_choices(request),
        "shows_default_plan": is_default(request),
    }


def roles(request):
    return {"user_roles": UserRoles(request.user)}
