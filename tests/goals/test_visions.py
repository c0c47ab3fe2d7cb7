"""The regional visions and the basic goals serving them, as the plan's diagram draws them: loaded from the
plan file, kept in history, edited in the admin with a reason."""

import io
import json

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse

from goals.models import Goal, Strategy, Vision
from kpis.loading.plan_file import PlanFormatError, load_plan
from tests.support.admin_forms import form_data

pytestmark = pytest.mark.django_db

EVERY_GOAL = ["G1", "G2", "G3", "G4"]


def _links() -> dict[str, list[str]]:
    return {
        vision.theme: [goal.code for goal in vision.goals.order_by("number")]
        for vision in Vision.objects.order_by("number")
    }


def _plan_file(tmp_path, change) -> str:
    data = json.loads((settings.BASE_DIR / "fixtures" / "plan_dai3ki.json").read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_every_vision_is_served_by_the_four_basic_goals_as_the_plans_diagram_shows(plan):
    assert _links() == {"子育て": EVERY_GOAL, "暮らし": EVERY_GOAL, "誇り・愛着": EVERY_GOAL}
    assert [v.theme for v in Goal.objects.get(code="G3").visions.order_by("number")] == [
        "子育て",
        "暮らし",
        "誇り・愛着",
    ]


def test_the_links_are_kept_in_history_with_the_loaders_reason(plan):
    vision = Vision.objects.get(number=1)
    newest = vision.history.order_by("-history_id").first()
    assert newest.history_change_reason == "計画ファイルの読み込み"
    assert sorted(Goal.objects.get(pk=row.goal_id).code for row in newest.goals.all()) == EVERY_GOAL


def test_loading_again_leaves_the_links_and_their_history_alone(plan):
    before = {v.pk: v.history.count() for v in Vision.objects.all()}
    out = io.StringIO()
    call_command("load_plan", stdout=out)
    assert "変更なし" in out.getvalue()
    assert _links()["子育て"] == EVERY_GOAL
    assert {v.pk: v.history.count() for v in Vision.objects.all()} == before


def test_a_link_removed_by_hand_comes_back_on_the_next_load_and_is_reported(plan):
    vision = Vision.objects.get(number=2)
    vision.goals.remove(Goal.objects.get(code="G4"))
    out = io.StringIO()
    call_command("load_plan", stdout=out)
    assert _links()["暮らし"] == EVERY_GOAL
    assert "暮らし" in out.getvalue() and "goals" in out.getvalue()


def test_the_file_decides_which_goals_serve_a_vision(plan, tmp_path):
    def fewer(data):
        data["visions"][0]["goals"] = ["G3"]

    load_plan(_plan_file(tmp_path, fewer))
    assert _links() == {"子育て": ["G3"], "暮らし": EVERY_GOAL, "誇り・愛着": EVERY_GOAL}


def test_an_unknown_goal_code_is_refused_naming_the_vision_and_nothing_is_written(db, tmp_path):
    def unknown(data):
        data["visions"][1]["goals"] = ["G1", "G9"]

    with pytest.raises(PlanFormatError, match=r"vision 2（暮らし）.*G9"):
        load_plan(_plan_file(tmp_path, unknown))
    assert not Strategy.objects.exists() and not Vision.objects.exists() and not Goal.objects.exists()


def test_an_unknown_goal_code_on_reload_keeps_the_links_as_they_were(plan, tmp_path):
    def unknown(data):
        data["visions"][0]["goals"] = ["G2", "G5"]

    with pytest.raises(PlanFormatError, match="G5"):
        load_plan(_plan_file(tmp_path, unknown))
    assert _links()["子育て"] == EVERY_GOAL


@pytest.mark.parametrize("goals", ["G1", [1, 2], None])
def test_goals_that_are_not_a_list_of_codes_are_refused(db, tmp_path, goals):
    def broken(data):
        data["visions"][2]["goals"] = goals

    with pytest.raises(PlanFormatError, match=r"vision 3（誇り・愛着）: 'goals'"):
        load_plan(_plan_file(tmp_path, broken))
    assert not Strategy.objects.exists()


def test_a_plan_file_without_links_still_loads_and_keeps_the_links_there_are(plan, tmp_path):
    def without(data):
        for vision in data["visions"]:
            del vision["goals"]

    path = _plan_file(tmp_path, without)
    out = io.StringIO()
    call_command("load_plan", path, stdout=out)
    assert "変更なし" in out.getvalue()
    assert _links()["誇り・愛着"] == EVERY_GOAL


def test_a_plan_file_without_links_loads_into_an_empty_database(db, tmp_path):
    def without(data):
        for vision in data["visions"]:
            del vision["goals"]

    load_plan(_plan_file(tmp_path, without))
    assert Vision.objects.count() == 3 and _links()["子育て"] == []


def test_a_link_changed_from_the_goals_side_is_recorded_on_the_vision(plan):
    goal, vision = Goal.objects.get(code="G1"), Vision.objects.get(number=3)
    goal._change_reason = "図の見直し"
    goal.visions.remove(vision)
    newest = vision.history.order_by("-history_id").first()
    assert newest.history_change_reason == "図の見直し"
    assert goal.pk not in {row.goal_id for row in newest.goals.all()}


# --- The admin ---------------------------------------------------------------------------------------


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", "root@example.jp", "root-pass-4821")


def _change_url(vision) -> str:
    return reverse("admin:goals_vision_change", args=[vision.pk])


def test_the_admin_edits_a_visions_goals_with_a_reason_kept_in_history(client, plan, superuser):
    vision = Vision.objects.get(number=1)
    client.force_login(superuser)
    page = client.get(_change_url(vision))
    assert "関係する基本目標" in page.content.decode()
    data = form_data(page.content.decode(), form_id="vision_form")
    data["goals"] = [str(Goal.objects.get(code="G3").pk)]

    response = client.post(_change_url(vision), {**data, "change_reason": "総合計画の改定に合わせる"})

    assert response.status_code == 302
    assert _links()["子育て"] == ["G3"]
    newest = vision.history.order_by("-history_id").first()
    assert (newest.history_user, newest.history_change_reason) == (superuser, "総合計画の改定に合わせる")
    assert [row.goal_id for row in newest.goals.all()] == [Goal.objects.get(code="G3").pk]


def test_the_admin_refuses_a_goal_of_another_strategy(client, plan, superuser):
    other = Strategy.objects.create(
        code="dai4ki", name="第４期", first_year=2028, last_year=2032, baseline_year=2027
    )
    foreign = Goal.objects.create(strategy=other, code="G1", number=1, title="次期の目標")
    vision = Vision.objects.get(number=1)
    client.force_login(superuser)
    data = form_data(client.get(_change_url(vision)).content.decode(), form_id="vision_form")
    data["goals"] = [str(foreign.pk)]

    response = client.post(_change_url(vision), {**data, "change_reason": "誤り"})

    assert response.status_code == 200
    assert "G1" in str(response.context["adminform"].form.errors["goals"])
    assert _links()["子育て"] == EVERY_GOAL


def test_the_admin_list_shows_each_visions_goals(client, plan, superuser):
    client.force_login(superuser)
    page = client.get(reverse("admin:goals_vision_changelist")).content.decode()
    assert page.count("G1、G2、G3、G4") == 3
