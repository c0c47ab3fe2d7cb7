"""Sign-in hardening: throttled failed logins, no demo accounts outside development, deploy checks."""

import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.test import override_settings
from django.urls import reverse

from accounts.access import Role
from tests.support.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def post_login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_repeated_failed_logins_are_throttled(client, settings, db):
    settings.AXES_ENABLED = True
    make_user("tanaka", Role.STAFF)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert post_login(client, "tanaka", "wrong").status_code == 200
    locked = post_login(client, "tanaka", "wrong")
    assert locked.status_code == 429
    assert "一時停止" in locked.content.decode()
    # Even the right password is refused while the lock lasts.
    assert post_login(client, "tanaka", PASSWORD).status_code == 429


def test_a_successful_login_works_with_the_throttle_on(client, settings, db):
    settings.AXES_ENABLED = True
    make_user("suzuki", Role.COUNCIL)
    response = post_login(client, "suzuki", PASSWORD)
    assert response.status_code == 302
    assert client.session.get("_auth_user_id")


def test_demo_accounts_cannot_sign_in_when_debug_is_off(client, db):
    make_user("demo-planning", Role.PLANNING)
    with override_settings(DEBUG=False):
        assert post_login(client, "demo-planning", PASSWORD).status_code == 200
        assert not client.session.get("_auth_user_id")
    with override_settings(DEBUG=True):
        assert post_login(client, "demo-planning", PASSWORD).status_code == 302


def test_sessions_expire(settings):
    assert django_settings.SESSION_COOKIE_AGE <= 12 * 60 * 60
    assert django_settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


def test_every_page_has_a_content_security_policy_allowing_only_self(client, plan):
    response = client.get(reverse("dashboards:home"))
    header = response.get("Content-Security-Policy") or response.get("Content-Security-Policy-Report-Only")
    assert header and "default-src 'self'" in header and "script-src 'self'" in header
    assert "unsafe-inline" not in header and "http" not in header


def test_check_deploy_is_clean_with_production_settings():
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")},
        "DEBUG": "0",
        "HTTPS": "1",
        "SECRET_KEY": "p" * 20 + "r0duction-k3y-" + "q" * 20,
        "ALLOWED_HOSTS": "kpi.town.ami.lg.jp",
        "CSP_REPORT_ONLY": "0",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
