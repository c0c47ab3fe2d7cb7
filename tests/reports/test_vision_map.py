"""「地域ビジョンと基本目標」 on the overview and the published plan: the visions as the header, each basic goal
a row under the visions it serves, linking to its page (reports.dashboards.presenters.vision_map)."""

import re

import pytest

from goals.models import Goal, Vision
from reports.dashboards.presenters import VisionSpan, vision_map

pytestmark = pytest.mark.django_db

VISIONS = [
    ("子育て", "若者・子育て世代に選ばれる５万人都市"),
    ("暮らし", "暮らし続けることができる持続可能な都市"),
    ("誇り・愛着", "人とまちへの誇り・愛着が育つ共生都市"),
]


def vision_section(html: str) -> str:
    found = re.search(r'<section class="vision-map".*?</section>', html, re.DOTALL)
    assert found, "the page has no 「地域ビジョンと基本目標」 section"
    return found.group(0)


def header_cells(section: str) -> list[str]:
    thead = re.search(r"<thead>(.*?)</thead>", section, re.DOTALL).group(1)
    return [
        re.sub(r"<[^>]+>|\s+", "", cell) for cell in re.findall(r'<th scope="col".*?</th>', thead, re.DOTALL)
    ]


def goal_rows(section: str) -> list[str]:
    tbody = re.search(r"<tbody>(.*?)</tbody>", section, re.DOTALL).group(1)
    return re.findall(r"<tr>(.*?)</tr>", tbody, re.DOTALL)


@pytest.mark.parametrize("role", ["anonymous", "council", "staff_own", "planning"])
def test_the_overview_and_the_plan_show_each_vision_over_the_four_goals_it_is_served_by(
    client_as, plan, role
):
    """Anonymous visitors see the published plan (dashboards/plan.html), the others the overview."""
    response = client_as(role).get("/")
    assert response.status_code == 200
    html = response.content.decode()
    section = vision_section(html)
    assert 'aria-labelledby="vision-map-heading"' in section and ">地域ビジョンと基本目標</h2>" in section
    assert header_cells(section) == [
        f"地域ビジョン（{number}）{theme}{title}" for number, (theme, title) in enumerate(VISIONS, start=1)
    ]
    rows = goal_rows(section)
    assert len(rows) == 4
    for number, (row, goal) in enumerate(zip(rows, Goal.objects.order_by("number"), strict=True), start=1):
        # One cell spanning the three visions, linking to the goal's page.
        assert re.findall(r'<td colspan="(\d+)"', row) == ["3"]
        assert f'<a href="/goals/G{number}/">' in row and f"「{goal.title}」" in row
        assert (
            "地域ビジョン：子育て・暮らし・誇り・愛着" in row
        )  # what the goal serves, when the columns stack


def test_a_goal_serving_visions_apart_spans_each_of_them_and_marks_the_gap(client_as, plan):
    Vision.objects.get(number=2).goals.remove(Goal.objects.get(code="G2"))
    row = goal_rows(vision_section(client_as("council").get("/").content.decode()))[1]
    assert re.findall(r'<td colspan="(\d+)" class="([\w-]+)"', row) == [
        ("1", "vision-goal"),
        ("1", "vision-none"),
        ("1", "vision-goal"),
    ]
    assert "関係なし" in row and "地域ビジョン：子育て・誇り・愛着" in row


def test_vision_map_groups_neighbouring_visions_into_spans(plan):
    visions = list(Vision.objects.prefetch_related("goals"))
    g1, g2 = Goal.objects.get(code="G1"), Goal.objects.get(code="G2")
    visions[0].goals.remove(g1)
    visions = list(Vision.objects.prefetch_related("goals"))
    shown = vision_map(visions, [g1, g2])
    assert shown.rows[0].spans == [VisionSpan(1, False), VisionSpan(2, True)]
    assert [v.theme for v in shown.rows[0].visions] == ["暮らし", "誇り・愛着"]
    assert shown.rows[1].spans == [VisionSpan(3, True)]


def test_a_plan_without_visions_shows_no_section(client_as, plan):
    Vision.objects.all().delete()
    assert 'class="vision-map"' not in client_as("council").get("/").content.decode()
