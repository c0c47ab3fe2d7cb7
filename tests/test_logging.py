"""Import audit lines and security events reach the server's log: standard error, and LOG_FILE when set."""

import io
import logging
import os
import subprocess
import sys

import pytest
from django.conf import settings

EVENTS = [
    ("ami_strategy.imports", "info", "import applied: user=planning file='actuals.csv' values=3"),
    ("ami_strategy.access", "warning", "access refused: user=council path=/entry/ reason=role"),
    ("django.security.csrf", "warning", "Forbidden (CSRF token missing.): /meetings/"),
    (
        "django.security.RequestDataTooBig",
        "error",
        "Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.",
    ),
    ("axes.handlers.database", "warning", "AXES: Locked out user planning."),
    ("django.request", "error", "Internal Server Error: /"),
]
QUIET = [("django.request", "warning", "Not Found: /no-such-page/")]

SCRIPT = """
import logging, django
django.setup()
for name, level, message in {events!r}:
    getattr(logging.getLogger(name), level)(message)
"""


def emit(events, **env) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("LOG_FILE", "LOG_LEVEL")}
    return subprocess.run(
        [sys.executable, "-c", SCRIPT.format(events=events)],
        env={**base, "DJANGO_SETTINGS_MODULE": "ami_strategy.settings", **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def test_import_and_security_events_are_written_to_standard_error():
    result = emit(EVENTS + QUIET)
    for name, level, message in EVENTS:
        assert f"{level.upper()} {name} {message}" in result.stderr, name
    assert "Not Found" not in result.stderr  # a 404 is an answer, not an error worth a log line


def test_log_file_also_receives_them(tmp_path):
    log = tmp_path / "ami-strategy.log"
    result = emit(EVENTS, LOG_FILE=str(log))
    written = log.read_text(encoding="utf-8")
    for name, _level, message in EVENTS:
        assert f"{name} {message}" in written and f"{name} {message}" in result.stderr


@pytest.fixture
def console():
    """What the configured console handler writes, while the test runs."""
    handler = next(h for h in logging.getLogger("ami_strategy").handlers if h.name == "console")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


@pytest.mark.django_db
def test_a_refused_page_writes_its_audit_line_through_the_configured_handler(client, users, console):
    client.force_login(users["council"])
    assert client.get("/entry/").status_code == 403
    assert "WARNING ami_strategy.access access refused: user=council path=/entry/" in console.getvalue()
