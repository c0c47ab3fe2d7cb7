"""A live server for concurrency tests, whose request threads each open their own database connection.

pytest-django's live_server hands an in-memory SQLite database's one connection to every request thread,
so nothing ever waits for SQLite's lock. Here, on SQLite, the test database is copied into a file for the
test (every thread then connects to it with the project's settings: WAL, IMMEDIATE, busy timeout), and on
PostgreSQL the threads connect to the test database as a deployed server would. Needs transactional_db:
what the test sets up must be committed for the server's threads to see it.

People are driven over plain HTTP (http.client) with a session made by force_login and a CSRF token of
their own, so many of them can post at the same moment from threads of the test.
"""

import http.client
import re
import sqlite3
import threading
from contextlib import contextmanager
from urllib.parse import urlencode

from django.conf import settings
from django.db import connections
from django.test import Client
from django.test.testcases import LiveServerThread

CSRF_TOKEN = "racesRACESraces0123456789racesXY"  # 32 allowed characters: a CSRF secret Django accepts


@contextmanager
def own_connections_database(tmp_path):
    """On SQLite, the rest of the test (and the server) use a file copy of the test database."""
    memory = connections["default"]
    if memory.vendor != "sqlite" or not memory.is_in_memory_db():
        yield
        return
    memory.ensure_connection()
    path = tmp_path / "races.sqlite3"
    copy = sqlite3.connect(path)
    memory.connection.backup(copy)
    copy.close()
    in_memory_settings = connections.settings["default"]
    connections.settings["default"] = {**in_memory_settings, "NAME": str(path)}
    connections["default"] = connections.create_connection("default")
    try:
        yield
    finally:
        connections["default"].close()
        connections["default"] = memory
        connections.settings["default"] = in_memory_settings


@contextmanager
def live_server():
    """A threaded WSGI server on a free loopback port; yields (host, port)."""
    thread = LiveServerThread("127.0.0.1", lambda app: app)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    try:
        yield "127.0.0.1", thread.port
    finally:
        thread.terminate()


class Person:
    """One signed-in user's browser, reduced to a session cookie and a CSRF token."""

    def __init__(self, address: tuple[str, int], user):
        client = Client()
        client.force_login(user)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        self.address = address
        self.cookie = f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={CSRF_TOKEN}"

    def _request(self, method: str, path: str, body: str | None = None) -> tuple[int, str]:
        connection = http.client.HTTPConnection(*self.address, timeout=60)
        headers = {"Cookie": self.cookie}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.read().decode()
        finally:
            connection.close()

    def get(self, path: str) -> tuple[int, str]:
        return self._request("GET", path)

    def post(self, path: str, data: dict) -> tuple[int, str]:
        return self._request("POST", path, urlencode({**data, "csrfmiddlewaretoken": CSRF_TOKEN}))


def hidden_value(html: str, name: str) -> str:
    match = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html)
    assert match, f"no {name} on the page"
    return match.group(1)


def at_once(*calls) -> list:
    """Run the calls in threads released together; their results in order (an exception is re-raised)."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        try:
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - handed back to the test
            results[index] = error
        finally:
            connections.close_all()  # a call that touched the ORM opened this thread's own connection

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for result in results:
        if isinstance(result, Exception):
            raise result
    return results
