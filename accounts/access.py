"""Who may see and change what: the access rules, written once and used by every view.

Roles are Django groups (created by a migration): the planning office does everything, department
staff read everything internal and change only their own departments' indicators, the expert council
reads. Superusers count as the planning office.
"""

import logging
from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from goals.models import Department

logger = logging.getLogger("ami_strategy.access")


class Role:
    PLANNING = "planning_office"
    STAFF = "department_staff"
    COUNCIL = "expert_council"


def _groups(user) -> set[str]:
    if not hasattr(user, "_role_names"):
        user._role_names = set(user.groups.values_list("name", flat=True)) if user.is_authenticated else set()
    return user._role_names


def is_planning(user) -> bool:
    return user.is_authenticated and (user.is_superuser or Role.PLANNING in _groups(user))


def is_staff_member(user) -> bool:
    return user.is_authenticated and Role.STAFF in _groups(user)


def is_council(user) -> bool:
    return user.is_authenticated and Role.COUNCIL in _groups(user)


def has_any_role(user) -> bool:
    return is_planning(user) or is_staff_member(user) or is_council(user)


def department_ids(user) -> set[int]:
    """The departments whose indicators this user may change (all for the planning office: see can_edit)."""
    if not user.is_authenticated:
        return set()
    if not hasattr(user, "_department_ids"):
        user._department_ids = set(user.departments.values_list("pk", flat=True))
    return user._department_ids


def can_read_internal(user) -> bool:
    """Drafts, notes and history: signed-in users with a role."""
    return has_any_role(user)


def can_read_dashboards(user) -> bool:
    return settings.PUBLIC_DASHBOARDS or has_any_role(user)


def deny(request, reason: str):
    logger.warning(
        "access refused: user=%s path=%s reason=%s",
        getattr(request.user, "username", "") or "anonymous",
        request.path,
        reason,
    )
    raise PermissionDenied(reason)


def require(check, reason: str = "role"):
    """Decorator: anonymous users go to the login page, others failing `check` get a logged 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if check(request.user):
                return view(request, *args, **kwargs)
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            deny(request, reason)

        return wrapped

    return decorator


def get_or_403(request, queryset, check, reason: str, **lookup):
    """The object matching `lookup`, refused with a logged 403 unless `check(user, object)`.

    A missing object is a 404 before any rule is asked: the view's decorator has let the user in.
    `queryset` is a model, a manager or a queryset, as for get_object_or_404.
    """
    obj = get_object_or_404(queryset, **lookup)
    if not check(request.user, obj):
        deny(request, reason)
    return obj


def post_requires(request, check, reason: str) -> None:
    """A logged 403 for a POST from a user failing `check`; the view's readers still get its GET."""
    if request.method == "POST" and not check(request.user):
        deny(request, reason)


# --- Entry and review (yearly figures) ---------------------------------------------------------------


def can_enter(user) -> bool:
    """The entry screens: department staff and the planning office (the council reads dashboards)."""
    return is_planning(user) or is_staff_member(user)


def can_enter_department(user, department) -> bool:
    if is_planning(user):
        return True
    return is_staff_member(user) and department.pk in department_ids(user)


def can_edit_figures(user, fiscal_year, submission) -> bool:
    """Whether the entry screen of this department and year takes input from this user at all.

    Staff: only while the year is open and the submission is not with the planning office.
    The planning office: while the year is open or closed (corrections during review), never when
    it is not open yet or locked.
    """
    state = fiscal_year.state
    if is_planning(user):
        return state in (fiscal_year.State.OPEN, fiscal_year.State.CLOSED)
    if state != fiscal_year.State.OPEN or not can_enter_department(user, submission.department):
        return False
    return submission.state not in (submission.State.SUBMITTED, submission.State.APPROVED)


def can_edit_actual(user, actual) -> bool:
    """One row: approved values are read-only to staff."""
    if actual is None or is_planning(user):
        return True
    return not actual.is_approved


def can_submit(user, fiscal_year, submission) -> bool:
    return (
        fiscal_year.state == fiscal_year.State.OPEN
        and can_enter_department(user, submission.department)
        and submission.state not in (submission.State.SUBMITTED, submission.State.APPROVED)
    )


