"""Error pages with DEBUG off: Japanese (English when chosen), in the site's layout, with a way back home."""

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django.urls import reverse

from lib import error_pages

pytestmark = pytest.mark.django_db

HOME_LINK = 'href="/"'


def page_of(response) -> str:
    html = response.content.decode()
    assert 'class="site-header"' in html and 'class="site-footer"' in html, "not in the site's layout"
    assert HOME_LINK in html
    return html


@pytest.fixture
def debug_off(settings):
    settings.DEBUG = False
    return settings


def test_a_missing_page_is_a_japanese_404_with_a_way_home(client, plan, debug_off):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = page_of(response)
    assert (
        '<html lang="ja">' in html
        and "ページが見つかりません" in html
        and "トップページ（概要）へ戻る" in html
    )


def test_the_error_pages_follow_the_language_the_user_chose(client, plan, debug_off):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = page_of(response)
    assert '<html lang="en">' in html and "Ami Town" in html  # the layout's strings, in English


def test_a_refused_page_is_a_japanese_403_in_the_layout(client, plan, users, debug_off):
    client.force_login(users["council"])
    response = client.get(reverse("cycle:entry_index"))
    assert response.status_code == 403
    html = page_of(response)
    assert "このページを利用する権限がありません" in html
    assert "only" not in html.lower().split("<main")[1]  # the internal reason is logged, never shown


def test_a_form_sent_without_its_csrf_token_gets_a_japanese_403(plan, users, debug_off):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["planning"])
    response = client.post(reverse("reviews:meetings"), {"name": "会議"})
    assert response.status_code == 403
    html = page_of(response)
    assert "送信を受け付けられませんでした" in html and "入力した内容は保存されていません" in html


def test_an_oversized_post_is_a_japanese_413_naming_the_limit(client, plan, users, debug_off):
    debug_off.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    client.force_login(users["planning"])
    response = client.post(reverse("reviews:meetings"), {"name": "x" * (1024 * 1024 + 1)})
    assert response.status_code == 413
    html = page_of(response)
    assert "送信された内容が大きすぎるため、受け付けませんでした（上限は1 MB）。" in html


def test_a_post_with_too_many_fields_is_a_japanese_413(client, plan, users, debug_off):
    debug_off.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50
    client.force_login(users["planning"])
    response = client.post(reverse("reviews:meetings"), {f"f{i}": "1" for i in range(60)})
    assert response.status_code == 413
    assert "送信された項目の数が多すぎるため、受け付けませんでした（上限は50項目）。" in page_of(response)


def test_a_bad_request_is_a_japanese_400(client, plan, debug_off):
    response = client.get("/", HTTP_HOST="evil.example")  # not in ALLOWED_HOSTS
    assert response.status_code == 400
    assert "リクエストを処理できません" in page_of(response)


def test_a_server_error_is_a_japanese_500_in_the_layout(plan, users, debug_off, monkeypatch):
    from reports.dashboards import views

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.charts, "distribution_figure", broken)
    client = Client(raise_request_exception=False)
    client.force_login(users["council"])
    response = client.get("/")
    assert response.status_code == 500
    html = page_of(response)
    assert "サーバーエラー" in html and "boom" not in html and "Traceback" not in html


def test_the_500_page_is_in_english_when_the_user_chose_english(plan, debug_off, monkeypatch):
    from reports.dashboards import views

    monkeypatch.setattr(views, "public_plan", lambda *args: 1 / 0)
    client = Client(raise_request_exception=False)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/")
    assert response.status_code == 500
    html = page_of(response)
    assert '<html lang="en">' in html and "Ami Town" in html


def test_the_500_page_needs_neither_the_database_nor_the_request(django_db_blocker):
    request = RequestFactory().get("/")  # no session, no user, nothing a middleware added
    with django_db_blocker.block():
        response = error_pages.server_error(request)
    assert response.status_code == 500
    html = page_of(response)
    assert "サーバーエラー" in html and "ログアウト" not in html


def test_the_500_page_falls_back_to_plain_html_when_its_template_fails(monkeypatch):
    def failing(*args, **kwargs):
        raise ValueError("Missing staticfiles manifest entry")

    monkeypatch.setattr(error_pages.loader, "render_to_string", failing)
    response = error_pages.server_error(RequestFactory().get("/"))
    assert response.status_code == 500 and "サーバーエラー" in response.content.decode()
