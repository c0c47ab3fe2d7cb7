"""Users and groups in the admin (superusers only), with a reason for every change like every other model.

The planning office puts people into roles and departments on its own screen (/settings/roles/), which
can never make anyone a superuser or hand out permissions.
"""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group, User

from goals.admin_base import ReasonRequiredAdmin

admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(ReasonRequiredAdmin, DjangoUserAdmin):
    pass


@admin.register(Group)
class GroupAdmin(ReasonRequiredAdmin, DjangoGroupAdmin):
    pass
