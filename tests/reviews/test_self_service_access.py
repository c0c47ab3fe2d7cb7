"""Who may open and use the council's self-service pages: every new view × role × method."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from reviews.models import Meeting, MeetingDocument, Opinion
from reviews.services import meeting_marker
from tests.support.documents import pdf_bytes

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "staff_own", "staff_other", "council", "planning"]


@pytest.fixture
def meeting(plan, users):
    meeting = Meeting.objects.create(
        strategy=plan,
        fiscal_year=2025,
        name="第1回創生有識者会議",
        date=timezone.localdate() + datetime.timedelta(days=7),
    )
    MeetingDocument.objects.create(
        meeting=meeting,
        filename="議事要旨.pdf",
        content_type="application/pdf",
        size=len(pdf_bytes()),
        sha256="x",
        data=pdf_bytes(),
        uploaded_at=timezone.now(),
    )
    return meeting


def as_user(client, users, who):
    if users[who] is not None:
        client.force_login(users[who])
    return client


GET_MATRIX = {
    # view: status per role (anonymous, staff_own, staff_other, council, planning)
    "opinion_new": (302, 403, 403, 200, 200),
    "my_opinions": (302, 403, 403, 200, 200),
    "opinions": (302, 403, 403, 403, 200),
    "meeting_edit": (302, 403, 403, 403, 200),
    "meeting_document": (302, 200, 200, 200, 200),
}


def url_of(view: str, meeting: Meeting) -> str:
    if view in ("meeting_edit", "meeting_document"):
        return reverse(f"reviews:{view}", args=[meeting.pk])
    if view == "opinion_new":
        return reverse("reviews:opinion_new") + "?goal=G1"
    return reverse(f"reviews:{view}")


@pytest.mark.parametrize("view", list(GET_MATRIX))
@pytest.mark.parametrize("who", ROLES)
def test_reading_each_new_page_by_role(client, users, meeting, view, who):
    expected = GET_MATRIX[view][ROLES.index(who)]
    response = as_user(client, users, who).get(url_of(view, meeting))
    assert response.status_code == expected, (view, who)
    if who == "anonymous":
        assert response["Location"].startswith(reverse("login") + "?next=")


@pytest.mark.parametrize(
    "who, expected", [("anonymous", 302), ("staff_own", 403), ("council", 302), ("planning", 302)]
)
def test_writing_an_opinion_from_a_page_by_role(client, users, meeting, who, expected):
    data = {"meeting": meeting.pk, "speaker": "委員", "text": "意見"}
    response = as_user(client, users, who).post(reverse("reviews:opinion_new") + "?goal=G1", data)
    assert response.status_code == expected
    if who == "anonymous":
        assert response["Location"].startswith(reverse("login"))
    assert Opinion.objects.exists() == (who in ("council", "planning"))


@pytest.mark.parametrize(
    "who, expected", [("anonymous", 302), ("staff_own", 403), ("council", 403), ("planning", 302)]
)
def test_editing_a_meeting_and_its_file_by_role(client, users, meeting, who, expected):
    data = {
        "name": meeting.name,
        "body": meeting.body,
        "date": meeting.date.isoformat(),
        "fiscal_year": "2025",
        "agenda": "書き換えた議題",
        "attendees": "",
        "minutes": "",
        "remove_document": "on",
        "seen": meeting_marker(meeting, MeetingDocument.objects.described().get()),
    }
    response = as_user(client, users, who).post(reverse("reviews:meeting_edit", args=[meeting.pk]), data)
    assert response.status_code == expected
    if who == "anonymous":
        assert response["Location"].startswith(reverse("login"))
    meeting.refresh_from_db()
    assert (meeting.agenda == "書き換えた議題") == (who == "planning")
    assert MeetingDocument.objects.exists() == (who != "planning")


@pytest.mark.parametrize("who", ["council", "staff_own"])
def test_a_planning_only_post_is_refused_before_its_upload_is_read(client, users, meeting, who):
    # The refusal comes from the user's roles, before the body (and a file in it) is parsed.
    response = as_user(client, users, who).post(
        reverse("reviews:meeting_edit", args=[meeting.pk]),
        data=b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(50 * 1024 * 1024),
    )
    assert response.status_code == 403


def test_the_planning_office_lists_and_the_council_is_refused_with_a_logged_403(
    client, users, meeting, caplog
):
    as_user(client, users, "council").get(reverse("reviews:opinions"))
    assert any("access refused" in r.getMessage() and "/opinions/" in r.getMessage() for r in caplog.records)
