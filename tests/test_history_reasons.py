"""History reasons follow the reader's language: written in Japanese whoever writes, shown in English to
an English reader on every page that lists history (the audit log, an indicator's history, the fiscal
years, an opinion's history); a reason someone typed stays as typed."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from goals.models import Goal
from kpis.cycle import services as cycle
from kpis.models import ActualValue, ExpectedValue, FiscalYear, Indicator, Submission
from reviews import services as reviews
from reviews.models import Meeting, Opinion
from tests.support.entry import set_year_state

pytestmark = pytest.mark.django_db

TYPED = "集計表の転記ミスを訂正（担当課から連絡）"


@pytest.fixture
def written_in_english(plan, users):
    """A lock, a deadline change, a return, a response and a typed reason, by people who read English."""
    planning = users["planning"]
    year = set_year_state(plan, 2025, FiscalYear.State.OPEN)
    year.deadline = datetime.date(2026, 7, 31)
    year.save()
    indicator = Indicator.objects.get(code="G3-M1-K1")
    with translation.override("en"):
        cycle.fiscal_year_set_deadline(user=planning, fiscal_year=year, deadline=datetime.date(2026, 8, 7))
        submission = Submission.objects.create(
            department=indicator.department, strategy=plan, fiscal_year=2025, state=Submission.State.SUBMITTED
        )
        cycle.submission_return(user=planning, submission=submission, comment="数値を確認してください。")
        cycle.indicator_update(
            user=planning,
            indicator=indicator,
            changes={},
            expected={2025: Decimal("12")},
            marker=cycle.indicator_marker(indicator),
        )
        cycle.indicator_update(
            user=planning,
            indicator=indicator,
            changes={},
            expected={2025: Decimal("13")},
            marker=cycle.indicator_marker(indicator),
            reason=TYPED,
        )
        meeting = reviews.meeting_create(
            user=planning,
            strategy=plan,
            meeting=Meeting(name="第1回会議", date=datetime.date(2026, 7, 15), fiscal_year=2025),
        )
        opinion = reviews.opinion_create(
            user=users["council"],
            meeting=meeting,
            opinion=Opinion(speaker="有識者A", text="意見", goal=Goal.objects.get(code="G3")),
        )
        reviews.opinion_respond(
            user=planning,
            pk=opinion.pk,
            response="対応します。",
            follow_up=Opinion.FollowUp.IN_PROGRESS,
            follow_up_reason="",
            seen=reviews.opinion_marker(opinion),
        )
        cycle.fiscal_year_set_state(user=planning, fiscal_year=year, state=FiscalYear.State.CLOSED)
    return opinion


def reasons_of(model) -> list[str]:
    return list(
        model.history.order_by("history_date", "history_id").values_list("history_change_reason", flat=True)
    )


def test_reasons_written_by_an_english_reader_are_stored_in_japanese(written_in_english):
    assert reasons_of(FiscalYear)[-2:] == ["締切日の変更：2026/08/07", "入力締切"]
    assert reasons_of(Submission)[-1] == "差戻し：数値を確認してください。"
    assert reasons_of(ExpectedValue) == ["期待値の設定", TYPED]
    assert reasons_of(Opinion) == ["意見・提言の登録", "対応方針の入力（対応中）"]
    assert reasons_of(Meeting) == ["会議の登録"]


def test_the_approval_is_stored_as_the_reason_not_as_the_button(plan, users):
    """承認 is both the button ("Approve") and the reason ("Approved"): stored once, in Japanese."""
    set_year_state(plan, 2025, FiscalYear.State.OPEN)
    department = Indicator.objects.get(code="G3-M1-K1").department
    submission = Submission.objects.create(
        department=department, strategy=plan, fiscal_year=2025, state=Submission.State.SUBMITTED
    )
    ActualValue.objects.create(
        indicator=Indicator.objects.get(code="G3-M1-K1"),
        fiscal_year=2025,
        value=Decimal(3),
        status=ActualValue.Status.SUBMITTED,
    )
    with translation.override("en"):
        cycle.submission_approve(user=users["planning"], submission=submission)
    assert reasons_of(Submission)[-1] == "承認"
    assert reasons_of(ActualValue)[-1] == "承認"


def english(client, user):
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    return client


def test_an_english_reader_sees_english_reasons_and_typed_ones_as_typed(client, written_in_english, users):
    client = english(client, users["planning"])
    audit = client.get(reverse("office:audit")).content.decode()
    for shown in [
        "Deadline changed: 2026/08/07",
        "Returned: 数値を確認してください。",
        "Expected value set",
        "Response entered (In progress)",
        "Meeting registered",
        TYPED,
    ]:
        assert shown in audit, shown
    assert "締切日の変更" not in audit and "期待値の設定" not in audit and "対応方針の入力" not in audit

    indicator = client.get(reverse("dashboards:indicator", args=["G3-M1-K1"])).content.decode()
    assert "Expected value set" in indicator and TYPED in indicator and "期待値の設定" not in indicator

    years = client.get(reverse("cycle:fiscal_years")).content.decode()
    assert "Deadline changed: 2026/08/07" in years and "締切日の変更" not in years

    respond = client.get(reverse("reviews:opinion_respond", args=[written_in_english.pk])).content.decode()
    assert "Response entered (In progress)" in respond and "対応方針の入力" not in respond


def test_a_japanese_reader_sees_the_same_reasons_in_japanese(client, written_in_english, users):
    client.force_login(users["planning"])
    audit = client.get(reverse("office:audit")).content.decode()
    assert "締切日の変更：2026/08/07" in audit and "対応方針の入力（対応中）" in audit and TYPED in audit
