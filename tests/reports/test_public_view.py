"""PUBLIC_DASHBOARDS: anonymous visitors see approved figures only — never drafts, notes or history."""

import csv
import io

import pytest
from django.urls import reverse

from tests.support.visibility import APPROVED_VALUE, DRAFT_VALUE, SUBMITTED_VALUE

pytestmark = pytest.mark.django_db

INTERNAL_TEXTS = ["内部の備考メモ", "内部の要因分析メモ", "承認済みの備考", "承認済みの要因分析"]


def _grouped(value: str) -> str:
    return f"{int(value):,}"


@pytest.fixture
def public(settings):
    settings.PUBLIC_DASHBOARDS = True


PAGES = [
    "/",
    "/?fy=2025",
    reverse("dashboards:goal", args=["G2"]),
    reverse("dashboards:indicator", args=["G2-KGI1"]),
    reverse("dashboards:indicator", args=["G2-KGI2"]),
    reverse("dashboards:indicator", args=["G1-KGI1"]),
    reverse("dashboards:department", args=["kodomo"]),
    reverse("dashboards:department", args=["shoko"]),
    reverse("dashboards:indicators") + "?fy=2025",
]


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_visitors_never_see_unapproved_figures_or_internal_notes(client, public, figures, url):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    for hidden in (DRAFT_VALUE, _grouped(DRAFT_VALUE), SUBMITTED_VALUE, _grouped(SUBMITTED_VALUE)):
        assert hidden not in html
    for text in INTERNAL_TEXTS:
        assert text not in html
    assert "変更履歴" not in html and "入力中" not in html and "提出済" not in html
    assert "町が承認した数値のみ" in html


def test_anonymous_visitors_see_approved_figures(client, public, figures):
    html = client.get("/").content.decode()
    assert _grouped(APPROVED_VALUE) in html and "99.6%" in html


def test_the_public_csv_has_approved_figures_only_and_no_status_column(client, public, figures):
    response = client.get(reverse("dashboards:indicators"), {"fy": 2025, "export": "csv"})
    text = response.getvalue().decode("utf-8-sig")  # streamed
    assert DRAFT_VALUE not in text and SUBMITTED_VALUE not in text
    rows = list(csv.reader(io.StringIO(text)))
    assert "状態" not in rows[0]
    by_code = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert by_code["G1-KGI1"]["実績値"] == APPROVED_VALUE
    assert by_code["G2-KGI1"]["実績値"] == "" and by_code["G2-KGI1"]["評価"] == "−"


def test_public_grade_filters_ignore_unapproved_figures(client, public, figures):
    response = client.get(reverse("dashboards:indicators"), {"fy": 2025, "grade": "A"})
    assert [row["code"] for row in response.context["table"].data] == []


def test_the_public_overview_defaults_to_the_latest_year_with_an_approved_figure(client, public, figures):
    from kpis.models import ActualValue
    from tests.support.factories import set_actual

    set_actual("G1-KGI1", 2026, 281000, status=ActualValue.Status.DRAFT)
    assert client.get("/").context["year"] == 2025


def test_signed_in_readers_see_the_same_pages_with_every_figure(client_as, public, figures):
    html = client_as("council").get(reverse("dashboards:indicator", args=["G2-KGI1"])).content.decode()
    assert _grouped(DRAFT_VALUE) in html and "内部の要因分析メモ" in html and "変更履歴" in html
