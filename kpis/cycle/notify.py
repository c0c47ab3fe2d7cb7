"""The yearly cycle's mails: reminders before and after the 締切日, and notices of 提出 and 差戻し.

Every mail is recorded (kpis.models.SentMail: who, when, what) under the event it is about, and a
recipient never gets two mails for one event, however often the daily run is repeated. A user without an
address gets no mail; their to-do list on the home page is their reminder. Mails go through Django's mail
framework (EMAIL_* settings), one message per recipient, so no address sees another.
"""

import datetime
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.access import Role
from goals.models import Department
from kpis.cycle.progress import missing_and_awaiting
from kpis.models import (
    INDICATOR_ORDER,
    CycleSettings,
    FiscalYear,
    ReturnNote,
    SentMail,
    Submission,
)
from lib.fiscal import date_label, deadline_countdown, fiscal_year_label

logger = logging.getLogger("ami_strategy.mail")
Kind = SentMail.Kind
_DONE = (Submission.State.SUBMITTED, Submission.State.APPROVED)


@dataclass
class Outcome:
    sent: list[SentMail] = field(default_factory=list)
    without_address: set[str] = field(default_factory=set)  # usernames
    failed: list[str] = field(default_factory=list)


def _site(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _entry_link(year: int, department: Department) -> str:
    return _site(f"{reverse('cycle:entry', args=[year])}?department={department.code}")


def _send(outcome: Outcome, user, *, kind: str, event: str, subject: str, body: str) -> None:
    """Mail one user about one event, unless they have no address or already had it; record it."""
    if not user.email:
        outcome.without_address.add(user.username)
        return
    if SentMail.objects.filter(recipient=user, event=event).exists():
        return
    try:
        with transaction.atomic():
            record = SentMail.objects.create(
                recipient=user, address=user.email, kind=kind, event=event[:120], subject=subject[:200]
            )
            EmailMessage(settings.EMAIL_SUBJECT_PREFIX + subject, body, to=[user.email]).send()
    except IntegrityError:
        return  # another run recorded it first: sent once
    except OSError as error:  # the relay refused or could not be reached: not recorded, tried again tomorrow
        logger.warning("mail to %s about %s failed: %s", user.email, event, error)
        outcome.failed.append(user.email)
        return
    outcome.sent.append(record)


def _staff_of(department: Department):
    return department.members.filter(is_active=True, groups__name=Role.STAFF).order_by("pk").distinct()


def _planning_office():
    users = get_user_model().objects.filter(is_active=True)
    return users.filter(groups__name=Role.PLANNING).order_by("pk").distinct()


# --- Reminders (the daily run) ------------------------------------------------------------------------


def send_reminders(today: datetime.date) -> Outcome:
    """Remind the staff of every department that has not submitted an open year: N days before its
    締切日 (the strategy's CycleSettings.reminder_days, default 7 and 1) and once after it."""
    outcome = Outcome()
    with translation.override(settings.LANGUAGE_CODE):
        years = FiscalYear.objects.filter(state=FiscalYear.State.OPEN, deadline__isnull=False).select_related(
            "strategy"
        )
        for year in years:
            _remind_year(outcome, year, today)
    return outcome


def _due(year: FiscalYear, today: datetime.date) -> tuple[str, str] | None:
    """(kind, event prefix) of the reminder due today, or None. A run missed on the day itself still
    sends the reminder the next day; an extended deadline starts its reminders anew."""
    days = (year.deadline - today).days
    if days < 0:
        return Kind.AFTER_DEADLINE, f"after:{year.deadline:%Y%m%d}"
    thresholds = [n for n in CycleSettings.of(year.strategy).reminder_day_list if n >= days]
    if not thresholds:
        return None
    return Kind.BEFORE_DEADLINE, f"before{min(thresholds)}:{year.deadline:%Y%m%d}"


def _remind_year(outcome: Outcome, year: FiscalYear, today: datetime.date) -> None:
    due = _due(year, today)
    if due is None:
        return
    kind, prefix = due
    done = set(
        Submission.objects.filter(strategy=year.strategy, fiscal_year=year.year, state__in=_DONE).values_list(
            "department_id", flat=True
        )
    )
    departments = (
        Department.objects.filter(indicators__strategy=year.strategy).distinct().order_by("order", "code")
    )
    for department in departments:
        if department.pk in done:
            continue
        # A figure its source has not published yet (公表待ち) is nothing the department can enter.
        missing, _awaiting = missing_and_awaiting(year.strategy, department, year.year, today)
        subject, body = _reminder_text(year, department, today, kind, len(missing))
        event = f"{prefix}:{year.strategy.code}:{year.year}:{department.code}"
        for user in _staff_of(department):
            _send(outcome, user, kind=kind, event=event, subject=subject, body=body)


def _reminder_text(year, department, today, kind, missing: int) -> tuple[str, str]:
    label = fiscal_year_label(year.year)
    if kind == Kind.AFTER_DEADLINE:
        subject = _("【締切を過ぎています】%(year)s %(department)s の実績値の提出") % {
            "year": label,
            "department": department.name,
        }
    else:
        subject = _("【%(left)s】%(year)s %(department)s の実績値の提出") % {
            "left": deadline_countdown(year.deadline, today),
            "year": label,
            "department": department.name,
        }
    body = _(
        "%(department)s ご担当者様\n\n"
        "%(strategy)s の%(year)sの実績値がまだ提出されていません。\n"
        "締切日：%(deadline)s（%(left)s）\n"
        "未入力の指標：%(missing)s件\n\n"
        "入力・提出はこちらから：\n%(link)s\n\n"
        "このメールは自動で送信しています。提出済みの場合は行き違いです。ご容赦ください。\n"
        "政策企画課"
    ) % {
        "department": department.name,
        "strategy": year.strategy.name,
        "year": label,
        "deadline": date_label(year.deadline),
        "left": deadline_countdown(year.deadline, today),
        "missing": missing,
        "link": _entry_link(year.year, department),
    }
    return subject, body


# --- Notices of 提出 and 差戻し (sent when the transaction that made them commits) ------------------------


def notice_submitted(submission_id: int) -> Outcome:
    """Tell the planning office that a department has submitted."""
    outcome = Outcome()
    submission = Submission.objects.select_related("department", "strategy", "submitted_by").get(
        pk=submission_id
    )
    if submission.state != Submission.State.SUBMITTED:
        return outcome
    with translation.override(settings.LANGUAGE_CODE):
        label = fiscal_year_label(submission.fiscal_year)
        who = (
            submission.submitted_by.get_full_name() or submission.submitted_by.username
            if submission.submitted_by
            else ""
        )
        subject = _("【提出】%(year)s %(department)s") % {
            "year": label,
            "department": submission.department.name,
        }
        body = _(
            "%(department)s が%(year)sの実績値を提出しました（%(who)s）。\n\n審査はこちらから：\n%(link)s\n"
        ) % {
            "department": submission.department.name,
            "year": label,
            "who": who,
            "link": _site(
                reverse("cycle:review_department", args=[submission.fiscal_year, submission.department.code])
            ),
        }
        event = f"submitted:{submission.pk}:{submission.submitted_at:%Y%m%d%H%M%S%f}"
        for user in _planning_office():
            _send(outcome, user, kind=Kind.SUBMITTED, event=event, subject=subject, body=body)
    return outcome


def notice_returned(submission_id: int) -> Outcome:
    """Tell the department's staff that their submission was returned, with the comment and the 指摘 on
    single indicators."""
    outcome = Outcome()
    submission = Submission.objects.select_related("department", "strategy").get(pk=submission_id)
    if submission.state != Submission.State.RETURNED:
        return outcome
    with translation.override(settings.LANGUAGE_CODE):
        label = fiscal_year_label(submission.fiscal_year)
        subject = _("【差戻し】%(year)s %(department)s の実績値") % {
            "year": label,
            "department": submission.department.name,
        }
        body = _(
            "%(department)s ご担当者様\n\n%(year)sの実績値が政策企画課から差し戻されました。\n\n"
            "コメント：\n%(comment)s\n\n直して、もう一度提出してください：\n%(link)s\n"
        ) % {
            "department": submission.department.name,
            "year": label,
            "comment": submission.comment or "−",
            "link": _entry_link(submission.fiscal_year, submission.department),
        }
        body += _questioned_text(submission)
        event = f"returned:{submission.pk}:{submission.reviewed_at:%Y%m%d%H%M%S%f}"
        for user in _staff_of(submission.department):
            _send(outcome, user, kind=Kind.RETURNED, event=event, subject=subject, body=body)
    return outcome


def _questioned_text(submission: Submission) -> str:
    """The indicators questioned by the return, each with its 指摘 ("" when none)."""
    in_plan_order = [f"indicator__{name}" for name in INDICATOR_ORDER]
    notes = list(ReturnNote.objects.of_last_return(submission).order_by(*in_plan_order))
    if not notes:
        return ""
    lines = [f"・{note.indicator.code} {note.indicator.name}：{note.comment}" for note in notes]
    return _("\n指摘のある指標（%(count)s件。入力画面で該当する行に表示されます）：\n%(lines)s\n") % {
        "count": len(notes),
        "lines": "\n".join(lines),
    }
