import os

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI (CI=true) a skipped test is a failure: CI installs everything every test needs."""
    outcome = yield
    report = outcome.get_result()
    if os.getenv("CI") == "true" and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"SKIPPED IN CI (a failure here): {reason}"


@pytest.fixture(autouse=True)
def _login_throttle_off(settings):
    """django-axes needs the request that Client.login() does not pass; its own tests switch it back on."""
    settings.AXES_ENABLED = False


@pytest.fixture(autouse=True)
def _quick_password_hashes(settings):
    """Passwords hashed with few iterations (tests/support/hashers.py): the same algorithm, in a millisecond."""
    settings.PASSWORD_HASHERS = ["tests.support.hashers.QuickPBKDF2PasswordHasher"]


@pytest.fixture(autouse=True)
def _pages_not_kept(settings):
    """A test's writes are rolled back, never committed, so the data version they would advance stays put:
    kept public pages (kpis.page_cache) are switched on by the tests that prove them, with committed writes."""
    settings.PAGE_CACHE = False


@pytest.fixture(autouse=True)
def _packs_made_in_the_request(settings):
    """A background thread could not see a test's uncommitted rows: packs are made in the request, except in
    the tests of the background builds (tests/reports/test_pack_builds.py), which commit theirs."""
    settings.PACK_BUILD_IN_BACKGROUND = False


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in Japanese: a request in English leaves English active in the thread after it."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def plan(db):
    """The real 第３期 plan, loaded from its fixture (by load_plan, or as a copy of what it wrote: plan_copy)."""
    from goals.models import Strategy
    from tests.support.plan_copy import COPY

    COPY.load()

    return Strategy.objects.get(code="dai3ki")


@pytest.fixture
def departments(plan):
    """Two departments: こども家庭課 owns the goal-3 childcare KPIs and 社会増数; 商工観光課 owns goal 2's."""
    from tests.support.factories import make_department

    own = make_department("kodomo", "こども家庭課", ["G3-M1-K1", "G3-M1-K2", "G3-M1-K3", "G2-KGI1"])
    other = make_department("shoko", "商工観光課", ["G2-KGI2", "G2-M1-K1", "G2-M1-K2"])
    return own, other


@pytest.fixture
def users(departments):
    from tests.support.factories import role_users

    return role_users(*departments)
