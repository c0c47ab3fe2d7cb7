"""The planning office's writes: a strategy's grade bands and a person's roles, each with who and why.

Both leave a history row per change (django-simple-history) with the user and the reason typed. The
roles write touches only the three role groups and the department memberships: never is_superuser,
is_staff, a permission or any other group.
"""

from collections.abc import Iterable, Sequence

from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.access import Role
from goals.history import REASON_MAX_LENGTH
from goals.models import Department, Strategy
from kpis.models import GradeBand
from kpis.rules import stored as stored_results

# The roles this screen hands out, as people call them.
ROLE_LABELS = {
    Role.PLANNING: gettext_lazy("政策企画課"),
    Role.STAFF: gettext_lazy("担当課職員"),
    Role.COUNCIL: gettext_lazy("創生有識者会議の委員"),
}
ROLES = tuple(ROLE_LABELS)


def _reason(text: str) -> str:
    reason = text.strip()[:REASON_MAX_LENGTH]
    if not reason:
        raise ValidationError({"reason": _("変更の理由を入力してください。")})
    return reason


def _recorded(instance, *, user, reason: str):
    instance._history_user = user
    instance._change_reason = reason
    return instance


@transaction.atomic
def grade_bands_save(
    *, user, strategy: Strategy, bands: Sequence[GradeBand], deleted: Iterable[GradeBand], reason: str
) -> None:
    """Save a strategy's changed and new bands and delete the removed ones, in one transaction."""
    reason = _reason(reason)
    # One planning-office user at a time per strategy: the second waits, then saves over a whole scale.
    Strategy.objects.select_for_update().filter(pk=strategy.pk).first()
    try:
        with transaction.atomic(), stored_results.refreshed_once():
            for band in deleted:
                if band.pk is not None and band.strategy_id == strategy.pk:
                    _recorded(band, user=user, reason=reason).delete()
            for band in bands:
                band.strategy = strategy
                band.full_clean(exclude=["strategy"])
                _recorded(band, user=user, reason=reason).save()
    except IntegrityError:
        # Two bands swapping their labels in one save meet on the unique label for a moment.
        raise ValidationError(
            _("評価（記号）を入れ替えるときは、いったん別の記号にして保存してから変更してください。")
        ) from None


@transaction.atomic
def user_roles_update(
    *, by, person: User, roles: Iterable[str], departments: Iterable[Department], reason: str
) -> bool:
    """Give `person` exactly these roles and departments; False when nothing changed.

    Superusers are not changed here (they have every right already). Nobody takes the planning office's
    role from themselves, so the office cannot lock itself out of this screen.
    """
    reason = _reason(reason)
    if person.is_superuser:
        raise PermissionDenied(_("管理者（スーパーユーザー）の役割はこの画面では変更できません。"))
    roles = set(roles)
    if not roles <= set(ROLES):
        raise ValidationError(_("選べない役割が含まれています。"))
    if (
        person.pk == by.pk
        and Role.PLANNING not in roles
        and person.groups.filter(name=Role.PLANNING).exists()
    ):
        raise ValidationError({"roles": _("自分自身から政策企画課の役割を外すことはできません。")})
    User.objects.select_for_update().filter(pk=person.pk).first()
    _recorded(person, user=by, reason=reason)
    held = set(person.groups.filter(name__in=ROLES).values_list("name", flat=True))
    if roles - held:
        person.groups.add(*[Group.objects.get_or_create(name=name)[0] for name in sorted(roles - held)])
    if held - roles:
        person.groups.remove(*Group.objects.filter(name__in=held - roles))
    wanted = {d.pk: d for d in departments}
    current = {d.pk: d for d in person.departments.all()}
    for department in [d for pk, d in wanted.items() if pk not in current]:
        _recorded(department, user=by, reason=reason).members.add(person)
    for department in [d for pk, d in current.items() if pk not in wanted]:
        _recorded(department, user=by, reason=reason).members.remove(person)
    return bool(roles ^ held or wanted.keys() ^ current.keys())
