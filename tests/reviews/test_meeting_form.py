"""The meeting form's year choice reads as every other fiscal year in the app: 「2026年度（令和8年度）」."""

import re

import pytest
from django.urls import reverse

from reviews.forms import MeetingForm

pytestmark = pytest.mark.django_db


def test_the_meeting_forms_years_read_with_their_wareki(plan):
    choices = list(MeetingForm(strategy=plan).fields["fiscal_year"].choices)
    assert choices == [
        (2025, "2025年度（令和7年度）"),
        (2026, "2026年度（令和8年度）"),
        (2027, "2027年度（令和9年度）"),
    ]


def test_the_meetings_page_offers_the_years_by_their_full_label_and_still_saves_the_year(client, plan, users):
    client.force_login(users["planning"])
    html = client.get(reverse("reviews:meetings")).content.decode()
    assert re.search(r'<option value="2026"[^>]*>2026年度（令和8年度）</option>', html)
    data = {"name": "第2回創生本部会議", "body": "headquarters", "date": "2026-08-01", "fiscal_year": "2026"}
    assert client.post(reverse("reviews:meetings"), data).status_code == 302
    assert plan.meetings.get().fiscal_year == 2026
