import re

import pytest
from django.urls import reverse

from kpis.models import GradeBand
from lib.templatetags.figures import grade_badge, grade_class

pytestmark = pytest.mark.django_db


def test_the_default_grades_have_readable_classes():
    assert [grade_class(label) for label in ("A", "B+", "B", "C", "−")] == ["a", "bplus", "b", "c", "none"]


def test_a_towns_own_labels_get_their_own_colours(client, plan):
    GradeBand.objects.filter(strategy=plan).delete()
    for label, bound, colour in [
        ("◎", 100, "#005500"),
        ("○", 80, "#0044aa"),
        ("△", 50, "#ffdd00"),
        ("×", None, "#aa0000"),
    ]:
        GradeBand.objects.create(strategy=plan, label=label, name=label, lower_bound=bound, colour=colour)
    css = client.get(reverse("dashboards:grade_css")).content.decode()
    assert f".grade-{grade_class('◎')} {{ background: #005500; color: #ffffff; }}" in css
    # Dark ink on a light band, white on a dark one: whichever contrasts more.
    assert f".grade-{grade_class('△')} {{ background: #ffdd00; color: #1f2328; }}" in css
    assert f'class="grade grade-{grade_class("×")}"' in grade_badge("×", "遅れ")
    assert grade_class("◎") != grade_class("○")


def test_a_missing_figure_shows_only_a_dash_not_a_dash_and_a_unit():
    from decimal import Decimal

    from lib.templatetags.figures import figure

    assert figure(None, None, "人") == "−"
    assert figure(Decimal("3.3"), 2, "点", "平均") == '平均3.30<span class="unit">点</span>'


RULE = re.compile(r"\.grade-[a-z0-9]+ \{ background: #[0-9a-fA-F]{6}; color: #[0-9a-fA-F]{6}; \}")


def test_a_stored_colour_cannot_restyle_the_page(client, plan):
    GradeBand.objects.filter(strategy=plan, label="B+").update(colour="red;}*{")
    GradeBand.objects.create(strategy=plan, label="◎", name="特に順調", lower_bound=150, colour="x}body{")
    css = client.get(reverse("dashboards:grade_css")).content.decode()
    lines = css.strip().splitlines()
    assert len(lines) == 6 and all(RULE.fullmatch(line) for line in lines), css
    assert "red" not in css and "body" not in css
    assert ".grade-bplus { background: #2f6fb3;" in css  # the default scale's B+ colour
    assert f".grade-{grade_class('◎')} {{ background: #6e7781;" in css  # no default: the neutral grey
