"""Every model a person can change keeps its history, and every admin change says who made it and why."""

from datetime import date
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.urls import reverse
from simple_history.models import HistoricalChanges

from goals.admin_base import ReasonRequiredAdmin
from goals.models import Department, Goal, Policy, Strategy, Vision
from kpis.models import (
    ActualValue,
    CycleSettings,
    ExpectedValue,
    FiscalYear,
    GradeBand,
    Indicator,
    Submission,
)
from reviews.models import GoalEvaluation, Meeting, Opinion, PolicyDirection
from tests.support.admin_forms import form_data
from tests.support.entry import set_year_state
from tests.support.factories import set_actual

# Models nobody changes through the app or the admin, each with the reason it keeps no history.
UNTRACKED = {
    "admin.logentry": "the admin's own record of its changes",
    "auth.permission": "created by migrate from the models, never edited",
    "contenttypes.contenttype": "created by migrate from the models",
    "sessions.session": "sign-in sessions, not data",
    "axes.accessattempt": "failed sign-ins, written by the login throttle",
    "axes.accessattemptexpiration": "the throttle's lockout expiry",
    "axes.accesslog": "sign-ins, written by the login throttle",
    "axes.accessfailurelog": "failed sign-ins, written by the login throttle",
    "kpis.sentmail": "the log of mails sent, written once per mail and never edited",
    "kpis.stagedupload": "an upload's rows between its preview and its 確定, deleted after an hour",
    "kpis.dataversion": "a counter of committed changes (the pages' ETags), advanced by every write",
    "kpis.storedresult": "derived: computed from the figures and the plan, whose changes keep history",
    "reports.packbuild": "derived: a meeting pack made from the data of one data version, made again on demand",
}


def _is_history_table(model) -> bool:
    return issubclass(model, HistoricalChanges)


def test_every_model_people_change_keeps_history():
    untracked = {
        model._meta.label_lower
        for model in apps.get_models()
        if not _is_history_table(model) and not hasattr(model._meta, "simple_history_manager_attribute")
    }
    assert untracked == set(UNTRACKED)


def test_users_and_groups_keep_history_with_their_roles_but_never_a_password():
    fields = {f.name for f in User.history.model._meta.fields}
    assert "password" not in fields and "last_login" not in fields
    assert {f.name for f in User._meta.many_to_many} <= {"groups", "user_permissions"}
    assert hasattr(User.history.model, "groups") and hasattr(Group.history.model, "permissions")
    assert hasattr(Department.history.model, "members")


def test_every_many_to_many_relation_of_a_tracked_model_is_kept_in_its_history():
    """Department members, users' groups, a vision's goals…: a version holds the related rows it had."""
    untracked = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        if hasattr(model._meta, "simple_history_manager_attribute")
        for field in model._meta.many_to_many
        if not hasattr(getattr(model, model._meta.simple_history_manager_attribute).model, field.name)
    ]
    assert untracked == []
    assert hasattr(Vision.history.model, "goals")


@pytest.fixture
def everything(plan, users, departments):
    """One row of every model the admin edits, in an open fiscal year."""
    set_year_state(plan, 2025, FiscalYear.State.OPEN)
    own = departments[0]
    set_actual("G3-M1-K1", 2025, 350, status=ActualValue.Status.DRAFT)
    ExpectedValue.objects.create(
        indicator=Indicator.objects.get(code="G3-M1-K1"), fiscal_year=2025, value=300
    )
    Submission.objects.create(department=own, strategy=plan, fiscal_year=2025)
    meeting = Meeting.objects.create(strategy=plan, fiscal_year=2025, name="第1回会議", date=date(2026, 6, 1))
    Opinion.objects.create(
        strategy=plan,
        fiscal_year=2025,
        meeting=meeting,
        speaker="委員A",
        text="意見",
        author=users["council"],
    )
    GoalEvaluation.objects.create(
        goal=Goal.objects.get(strategy=plan, code="G1"), fiscal_year=2025, text="評価"
    )
    PolicyDirection.objects.create(
        policy=Policy.objects.filter(measure__goal__strategy=plan).first(),
        fiscal_year=2025,
        direction="continue",
    )
    CycleSettings.objects.create(strategy=plan)
    return users


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", "root@example.jp", "root-pass-4821")


