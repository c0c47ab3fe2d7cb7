from functools import cached_property

from .access import is_council, is_planning, is_staff_member


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


def roles(request):
    return {"user_roles": UserRoles(request.user)}
