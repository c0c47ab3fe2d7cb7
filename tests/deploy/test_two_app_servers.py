"""Two app servers on one PostgreSQL database: neither needs anything the other keeps in its process.

Two real gunicorn processes with production settings (DEBUG=0, a random SECRET_KEY, ALLOWED_HOSTS, static
files collected for WhiteNoise's manifest) serve the test database, each on its own loopback port. People
are driven over HTTP like a browser behind a proxy that sends each request to either server: one cookie jar
for both, signing in through the login form, the CSRF token taken from each page. An upload previewed
through one server is confirmed through the other, and a figure saved through one is shown at once by the
other, whose ETag for the page changes with the write; a public page each server keeps for anonymous
visitors (kpis.page_cache) is drawn again by both once the other has written; a meeting pack started
through one is served by the other from the database. docs/operations.md, "Several app servers".
"""

import datetime
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from decimal import Decimal
from email.message import Message
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import quote, urlencode, urlsplit, urlunsplit
from urllib.request import HTTPCookieProcessor, Request, build_opener, urlopen

import pytest
from django.core.management import call_command
from django.db import connection

from accounts.access import Role
from goals.models import Strategy
from kpis.models import ActualValue, FiscalYear, Indicator, StagedUpload
from reports.models import PackBuild
from reviews.models import Meeting
from tests.support.entry import OWN_CODES, form_fields, set_year_state
from tests.support.factories import PASSWORD, make_department, make_user

# Skipped while the module is collected, not inside a test: on SQLite the test database lives in the test
# process's memory, where no other process can reach it. That is not a missing tool, so no failure in CI
# either (the CI hook in tests/conftest.py fails skipped tests, not a module skipped while collected). The
# PostgreSQL leg of `make test` runs this file, and there nothing skips it: a missing gunicorn, a server
# that does not start or a page that fails is a failure.
if connection.vendor != "postgresql":
    pytest.skip(
        "two gunicorn servers need a database both can reach: runs on PostgreSQL only "
        "(the PostgreSQL leg of make test)",
        allow_module_level=True,
    )

ROOT = Path(__file__).resolve().parents[2]
READY_WITHIN = 120  # seconds for both servers to answer (a busy 2-core machine runs other tests beside them)
REQUEST_WITHIN = 120  # seconds for one request: a first page compiles its templates on a busy machine
PAGE = "/indicators/G3-M1-K1/"


# --- the servers -------------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    port: int
    log: Path

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


def server_database_url() -> str:
    """DATABASE_URL naming the test database (test_<name>) that this process writes to."""
    configured = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(configured._replace(path="/" + quote(connection.settings_dict["NAME"])))


def production_environment(folder: Path) -> dict[str, str]:
    """The servers' environment, as README's "Running it for real" sets it, with static files collected
    into the temporary folder (a settings module there changes only STATIC_ROOT), as scripts/load_run.sh."""
    (folder / "two_servers_settings.py").write_text(
        f"from ami_strategy.settings import *  # noqa: F403\n\nSTATIC_ROOT = {str(folder / 'static')!r}\n"
    )
    return {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "HTTPS": "0",
        "PUBLIC_DASHBOARDS": "1",
        "PACK_BUILD_WAIT_SECONDS": "0",  # a meeting pack is always made in the background: the 202 page first
        "DATABASE_URL": server_database_url(),
        "DJANGO_SETTINGS_MODULE": "two_servers_settings",
        "PYTHONPATH": os.pathsep.join([str(folder), str(ROOT)]),
    }


def start_server(name: str, environment: dict[str, str], folder: Path) -> Server:
    # The socket is bound here and handed to gunicorn, so no other process can take the port in between.
    listener = socket.create_server(("127.0.0.1", 0))
    log = folder / f"gunicorn-{name}.log"
    with listener, log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "ami_strategy.wsgi",
                "--workers",
                "2",
                "--timeout",
                str(REQUEST_WITHIN),
            ]
            + ["--bind", f"fd://{listener.fileno()}", "--log-level", "warning"],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            pass_fds=[listener.fileno()],
            start_new_session=True,
        )
        return Server(name, process, listener.getsockname()[1], log)


def wait_until_ready(server: Server, deadline: float) -> None:
    """Poll the login page until the server answers it; fail with its log if it stops or never does.

    The socket listens from the start, so a request made while the workers boot waits for one of them."""
    while True:
        assert server.process.poll() is None, f"gunicorn {server.name} exited:\n{server.log_tail()}"
        try:
            with urlopen(server.url("/accounts/login/"), timeout=5) as response:
                assert response.status == 200
                return
        except HTTPError as error:
            pytest.fail(f"gunicorn {server.name} answers {error.code}:\n{server.log_tail()}")
        except OSError:  # refused, reset or timed out: not up yet
            pass
        assert time.monotonic() < deadline, f"gunicorn {server.name} not ready:\n{server.log_tail()}"
        time.sleep(0.2)


