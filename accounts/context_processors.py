from functools import cached_property

from accounts.access import is_council, is_planning, is_staff_member
from accounts.strategy import current_strategy


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


def strategy(request):
    """The current strategy on every page (its name in the header, the demo banner)."""
    return {"current_strategy": current_strategy(request)}


def roles(request):
    return {"user_roles": UserRoles(request.user)}
