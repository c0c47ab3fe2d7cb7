"""The opinion form on a plan many times the real one: the indicator is typed by its code, not picked from
a list of thousands (which weighed 331 KB on every page with the form); at the real size, the list stays."""

import datetime

import pytest
from django.urls import reverse

from kpis.models import Indicator
from reviews.forms import INDICATOR_CHOICES_LIMIT
from reviews.models import Meeting, Opinion
from reviews.services import opinion_marker
from tests.support.factories import PASSWORD, build_synthetic_plan, make_user


@pytest.fixture
def large(db, client):
    strategy = build_synthetic_plan(5)  # 240 indicators
    assert Indicator.objects.filter(strategy=strategy).count() > INDICATOR_CHOICES_LIMIT
    meeting = Meeting.objects.create(
        strategy=strategy, fiscal_year=2025, name="第1回創生有識者会議", date=datetime.date(2026, 7, 15)
    )
    planner = make_user("planner", "planning_office")
    client.login(username=planner.username, password=PASSWORD)
    return meeting


def form_url(meeting, **query):
    url = reverse("reviews:opinion_create", args=[meeting.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_the_form_asks_for_a_code_and_stays_small(client, large):
    html = client.get(form_url(large)).content.decode()
    assert 'name="indicator" type="text"' in html or ('type="text" name="indicator"' in html)
    assert html.count("<option") < 20  # the goals and the meeting, not every indicator
    assert len(html.encode()) < 60_000


def test_an_opinion_on_an_indicator_typed_by_its_code(client, large):
    response = client.post(form_url(large), {"speaker": "有識者A", "indicator": "G2-M1-K3", "text": "意見"})
    assert response.status_code == 302
    assert Opinion.objects.get().indicator.code == "G2-M1-K3"


def test_an_unknown_code_is_refused_naming_the_field_and_nothing_is_written(client, large):
    response = client.post(form_url(large), {"speaker": "有識者A", "indicator": "G9-X", "text": "意見"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "入力した指標のコードはこの計画にありません" in html and 'value="G9-X"' in html
    assert not Opinion.objects.exists()


def test_started_from_an_indicator_and_edited_later_the_code_is_shown(client, large):
    html = client.get(form_url(large, indicator="G2-M1-K3")).content.decode()
    assert 'value="G2-M1-K3"' in html
    client.post(form_url(large), {"speaker": "有識者A", "indicator": "G2-M1-K3", "text": "意見"})
    opinion = Opinion.objects.get()
    html = client.get(reverse("reviews:opinion_edit", args=[opinion.pk])).content.decode()
    assert 'value="G2-M1-K3"' in html and f'value="{opinion.indicator_id}"' not in html
    response = client.post(
        reverse("reviews:opinion_edit", args=[opinion.pk]),
        {"speaker": "有識者A", "indicator": "G2-M1-K4", "text": "意見", "seen": opinion_marker(opinion)},
    )
    assert response.status_code == 302
    opinion.refresh_from_db()
    assert opinion.indicator.code == "G2-M1-K4"


def test_at_the_real_size_the_indicators_are_a_list(client, plan):
    meeting = Meeting.objects.create(
        strategy=plan, fiscal_year=2025, name="第1回創生有識者会議", date=datetime.date(2026, 7, 15)
    )
    client.login(username=make_user("planner", "planning_office").username, password=PASSWORD)
    html = client.get(form_url(meeting)).content.decode()
    assert '<select name="indicator"' in html and "G3-M1-K1" in html
