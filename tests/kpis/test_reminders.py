"""Reminders and notices by mail (Django's locmem backend): who gets what, once, and who gets nothing."""

import datetime

import pytest
from django.core import mail
from django.core.management import call_command

from accounts.access import Role
from kpis.cycle import notify, services
from kpis.models import ActualValue, CycleSettings, FiscalYear, SentMail, Submission
from tests.support.entry import OWN_CODES, set_year_state
from tests.support.factories import make_user, set_actual

DEADLINE = datetime.date(2026, 7, 31)


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def open_2025(plan):
    year = set_year_state(plan, 2025, FiscalYear.State.OPEN)
    year.deadline = DEADLINE
    year.save()
    return year


@pytest.fixture
def people(users, departments):
    """An address for the staff of both departments and the planning office; one colleague without."""
    for key in ("staff_own", "staff_other", "planning"):
        users[key].email = f"{key}@town.ami.example"
        users[key].save()
    users["no_address"] = make_user("no-address", Role.STAFF, [departments[0]])
    return users


def run(day: datetime.date):
    return notify.send_reminders(day)


def test_seven_and_one_days_before_and_the_day_after(people, open_2025):
    assert run(DEADLINE - datetime.timedelta(days=8)).sent == []
    first = run(DEADLINE - datetime.timedelta(days=7))
    assert {m.address for m in first.sent} == {"staff_own@town.ami.example", "staff_other@town.ami.example"}
    assert "締切まであと7日" in mail.outbox[0].subject and "no-address" in first.without_address
    assert run(DEADLINE - datetime.timedelta(days=6)).sent == []  # the same reminder is not sent again
    assert len(run(DEADLINE - datetime.timedelta(days=1)).sent) == 2
    assert run(DEADLINE).sent == []
    after = run(DEADLINE + datetime.timedelta(days=1))
    assert len(after.sent) == 2 and "締切を過ぎています" in mail.outbox[-1].subject
    assert run(DEADLINE + datetime.timedelta(days=2)).sent == []
    assert len(mail.outbox) == 6 and SentMail.objects.count() == 6
    body = mail.outbox[0].body
    assert "/entry/2025/?department=" in body and "2026年7月31日（令和8年7月31日）" in body


def test_each_mail_goes_to_one_person_only(people, open_2025):
    run(DEADLINE - datetime.timedelta(days=7))
    assert all(len(message.to) == 1 and not message.cc and not message.bcc for message in mail.outbox)


def test_nothing_to_a_department_that_submitted(people, plan, departments, open_2025):
    Submission.objects.create(department=departments[0], strategy=plan, fiscal_year=2025, state="submitted")
    outcome = run(DEADLINE - datetime.timedelta(days=1))
    assert [m.address for m in outcome.sent] == ["staff_other@town.ami.example"]


def test_a_missed_day_still_sends_the_reminder_and_an_extension_starts_anew(people, open_2025):
    assert len(run(DEADLINE - datetime.timedelta(days=5)).sent) == 2  # the 7-day one, late
    open_2025.deadline = DEADLINE + datetime.timedelta(days=14)
    open_2025.save()
    assert len(run(DEADLINE + datetime.timedelta(days=7)).sent) == 2  # 7 days before the new deadline


def test_the_days_are_a_setting_and_closed_years_get_nothing(people, plan, open_2025):
    CycleSettings.objects.create(strategy=plan, reminder_days="3")
    assert run(DEADLINE - datetime.timedelta(days=7)).sent == []
    assert len(run(DEADLINE - datetime.timedelta(days=3)).sent) == 2
    open_2025.state = FiscalYear.State.CLOSED
    open_2025.save()
    assert run(DEADLINE + datetime.timedelta(days=1)).sent == []


def test_the_command_reports_what_it_sent_and_who_has_no_address(people, open_2025, capsys):
    call_command("send_reminders", "--date", "2026-07-24")
    out = capsys.readouterr().out
    assert "送信：2通" in out and "no-address" in out


def test_a_submission_mails_the_planning_office_and_a_return_mails_the_staff(
    people, plan, departments, open_2025, django_capture_on_commit_callbacks
):
    for code in OWN_CODES:
        set_actual(code, 2025, "5", status=ActualValue.Status.DRAFT, note="確認済み")
    submission = Submission.objects.create(
        department=departments[0], strategy=plan, fiscal_year=2025, state="in_progress"
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.submission_submit(user=people["staff_own"], submission=submission)
    assert [m.to for m in mail.outbox] == [["planning@town.ami.example"]]
    assert "【提出】" in mail.outbox[0].subject and "/review/2025/kodomo/" in mail.outbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        services.submission_return(
            user=people["planning"], submission=submission, comment="K2の集計期間を確認"
        )
    assert mail.outbox[-1].to == ["staff_own@town.ami.example"]
    assert "K2の集計期間を確認" in mail.outbox[-1].body
    assert SentMail.objects.filter(kind=SentMail.Kind.RETURNED).count() == 1


def test_a_relay_that_refuses_is_not_recorded_and_is_tried_again(people, open_2025, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise ConnectionRefusedError("relay down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    outcome = run(DEADLINE - datetime.timedelta(days=7))
    assert outcome.sent == [] and len(outcome.failed) == 2 and not SentMail.objects.exists()
    monkeypatch.undo()
    assert len(run(DEADLINE - datetime.timedelta(days=6)).sent) == 2


def test_the_reminder_counts_a_figure_kept_without_a_value_as_missing(people, open_2025):
    """A row of the year without a value (notes saved, no figure yet) is still 未入力, whatever other years hold."""
    for code in OWN_CODES[1:]:
        set_actual(code, 2025, 10, status=ActualValue.Status.DRAFT)
    set_actual(OWN_CODES[0], 2025, None, status=ActualValue.Status.DRAFT, note="集計中")
    set_actual(OWN_CODES[0], 2024, 12)
    run(DEADLINE - datetime.timedelta(days=7))
    (own,) = [m for m in mail.outbox if m.to == ["staff_own@town.ami.example"]]
    assert "未入力の指標：1件" in own.body
    submission = services.submission_for(
        department=people["staff_own"].departments.get(), strategy=open_2025.strategy, fiscal_year=2025
    )
    assert [i.code for i in services.missing_indicators(submission)] == [OWN_CODES[0]]
