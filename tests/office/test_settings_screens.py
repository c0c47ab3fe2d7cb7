"""The planning office's settings screens: a strategy's grade bands and people's roles, each with a reason."""

import pytest
from django.contrib.auth.models import Group, Permission, User

from accounts.access import Role
from goals.models import Department
from kpis.models import GradeBand
from tests.support.entry import login

BANDS = "/settings/grade-bands/"
ROLES = "/settings/roles/"


def _bands_post(plan, changes=None, reason="区分の見直し", extra=None):
    """The grade-band form as shown, with some bands changed; the last empty row left empty."""
    bands = list(GradeBand.objects.filter(strategy=plan))
    data = {
        "form-TOTAL_FORMS": str(len(bands) + 1),
        "form-INITIAL_FORMS": str(len(bands)),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "reason": reason,
    }
    for i, band in enumerate(bands):
        row = {
            "id": band.pk,
            "label": band.label,
            "name": band.name,
            "name_en": band.name_en,
            "lower_bound": "" if band.lower_bound is None else str(band.lower_bound),
            "colour": band.colour,
            "description": band.description,
            "description_en": band.description_en,
        }
        row.update((changes or {}).get(band.label, {}))
        data.update({f"form-{i}-{key}": value for key, value in row.items()})
    # A colour input always submits a colour, the empty row's default too.
    for key, value in {"colour": "#888888", **(extra or {})}.items():
        data[f"form-{len(bands)}-{key}"] = value
    return data


@pytest.fixture
def planning(client, users):
    login(client, users["planning"])
    return users["planning"]


def test_the_planning_office_changes_a_band_and_the_history_keeps_who_and_why(client, plan, planning):
    response = client.post(BANDS, _bands_post(plan, {"A": {"name": "達成", "colour": "#116329"}}))
    assert response.status_code == 302
    band = GradeBand.objects.get(strategy=plan, label="A")
    assert (band.name, band.colour) == ("達成", "#116329")
    newest = band.history.first()
    assert (newest.history_user, newest.history_change_reason) == (planning, "区分の見直し")
    assert GradeBand.history.filter(strategy_id=plan.pk, history_change_reason="区分の見直し").count() == 1


def test_the_planning_office_gives_a_band_its_english_name_and_english_pages_show_it(client, plan, planning):
    changes = {"A": {"name": "達成", "name_en": "Achieved", "description_en": "Rate of 100% or more"}}
    assert client.post(BANDS, _bands_post(plan, changes)).status_code == 302
    band = GradeBand.objects.get(strategy=plan, label="A")
    assert (band.name, band.name_en, band.description_en) == ("達成", "Achieved", "Rate of 100% or more")
    assert band.history.first().history_change_reason == "区分の見直し"
    # The form shows both names, labelled.
    html = client.get(BANDS).content.decode()
    assert 'value="Achieved"' in html and "名称（英語）" in html and "説明（英語）" in html
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    home = client.get("/?fy=2025").content.decode()
    assert "A Achieved" in home and "Rate of 100% or more" in home and "達成" not in home


def test_a_band_without_an_english_name_shows_its_japanese_name_on_english_pages(client, plan, planning):
    assert (
        client.post(BANDS, _bands_post(plan, {"B": {"name_en": "", "description_en": ""}})).status_code == 302
    )
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    home = client.get("/?fy=2025").content.decode()
    assert "B やや遅れ" in home and "B+ Mostly on track" in home