def _admin_url(obj, view="change"):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_{view}", args=[obj.pk])


def _sample(model):
    if model is User:
        return User.objects.get(username="staff-own")
    if model is Group:
        return Group.objects.get(name="department_staff")
    return model._default_manager.order_by("pk").first()


# Fiscal years change state on /fiscal-years/ only (their admin is read-only, see tests/test_admin.py).
EDITABLE = [
    model
    for model in admin.site._registry
    if hasattr(model._meta, "simple_history_manager_attribute") and model is not FiscalYear
]


def test_every_model_in_the_admin_is_edited_with_a_reason_or_deliberately_untracked():
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label_lower
        assert label in UNTRACKED or isinstance(model_admin, ReasonRequiredAdmin), label


@pytest.mark.parametrize("model", EDITABLE, ids=lambda m: m._meta.label_lower)
def test_every_admin_change_form_records_the_user_and_the_reason(client, everything, superuser, model):
    obj = _sample(model)
    assert obj is not None, f"no {model._meta.label} to edit"
    client.force_login(superuser)
    page = client.get(_admin_url(obj))
    assert page.status_code == 200
    data = form_data(page.content.decode(), form_id=f"{model._meta.model_name}_form")
    assert "change_reason" in data, "the change form asks for a reason"
    reason = f"監査テスト：{model._meta.verbose_name}"
    before = obj.history.count()

    response = client.post(_admin_url(obj), {**data, "change_reason": reason})

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    newest = obj.history.order_by("-history_id").first()
    assert obj.history.count() > before
    assert (newest.history_user, newest.history_change_reason) == (superuser, reason)


@pytest.mark.parametrize("model", [Strategy, Department, User], ids=lambda m: m._meta.label_lower)
def test_an_admin_change_without_a_reason_is_refused_and_records_nothing(
    client, everything, superuser, model
):
    obj = _sample(model)
    client.force_login(superuser)
    data = form_data(client.get(_admin_url(obj)).content.decode(), form_id=f"{model._meta.model_name}_form")
    before = obj.history.count()

    response = client.post(_admin_url(obj), {**data, "change_reason": "  "})

    assert response.status_code == 200
    assert "change_reason" in response.context["adminform"].form.errors
    assert obj.history.count() == before


def test_department_members_changed_in_the_admin_are_recorded_with_the_reason(client, everything, superuser):
    department = Department.objects.get(code="kodomo")
    client.force_login(superuser)
    data = form_data(client.get(_admin_url(department)).content.decode(), form_id="department_form")
    data["members"] = [str(everything["staff_own"].pk), str(everything["staff_other"].pk)]

    client.post(_admin_url(department), {**data, "change_reason": "異動"})

    newest = department.history.order_by("-history_id").first()
    assert set(newest.members.values_list("user_id", flat=True)) == {
        everything["staff_own"].pk,
        everything["staff_other"].pk,
    }
    assert {
        r.history_change_reason for r in department.history.filter(history_id__gte=newest.history_id - 2)
    } == {"異動"}


def test_an_admin_change_of_a_users_groups_is_recorded_with_the_reason(client, everything, superuser):
    person = everything["council"]
    client.force_login(superuser)
    data = form_data(client.get(_admin_url(person)).content.decode(), form_id="user_form")
    data["groups"] = [str(Group.objects.get(name="planning_office").pk)]
    data["last_name"] = ["有識者"]

    client.post(_admin_url(person), {**data, "change_reason": "役割の変更"})

    newest = person.history.order_by("-history_id").first()
    assert list(newest.groups.values_list("group__name", flat=True)) == ["planning_office"]
    assert newest.last_name == "有識者" and newest.history_change_reason == "役割の変更"