def stop(server: Server) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)  # its workers too (a session of its own)
            server.process.wait(timeout=10)


@pytest.fixture(scope="module")
def servers(django_db_setup, tmp_path_factory):
    """Servers A and B: gunicorn, two sync workers each, on the test database."""
    folder = tmp_path_factory.mktemp("two-app-servers")
    environment = production_environment(folder)
    collected = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert collected.returncode == 0, collected.stderr
    started: list[Server] = []
    try:
        for name in ("A", "B"):
            started.append(start_server(name, environment, folder))
        deadline = time.monotonic() + READY_WITHIN
        for server in started:
            wait_until_ready(server, deadline)
        yield started
    finally:
        for server in started:
            stop(server)


@pytest.fixture
def site(transactional_db, servers):
    """The plan, FY2025 open, こども家庭課 and three people; committed, so the servers see it."""
    call_command("load_plan", verbosity=0)
    plan = Strategy.objects.get(code="dai3ki")
    set_year_state(plan, 2025, FiscalYear.State.OPEN)
    kodomo = make_department("kodomo", "こども家庭課", OWN_CODES)
    make_user("planner", Role.PLANNING)
    make_user("clerk", Role.STAFF, [kodomo])
    make_user("councillor", Role.COUNCIL)
    return servers


# --- a browser over HTTP -----------------------------------------------------------------------------


@dataclass
class Page:
    status: int
    url: str
    headers: Message
    text: str

    @property
    def port(self) -> int | None:
        return urlsplit(self.url).port

    @property
    def path(self) -> str:
        return urlsplit(self.url).path


class Browser:
    """One person's browser: one cookie jar (the session and the CSRF cookie) for both servers, which a
    browser would see as one site; redirects are followed."""

    def __init__(self):
        self.opener = build_opener(HTTPCookieProcessor(CookieJar()))

    def open(self, url: str, data: bytes | None = None, headers: dict | None = None) -> Page:
        request = Request(url, data=data, headers=headers or {})
        try:
            with self.opener.open(request, timeout=REQUEST_WITHIN) as response:
                return Page(response.status, response.geturl(), response.headers, response.read().decode())
        except HTTPError as error:  # 304 Not Modified, and every 4xx and 5xx
            with error:
                return Page(error.code, error.geturl(), error.headers, error.read().decode())

    def get(self, url: str, headers: dict | None = None) -> Page:
        return self.open(url, headers=headers)

    def download(self, url: str) -> tuple[int, str, bytes]:
        """A file's status, content type and bytes."""
        try:
            with self.opener.open(Request(url), timeout=REQUEST_WITHIN) as response:
                return response.status, response.headers.get_content_type(), response.read()
        except HTTPError as error:
            with error:
                return error.code, error.headers.get_content_type(), error.read()

    def post(self, url: str, fields: dict[str, str], file: tuple[str, bytes] | None = None) -> Page:
        if file is None:
            body, content_type = urlencode(fields).encode(), "application/x-www-form-urlencoded"
        else:
            body, content_type = multipart(fields, "file", *file)
        return self.open(url, data=body, headers={"Content-Type": content_type})

    def sign_in(self, server: Server, username: str) -> None:
        form = self.get(server.url("/accounts/login/"))
        fields = {"username": username, "password": PASSWORD, "next": ""}
        page = self.post(server.url("/accounts/login/"), {**fields, "csrfmiddlewaretoken": csrf_token(form)})
        assert (page.status, page.path) == (200, "/"), f"{username} not signed in: {page.status} {page.url}"


