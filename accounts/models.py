"""History of who may do what: Django's users and groups are recorded like every other model.

accounts has no models of its own; it keeps the history tables of django.contrib.auth's User and Group,
so a change of a user's name, groups (roles) or permissions says who made it, when and why. A user's
departments are Department.members, recorded in the department's history (goals).
"""

from django.contrib.auth.models import Group, User
from simple_history import register

from goals.history import ReverseAwareHistoricalRecords

# Signing in stores last_login; an upgraded hash stores the password. Neither is a change anyone makes.
UNRECORDED_USER_FIELDS = {"last_login", "password"}


class UserHistoricalRecords(ReverseAwareHistoricalRecords):
    """Leaves out the saves that only touch sign-in bookkeeping, and never copies a password hash."""

    def post_save(self, instance, created, using=None, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields and set(update_fields) <= UNRECORDED_USER_FIELDS:
            return
        super().post_save(instance, created, using=using, **kwargs)


register(
    User,
    app="accounts",
    records_class=UserHistoricalRecords,
    excluded_fields=sorted(UNRECORDED_USER_FIELDS),
    m2m_fields=["groups", "user_permissions"],
)
register(Group, app="accounts", records_class=ReverseAwareHistoricalRecords, m2m_fields=["permissions"])
