"""The planning office's plan screens: the template and exports, and upload → preview → 確定."""

import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.access import Role
from goals.models import Strategy
from kpis.loading.plan_workbook import export_plan_workbook
from kpis.models import Indicator, StagedUpload
from tests.support.entry import login
from tests.support.factories import make_user

LOGIN = "login"


def _workbook_bytes(strategy, change=None) -> bytes:
    workbook = openpyxl.load_workbook(io.BytesIO(export_plan_workbook(strategy)))
    if change:
        change(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _new_target(workbook):
    workbook["KGI"]["J2"] = 290000  # G1-KGI1 目標値 284,394 → 290,000


def _upload(client, data: bytes, name: str = "plan.xlsx"):
    return client.post(reverse("office:plan_upload"), {"file": SimpleUploadedFile(name, data)})


def _token(response) -> str:
    return re.search(r"/settings/plans/upload/([^/]+)/", response.url).group(1)


def _digest(response) -> str:
    return re.search(r'name="digest" value="([^"]+)"', response.content.decode()).group(1)


def _views(plan):
    return [
        ("get", reverse("office:plans"), 200),
        ("get", reverse("office:plan_template"), 200),
        ("get", reverse("office:plan_export", args=[plan.code]), 200),
        ("get", reverse("office:plan_preview", args=["unknown-token"]), 302),
        ("post", reverse("office:plan_upload"), 400),
        ("post", reverse("office:plan_confirm", args=["unknown-token"]), 302),
    ]


@pytest.mark.parametrize("who", ["anonymous", "staff_own", "staff_other", "council", "planning"])
def test_only_the_planning_office_reaches_the_plan_screens(client, plan, users, who):
    if users[who]:
        login(client, users[who])
    for method, url, planning_status in _views(plan):
        response = getattr(client, method)(url)
        if who == "anonymous":
            assert response.status_code == 302 and response.url.startswith(reverse(LOGIN)), url
        elif who == "planning":
            assert response.status_code == planning_status, url
        else:
            assert response.status_code == 403, url


def test_the_list_offers_the_template_and_each_plans_export(client, plan, users):
    login(client, users["planning"])
    page = client.get(reverse("office:plans")).content.decode()
    assert "テンプレートをダウンロード" in page and "この計画を書き出す" in page
    assert reverse("office:plan_export", args=["dai3ki"]) in page

    download = client.get(reverse("office:plan_export", args=["dai3ki"]))
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert workbook["計画"]["B2"].value == "dai3ki"


def test_an_upload_is_previewed_then_written_on_confirmation(client, plan, users):
    login(client, users["planning"])
    response = _upload(client, _workbook_bytes(plan, _new_target))
    token = _token(response)
    preview = client.get(response.url)
    page = preview.content.decode()
    assert preview.status_code == 200
    assert "目標値" in page and "284,394" in page and "290,000" in page
    assert Indicator.objects.get(code="G1-KGI1").target_value == Decimal(284394)

    done = client.post(reverse("office:plan_confirm", args=[token]), {"digest": _digest(preview)})

    assert done.status_code == 302 and done.url == reverse("office:plans")
    indicator = Indicator.objects.get(code="G1-KGI1")
    assert indicator.target_value == Decimal(290000)
    assert indicator.history.latest().history_user == users["planning"]
    assert not StagedUpload.objects.exists()


def test_a_bad_workbook_is_refused_on_upload_with_every_error_and_nothing_staged(client, plan, users):
    login(client, users["planning"])

    def spoil(workbook):
        workbook["KGI"]["N2"] = "未来創造課"
        workbook["KGI"]["I3"] = 2031

    response = _upload(client, _workbook_bytes(plan, spoil))

    page = response.content.decode()
    assert response.status_code == 400
    assert "シート『KGI』 2行 N列（担当課）" in page and "シート『KGI』 3行 I列（目標年度）" in page
    assert not StagedUpload.objects.exists()


def test_a_file_that_is_not_a_workbook_is_refused_with_a_message(client, plan, users):
    login(client, users["planning"])
    response = _upload(client, b"code,name\n", "plan.csv")
    assert response.status_code == 400
    assert "xlsx" in response.content.decode()


def test_another_users_token_is_refused_and_writes_nothing(client, plan, users):
    login(client, users["planning"])
    response = _upload(client, _workbook_bytes(plan, _new_target))
    token = _token(response)
    digest = _digest(client.get(response.url))
    colleague = make_user("planning-2", Role.PLANNING)
    client.logout()
    login(client, colleague)

    assert client.get(reverse("office:plan_preview", args=[token])).status_code == 302
    refused = client.post(reverse("office:plan_confirm", args=[token]), {"digest": digest})

    assert refused.status_code == 302 and refused.url == reverse("office:plans")
    assert Indicator.objects.get(code="G1-KGI1").target_value == Decimal(284394)


def test_a_plan_changed_after_the_preview_is_previewed_again(client, plan, users):
    login(client, users["planning"])
    response = _upload(client, _workbook_bytes(plan, _new_target))
    token = _token(response)
    digest = _digest(client.get(response.url))
    Indicator.objects.filter(code="G1-KGI1").update(target_value=Decimal(1))

    again = client.post(reverse("office:plan_confirm", args=[token]), {"digest": digest})

    assert again.status_code == 302 and again.url == reverse("office:plan_preview", args=[token])
    assert Indicator.objects.get(code="G1-KGI1").target_value == Decimal(1)


def test_a_new_plan_is_announced_as_not_replacing_the_current_one(client, plan, users):
    login(client, users["planning"])

    def new_code(workbook):
        workbook["計画"]["B2"] = "dai3ki-rev"

    response = _upload(client, _workbook_bytes(plan, new_code))
    preview = client.get(response.url)
    assert "新しい計画として作ります" in preview.content.decode()
    assert "代わって表示される計画にはなりません" in preview.content.decode()

    client.post(reverse("office:plan_confirm", args=[_token(response)]), {"digest": _digest(preview)})

    assert Strategy.objects.get(code="dai3ki-rev").is_active is False
    assert Strategy.objects.current().code == "dai3ki"