def multipart(fields: dict[str, str], name: str, filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = secrets.token_hex(16)
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        "Content-Type: text/csv\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def hidden(page: Page, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', page.text)
    assert match, f"no {name} on {page.url} ({page.status})"
    return match[1]


def csrf_token(page: Page) -> str:
    return hidden(page, "csrfmiddlewaretoken")


# --- the tests ---------------------------------------------------------------------------------------


def test_an_upload_previewed_through_one_server_is_confirmed_through_the_other(site):
    a, b = site
    planner = Browser()
    planner.sign_in(a, "planner")
    form = planner.get(a.url("/reports/import/"))
    figures = "\ufeff指標コード,年度,実績値\r\nG2-M1-K1,2025,12\r\n".encode()
    preview = planner.post(
        a.url("/reports/import/"), {"csrfmiddlewaretoken": csrf_token(form)}, ("a.csv", figures)
    )
    token = re.fullmatch(r"/reports/import/([^/]+)/", preview.path)
    assert preview.status == 200 and preview.port == a.port and token, (preview.status, preview.url)
    assert StagedUpload.objects.filter(token=token[1]).exists()
    assert not ActualValue.objects.exists()  # the preview writes nothing

    confirm = {"csrfmiddlewaretoken": csrf_token(preview), "digest": hidden(preview, "digest")}
    done = planner.post(b.url(f"/reports/import/{token[1]}/confirm/"), confirm)

    assert (done.status, done.port, done.path) == (200, b.port, "/reports/"), done.url
    assert "1件の値を取り込みました" in done.text
    assert ActualValue.objects.get(indicator__code="G2-M1-K1", fiscal_year=2025).value == Decimal("12")
    assert not StagedUpload.objects.exists()


def test_a_figure_saved_through_one_server_is_shown_at_once_by_the_other_under_a_new_etag(site):
    a, b = site
    reader = Browser()
    reader.sign_in(b, "councillor")
    before = reader.get(b.url(PAGE))
    assert before.status == 200 and "4,321" not in before.text
    etag = before.headers["ETag"]
    assert reader.get(a.url(PAGE)).headers["ETag"] == etag  # one data version, kept in the database
    assert reader.get(b.url(PAGE), {"If-None-Match": etag}).status == 304

    clerk = Browser()
    clerk.sign_in(a, "clerk")
    entry = clerk.get(a.url("/entry/2025/?department=kodomo"))
    value_field = f"i{Indicator.objects.get(code='G3-M1-K1').pk}-value"
    fields = {**form_fields(entry.text), value_field: "4321", "action": "save"}
    saved = clerk.post(a.url("/entry/2025/?department=kodomo"), fields)
    assert (saved.status, saved.port, saved.path) == (200, a.port, "/entry/2025/"), saved.url
    assert ActualValue.objects.get(indicator__code="G3-M1-K1", fiscal_year=2025).value == Decimal("4321")

    after = reader.get(b.url(PAGE), {"If-None-Match": etag})
    assert after.status == 200 and "4,321" in after.text
    assert after.headers["ETag"] != etag
    assert reader.get(b.url(PAGE), {"If-None-Match": after.headers["ETag"]}).status == 304


def test_a_public_page_kept_by_each_server_is_drawn_again_after_a_write_through_the_other(site):
    a, b = site
    visitor = Browser()  # anonymous: the public dashboards
    for server in (a, b, a, b):  # drawn once, then kept, by each server
        page = visitor.get(server.url(PAGE))
        assert page.status == 200 and "9,876" not in page.text, (server.name, page.status)

    planner = Browser()
    planner.sign_in(a, "planner")
    edit_url = a.url("/indicators/G3-M1-K1/edit/")
    fields = {
        **form_fields(planner.get(edit_url).text, "metadata-form"),
        "target_year": "2027",
        "target_value": "9876",
    }
    saved = planner.post(edit_url, fields)
    assert saved.status == 200 and saved.port == a.port, (saved.status, saved.url)
    assert Indicator.objects.get(code="G3-M1-K1").target_value == Decimal("9876")

    for server in (b, a):
        page = visitor.get(server.url(PAGE))
        assert page.status == 200 and "9,876" in page.text, server.name


def test_a_meeting_pack_made_through_one_server_is_served_by_the_other_from_the_database(site):
    """Server A starts the pack in its background thread and answers with the page that asks again; asked
    again through B, the pack comes from the database once A's thread has stored it, and is not made again."""
    a, b = site
    plan = Strategy.objects.get(code="dai3ki")
    meeting = Meeting.objects.create(
        strategy=plan, fiscal_year=2025, name="第1回", date=datetime.date(2026, 7, 15)
    )
    path = f"/meetings/{meeting.pk}/pack.pdf"
    reader = Browser()
    reader.sign_in(a, "councillor")
    status, kind, body = reader.download(a.url(path))
    assert status == 202
    deadline = time.monotonic() + REQUEST_WITHIN
    while status == 202 and time.monotonic() < deadline:  # the page being made asks again (through B here)
        assert kind == "text/html" and "会議資料を作成しています" in body.decode()
        time.sleep(1)
        status, kind, body = reader.download(b.url(path))
    assert (status, kind) == (200, "application/pdf") and body.startswith(b"%PDF"), (status, kind)
    made = PackBuild.objects.get()
    assert made.status == PackBuild.Status.DONE and bytes(made.pdf) == body

    again = reader.download(b.url(path))
    assert again == (200, "application/pdf", body)
    assert list(PackBuild.objects.values_list("pk", "finished_at")) == [(made.pk, made.finished_at)]
