"""Unsafe production settings stop start-up with a message that says what is wrong."""

import os
import subprocess
import sys

import pytest
from django.conf import settings


def start(**env) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "ALLOWED_HOSTS", "DEBUG")}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        env={**base, "DJANGO_SETTINGS_MODULE": "ami_strategy.settings", **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )


GOOD_KEY = "k" * 50


@pytest.mark.parametrize(
    "env, message",
    [
        ({"DEBUG": "0", "ALLOWED_HOSTS": "kpi.example.lg.jp"}, "SECRET_KEY"),
        (
            {"DEBUG": "0", "SECRET_KEY": "development-only-not-secret", "ALLOWED_HOSTS": "x.lg.jp"},
            "SECRET_KEY",
        ),
        (
            {"DEBUG": "0", "SECRET_KEY": "django-insecure-" + "x" * 40, "ALLOWED_HOSTS": "x.lg.jp"},
            "SECRET_KEY",
        ),
        ({"DEBUG": "0", "SECRET_KEY": "short", "ALLOWED_HOSTS": "x.lg.jp"}, "too short"),
        ({"DEBUG": "0", "SECRET_KEY": GOOD_KEY}, "ALLOWED_HOSTS"),
        ({"DEBUG": "maybe"}, "DEBUG must be"),
    ],
)
def test_unsafe_production_settings_are_refused(env, message):
    result = start(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_production_settings_with_a_real_key_and_hosts_start():
    result = start(DEBUG="0", SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS="kpi.example.lg.jp")
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_the_interface_is_japanese_in_tokyo_time():
    assert settings.LANGUAGE_CODE == "ja"
    assert settings.TIME_ZONE == "Asia/Tokyo"
    assert settings.USE_I18N and settings.USE_TZ