def test_an_admin_deletion_asks_for_a_reason_and_records_it_with_the_user(
    client, plan, everything, superuser
):
    meeting = Meeting.objects.create(
        strategy=plan, fiscal_year=2025, name="削除する会議", date=date(2026, 7, 1)
    )
    client.force_login(superuser)

    refused = client.post(_admin_url(meeting, "delete"), {"post": "yes"})
    assert refused.status_code == 302 and Meeting.objects.filter(pk=meeting.pk).exists()

    client.post(_admin_url(meeting, "delete"), {"post": "yes", "change_reason": "重複登録"})

    assert not Meeting.objects.filter(pk=meeting.pk).exists()
    gone = Meeting.history.filter(id=meeting.pk, history_type="-").get()
    assert (gone.history_user, gone.history_change_reason) == (superuser, "重複登録")


def test_the_admin_offers_no_bulk_deletion_and_no_revert_from_history(client, everything, superuser):
    client.force_login(superuser)
    changelist = client.get(reverse("admin:goals_goal_changelist"))
    assert "delete_selected" not in changelist.content.decode()
    goal = Goal.objects.first()
    version = goal.history.first()
    url = reverse("admin:goals_goal_simple_history", args=[goal.pk, version.history_id])
    assert client.get(url).status_code == 200  # an old version can still be read
    assert client.post(url, {"title": "戻した"}).status_code == 403
    goal.refresh_from_db()
    assert goal.title != "戻した"


def test_a_change_made_from_the_other_side_of_a_relation_is_recorded_on_its_owner(everything):
    person, department = everything["council"], Department.objects.get(code="shoko")
    person._change_reason = "兼務"
    person.departments.add(department)
    assert department.history.order_by("-history_id").first().history_change_reason == "兼務"
    assert person.pk in department.history.order_by("-history_id").first().members.values_list(
        "user_id", flat=True
    )

    group = Group.objects.get(name="expert_council")
    group.user_set.remove(person)
    assert not person.history.order_by("-history_id").first().groups.filter(group=group).exists()


def test_signing_in_leaves_no_history_row(client, everything):
    person = everything["planning"]
    before = person.history.count()
    person.set_password("another-pass-4821")
    person.save()
    client.login(username=person.username, password="another-pass-4821")
    assert person.history.count() == before + 1  # the password change, not the sign-in
    assert not hasattr(person.history.first(), "password")


def test_the_admin_refuses_invisible_control_characters_and_unstorable_numbers(client, everything, superuser):
    client.force_login(superuser)
    goal = Goal.objects.first()
    data = form_data(client.get(_admin_url(goal)).content.decode(), form_id="goal_form")
    response = client.post(_admin_url(goal), {**data, "title": "目標\x1b", "change_reason": "誤字"})
    assert "U+001B" in str(response.context["adminform"].form.errors["title"])

    person = everything["council"]
    data = form_data(client.get(_admin_url(person)).content.decode(), form_id="user_form")
    response = client.post(_admin_url(person), {**data, "last_name": "有\x0b識者", "change_reason": "氏名"})
    assert "U+000B" in str(response.context["adminform"].form.errors["last_name"])

    actual = ActualValue.objects.get(indicator__code="G3-M1-K1", fiscal_year=2025)
    data = form_data(client.get(_admin_url(actual)).content.decode(), form_id="actualvalue_form")
    response = client.post(
        _admin_url(actual), {**data, "value": "99999999999999.99", "change_reason": "訂正"}
    )
    assert response.status_code == 200 and "value" in response.context["adminform"].form.errors
    actual.refresh_from_db()
    assert actual.value == Decimal(350)


def test_a_grade_colour_must_be_a_hex_colour(client, everything, superuser):
    client.force_login(superuser)
    band = GradeBand.objects.first()
    data = form_data(client.get(_admin_url(band)).content.decode(), form_id="gradeband_form")
    response = client.post(_admin_url(band), {**data, "colour": "red;}*{", "change_reason": "色"})
    assert "#" in str(response.context["adminform"].form.errors["colour"])
    band.refresh_from_db()
    assert band.colour.startswith("#") and len(band.colour) == 7
