"""The demo's council side (load_demo_meetings): a meeting held and one to come, with opinions and the
planning office's responses, so demo-council sees the council's pages working. Invented, like every demo
figure: refused when DEBUG is off."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from reviews.models import Meeting, Opinion


def test_refused_when_debug_is_off(plan):
    with override_settings(DEBUG=False), pytest.raises(CommandError, match="DEBUG=1"):
        call_command("load_demo_meetings", stdout=StringIO())
    assert not Meeting.objects.exists()


@override_settings(DEBUG=True)
def test_refused_before_the_demo_figures_are_loaded(plan):
    with pytest.raises(CommandError, match="load_demo"):
        call_command("load_demo_meetings", stdout=StringIO())
    assert not Meeting.objects.exists()


@override_settings(DEBUG=True)
def test_a_meeting_held_one_to_come_and_answered_opinions_once_only(client, plan):
    call_command("load_demo", stdout=StringIO())
    for _run in range(2):
        call_command("load_demo_meetings", stdout=StringIO())
    today = timezone.localdate()
    held, coming = Meeting.objects.order_by("date")
    assert held.date < today < coming.date
    assert coming.agenda and coming.attendee_list and held.minutes
    opinions = Opinion.objects.order_by("pk")
    assert [o.follow_up for o in opinions] == [Opinion.FollowUp.IN_PROGRESS, Opinion.FollowUp.DONE]
    assert all(o.response and o.author.username == "demo-council" for o in opinions)
    assert all(o.history.count() == 2 for o in opinions)  # registered, then answered

    client.login(username="demo-council", password="ami-demo-2025")
    html = client.get(reverse("reviews:meetings")).content.decode()
    assert html.index(coming.name) < html.index(held.name)
    mine = client.get(reverse("reviews:my_opinions")).content.decode()
    assert all(o.response in mine for o in opinions)
