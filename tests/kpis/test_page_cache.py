"""Kept public pages (kpis.page_cache): served without being drawn again while nothing changed, never after
a change, never to or from a signed-in user, and each visitor with a CSRF token of their own.

Writes must commit for the data version to advance, so these tests use transactional_db.
"""

import re

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kpis import page_cache, versioning
from tests.kpis.test_versioning import WRITES, write_plan

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"')


@pytest.fixture(autouse=True)
def public(settings):
    settings.PUBLIC_DASHBOARDS = True
    settings.PAGE_CACHE = True
    caches[page_cache.ALIAS].clear()
    yield
    caches[page_cache.ALIAS].clear()


def fetch(client: Client, url: str = "/goals/G3/"):
    """The response, its body (streamed ones read whole) and the number of SQL queries it took."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200, url
    return response, body, len(queries)


def without_token(body: bytes) -> str:
    return TOKEN.sub("", body.decode())


@pytest.mark.parametrize("url", ["/", "/goals/G3/", "/indicators/", "/indicators/G3-M1-K1/"])
def test_a_second_visitor_gets_the_kept_page_without_it_being_drawn(plan, url):
    first, first_body, drawn = fetch(Client(), url)
    second, second_body, kept = fetch(Client(), url)
    assert without_token(second_body) == without_token(first_body)
    assert kept < drawn and kept <= 3, (kept, drawn)  # the version (and the plans): not the page's queries
    assert second["ETag"] == first["ETag"]
    assert second["Content-Type"] == first["Content-Type"]
    assert "no-cache" in second["Cache-Control"] and "Cookie" in second["Vary"]


def test_each_visitor_gets_a_csrf_token_of_their_own_that_works(plan):
    fetch(Client())
    tokens = []
    for _ in range(2):
        visitor = Client(enforce_csrf_checks=True)
        response, body, _queries = fetch(visitor)
        assert page_cache.HOLE not in body
        (token,) = set(TOKEN.findall(body.decode()))
        tokens.append(token)
        assert "csrftoken" in response.cookies  # the visitor's own secret, set as when the page is drawn
        form = {"language": "en", "next": "/goals/G3/", "csrfmiddlewaretoken": token}
        if tokens[:-1]:  # another visitor's token is not this one's
            assert (
                visitor.post("/i18n/setlang/", {**form, "csrfmiddlewaretoken": tokens[0]}).status_code == 403
            )
        switched = visitor.post("/i18n/setlang/", form)
        assert switched.status_code == 302
    assert tokens[0] != tokens[1]


def test_the_open_data_is_kept_as_it_streams_and_served_whole(plan):
    _, first, drawn = fetch(Client(), "/api/v1/indicators.json")
    response, second, kept = fetch(Client(), "/api/v1/indicators.json")
    assert second == first and kept < drawn
    _, csv_first, _ = fetch(Client(), "/api/v1/indicators.csv")
    response, csv_second, _ = fetch(Client(), "/api/v1/indicators.csv")
    assert csv_second == csv_first
    assert response["Content-Disposition"].startswith("attachment;")


def test_a_stream_left_half_read_keeps_nothing(plan):
    response = Client().get("/api/v1/indicators.json")
    next(iter(response.streaming_content))
    response.close()
    _, _, queries = fetch(Client(), "/api/v1/indicators.json")
    assert queries > 3  # drawn again


@pytest.mark.parametrize("write", WRITES, ids=[w.__name__ for w in WRITES])
def test_every_kind_of_write_means_the_page_is_drawn_again(plan, users, write, tmp_path):
    _, before, drawn = fetch(Client())
    _, _, kept = fetch(Client())
    assert kept < drawn
    version = versioning.current()
    write(Client(), users, plan, tmp_path)
    assert versioning.current() != version
    _, after, queries = fetch(Client())
    assert queries > kept  # drawn, not the kept copy


def test_a_changed_figure_shows_at_once(plan, users):
    fetch(Client(), "/indicators/G3-M1-K1/")
    write_plan(Client(), users, plan, None)  # the target becomes 999
    _, body, _ = fetch(Client(), "/indicators/G3-M1-K1/")
    assert "999" in body.decode()


def test_signed_in_readers_neither_get_nor_leave_kept_pages(plan, users):
    reader = Client()
    reader.force_login(users["council"])
    name = users["council"].get_full_name() or users["council"].username
    _, mine, _ = fetch(reader)
    assert name in mine.decode()
    _, anonymous, _ = fetch(Client())
    assert name not in anonymous.decode()
    _, again, queries = fetch(reader)
    assert name in again.decode() and queries > 3


def test_a_visitor_with_a_session_is_drawn_the_page(plan):
    fetch(Client())
    visitor = Client()
    visitor.cookies["sessionid"] = "x" * 32
    _, _, queries = fetch(visitor)
    assert queries > 3


def test_the_language_is_part_of_the_key(plan):
    _, japanese, _ = fetch(Client())
    english_client = Client(headers={"accept-language": "en"})
    _, english, _ = fetch(english_client)
    assert without_token(english) != without_token(japanese)
    _, again, queries = fetch(Client(headers={"accept-language": "en"}))
    assert without_token(again) == without_token(english) and queries <= 3


def test_a_large_page_is_drawn_each_time(plan, monkeypatch):
    monkeypatch.setattr(page_cache, "MAX_BYTES", 1000)
    fetch(Client())
    _, _, queries = fetch(Client())
    assert queries > 3


def test_switched_off_nothing_is_kept(plan, settings):
    settings.PAGE_CACHE = False
    fetch(Client())
    _, _, queries = fetch(Client())
    assert queries > 3
