"""Helpers for the browser journeys: sign in, take a screenshot, run axe."""

from pathlib import Path

from django.conf import settings

SCREENSHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots"
DEMO_PASSWORD = "ami-demo-2025"


def login(page, site, username, password=DEMO_PASSWORD):
    page.goto(f"{site}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/accounts/login/" not in page.url, f"login failed for {username}"


def screenshot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def axe_violations(page) -> list[str]:
    """axe-core at WCAG 2.1 AA (the level JIS X 8341-3:2016 AA asks of public bodies)."""
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(
        page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
    )
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}×, e.g. {v['nodes'][0]['target']})"
        for v in result.response["violations"]
    ]