def can_review(user) -> bool:
    return is_planning(user)


def department_for_entry_or_403(request, code: str) -> Department:
    """The department asked for on the entry screen: 404 when unknown, 403 when not one the user enters."""
    return get_or_403(request, Department, can_enter_department, "department", code=code)


def entry_departments(user, strategy):
    """The departments this user enters figures for: their own; every owning department for planning."""
    if is_planning(user):
        # A subquery, not a join with DISTINCT: a query built on this one (an EXISTS per department) then runs
        # once per department, not once per indicator.
        owning = Department.objects.filter(indicators__strategy=strategy).values("pk")
        return Department.objects.filter(pk__in=owning).order_by("order", "code")
    if not is_staff_member(user):
        return Department.objects.none()
    return Department.objects.filter(pk__in=department_ids(user)).order_by("order", "code")


# --- Excel workbooks, entry templates and imports -----------------------------------------------------


def can_download_review(user) -> bool:
    return is_planning(user) or is_council(user)


def can_use_templates(user) -> bool:
    """Download entry templates and import figures: the planning office, and staff for their departments."""
    return is_planning(user) or is_staff_member(user)


def allowed_departments(user):
    if is_planning(user):
        return Department.objects.all()
    if is_staff_member(user):
        return Department.objects.filter(pk__in=department_ids(user))
    return Department.objects.none()


def import_department_ids(user) -> set[int] | None:
    """None: every indicator (the planning office); else the user's departments."""
    return None if is_planning(user) else department_ids(user)


def can_import_as_approved(user) -> bool:
    """Import figures straight as 承認済: the planning office only."""
    return is_planning(user)


def can_change_approved_figures(user) -> bool:
    """Change a figure already approved (a correction during review): the planning office only."""
    return is_planning(user)


def edits_keep_status(user) -> bool:
    """The planning office's corrections keep a figure's workflow status; staff edits make it a draft."""
    return is_planning(user)


def chooses_among_all_departments(user) -> bool:
    """Entry templates of every indicator at once: the planning office; staff pick one of theirs."""
    return is_planning(user)


# --- Meetings and opinions --------------------------------------------------------------------------


def can_record_opinions(user) -> bool:
    return is_planning(user) or is_council(user)


def can_edit_opinion(user, opinion) -> bool:
    """Council members edit only their own opinions; the planning office edits any."""
    return is_planning(user) or (is_council(user) and opinion.author_id == user.pk)


def can_respond_to_opinions(user) -> bool:
    """Write the response (対応方針) and follow-up state of any opinion, and list them all: the planning office."""
    return is_planning(user)


def can_manage_meetings(user) -> bool:
    """Create meetings and edit their agenda, attendees, minutes and attached file: the planning office
    (everyone with a role reads them and downloads the file)."""
    return is_planning(user)


def can_write_evaluations(user) -> bool:
    """Goal evaluations and policy directions: the planning office (everyone with a role reads them)."""
    return is_planning(user)


def opinion_for_edit_or_403(request, queryset, **lookup):
    """The opinion to edit: 404 when missing, 403 when it is another council member's."""
    return get_or_403(
        request, queryset, can_edit_opinion, "council members edit only their own opinions", **lookup
    )


# --- Imports of yearly figures (the rules of the entry screen, for one row of a file) -----------------


def can_import_figures(user, fiscal_year, submission) -> bool:
    """One row of an import: exactly what the entry screen of that department and year takes (can_edit_figures).

    user None is the import command run on the server without --user: it loads figures into any plan year
    that is not locked. submission None: an indicator no department owns, entered by the planning office.
    """
    if user is None:
        return not fiscal_year.is_locked
    if submission is None:
        return is_planning(user) and can_edit_figures(user, fiscal_year, submission)
    return can_edit_figures(user, fiscal_year, submission)


def can_import_over(user, actual) -> bool:
    """One stored value an import row would change: as on the entry screen (can_edit_actual)."""
    return user is None or can_edit_actual(user, actual)


def import_keeps_status(user) -> bool:
    """A changed value keeps its workflow status, as the planning office's corrections do (edits_keep_status);
    the import command without --user acts as the planning office."""
    return user is None or edits_keep_status(user)