def test_a_band_is_added_and_another_removed_in_one_save(client, plan, planning):
    data = _bands_post(
        plan,
        {"B": {"DELETE": "on"}},
        extra={"label": "S", "name": "大きく上回る", "lower_bound": "120", "colour": "#0a3069"},
    )
    assert client.post(BANDS, data).status_code == 302
    assert sorted(GradeBand.objects.filter(strategy=plan).values_list("label", flat=True)) == [
        "A",
        "B+",
        "C",
        "S",
    ]
    removed = GradeBand.history.get(label="B", history_type="-")
    assert removed.history_change_reason == "区分の見直し" and removed.history_user == planning


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"A": {"colour": "red;}*{"}}, "16進数6桁"),
        ({"A": {"name": "順調\x1b"}}, "制御文字"),
        ({"A": {"lower_bound": ""}}, "ちょうど1つ"),
        ({"B+": {"lower_bound": "100.0"}}, "同じ下限"),
        ({"B": {"label": "A"}}, "同じ評価"),
    ],
    ids=["colour", "control-character", "two-bottoms", "same-bound", "same-label"],
)
def test_a_scale_that_cannot_grade_or_show_is_refused_and_nothing_changes(
    client, plan, planning, changes, message
):
    before = list(
        GradeBand.objects.filter(strategy=plan).values_list("label", "name", "lower_bound", "colour")
    )
    response = client.post(BANDS, _bands_post(plan, changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert (
        list(GradeBand.objects.filter(strategy=plan).values_list("label", "name", "lower_bound", "colour"))
        == before
    )


def test_a_change_without_a_reason_is_refused(client, plan, planning):
    response = client.post(BANDS, _bands_post(plan, {"A": {"name": "達成"}}, reason=" "))
    assert response.status_code == 400
    assert GradeBand.objects.get(strategy=plan, label="A").name == "順調"


# --- Roles -----------------------------------------------------------------------------------------------


def _role_post(roles=(), departments=(), reason="人事異動", **extra):
    return {"roles": list(roles), "departments": [d.pk for d in departments], "reason": reason, **extra}


def test_the_planning_office_gives_a_person_a_role_and_a_department_with_a_reason(
    client, users, departments, planning
):
    person = users["council"]
    response = client.post(
        f"{ROLES}{person.pk}/", _role_post([Role.COUNCIL, Role.STAFF], [departments[1]], reason="兼務の発令")
    )
    assert response.status_code == 302
    assert set(person.groups.values_list("name", flat=True)) == {Role.COUNCIL, Role.STAFF}
    assert list(person.departments.all()) == [departments[1]]
    user_row = person.history.first()
    assert (user_row.history_user, user_row.history_change_reason) == (planning, "兼務の発令")
    assert set(user_row.groups.values_list("group__name", flat=True)) == {Role.COUNCIL, Role.STAFF}
    department_row = departments[1].history.first()
    assert (department_row.history_user, department_row.history_change_reason) == (planning, "兼務の発令")


def test_the_roles_screen_never_makes_anyone_a_superuser_or_hands_out_permissions(client, users, planning):
    person = users["staff_own"]
    other = Group.objects.create(name="経理担当")
    person.groups.add(other)
    permission = Permission.objects.get(codename="change_user")
    client.post(
        f"{ROLES}{person.pk}/",
        _role_post(
            [Role.STAFF],
            reason="権限の付与",
            is_superuser="on",
            is_staff="on",
            user_permissions=[permission.pk],
            groups=[other.pk],
        ),
    )
    person.refresh_from_db()
    assert not person.is_superuser and not person.is_staff
    assert not person.user_permissions.exists()
    assert other in person.groups.all()  # groups other than the three roles are not touched


def test_a_superuser_is_not_changed_on_the_roles_screen(client, planning):
    root = User.objects.create_superuser("root", "root@example.jp", "root-pass-4821")
    assert client.get(f"{ROLES}{root.pk}/").status_code == 200
    assert client.post(f"{ROLES}{root.pk}/", _role_post([Role.COUNCIL])).status_code == 403
    assert not root.groups.exists()


def test_nobody_takes_the_planning_role_from_themselves(client, planning):
    response = client.post(f"{ROLES}{planning.pk}/", _role_post([Role.STAFF]))
    assert response.status_code == 400
    assert "自分自身から政策企画課の役割を外すことはできません" in response.content.decode()
    assert planning.groups.filter(name=Role.PLANNING).exists()


def test_a_role_change_needs_a_reason(client, users, planning):
    person = users["council"]
    response = client.post(f"{ROLES}{person.pk}/", _role_post([Role.PLANNING], reason=""))
    assert response.status_code == 400
    assert not person.groups.filter(name=Role.PLANNING).exists()


def test_the_roles_list_shows_each_persons_roles_and_departments(client, users, departments, planning):
    response = client.get(ROLES)
    html = response.content.decode()
    assert response.status_code == 200
    assert "staff-own" in html and "こども家庭課" in html and "担当課職員" in html


def test_an_unknown_role_is_refused(client, users, planning):
    person = users["council"]
    response = client.post(f"{ROLES}{person.pk}/", _role_post(["superusers"]))
    assert response.status_code == 400
    assert not Department.objects.filter(members=person).exists()
    assert set(person.groups.values_list("name", flat=True)) == {Role.COUNCIL}
