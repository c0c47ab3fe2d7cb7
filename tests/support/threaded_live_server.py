"""A live server whose requests really run at the same time, each with its own database connection.

pytest-django's live_server shares the test's one connection with every request thread when the SQLite test
database is in memory, so two requests never overlap in the database and a race cannot happen. Here the
in-memory database is copied to a file for the server (each request thread opens its own connection, with
the WAL, busy timeout and IMMEDIATE transactions of settings.py, as in production) and copied back when the
server stops, so the test reads what the requests wrote. On PostgreSQL the request threads connect to the
test database directly. Either way the test must be transactional: the server sees committed rows only.
"""

import contextlib
import re
import sqlite3
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import Cookie, CookieJar

from django.conf import settings
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.test import Client
from django.test.testcases import LiveServerThread

HOST = "127.0.0.1"


@contextlib.contextmanager
def threaded_live_server(tmp_path):
    """Serve the app on a free port while the block runs; yields the base URL."""
    in_memory = connection.vendor == "sqlite" and connection.is_in_memory_db()
    original = connections.settings[DEFAULT_DB_ALIAS]
    if in_memory:
        path = tmp_path / "live.sqlite3"
        connection.ensure_connection()
        with contextlib.closing(sqlite3.connect(path)) as target:
            connection.connection.backup(target)
        # New connections (the server's threads) open the file; the test's own stays on the memory copy.
        connections.settings[DEFAULT_DB_ALIAS] = {**original, "NAME": str(path)}
    server = LiveServerThread(HOST, StaticFilesHandler, connections_override={})
    server.daemon = True
    server.start()
    server.is_ready.wait()
    try:
        if server.error:
            raise server.error
        yield f"http://{HOST}:{server.port}"
    finally:
        server.terminate()
        if in_memory:
            connections.settings[DEFAULT_DB_ALIAS] = original
            with contextlib.closing(sqlite3.connect(path)) as source:
                source.backup(connection.connection)


def session_key(user) -> str:
    """A signed-in session for `user`. Make it before the server starts: on SQLite the server serves a copy
    of the database taken then."""
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Visitor:
    """One signed-in person's browser, reduced to what a race needs: GET a form, POST it back, a status."""

    TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

    def __init__(self, base_url: str, session_key: str):
        self.base_url = base_url
        self.jar = CookieJar()
        self.jar.set_cookie(_cookie(settings.SESSION_COOKIE_NAME, session_key))
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        try:
            with self.opener.open(self.base_url + path, data=body, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def form(self, path: str, fields: tuple[str, ...] = ()) -> dict:
        """The page's CSRF token and the named hidden fields' values, as a browser would post them back."""
        status, html = self.request(path)
        assert status == 200, (path, status)
        found = {"csrfmiddlewaretoken": self.TOKEN.search(html).group(1)}
        for name in fields:
            found[name] = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html).group(1)
        return found


def _cookie(name: str, value: str) -> Cookie:
    return Cookie(
        0, name, value, None, False, HOST, False, False, "/", True, False, None, False, None, None, {}
    )
