"""The writes of the review half of the cycle: meetings, opinions and their responses, evaluations.

Each function is atomic and leaves a simple-history row per change with the user and a reason. A row two
people may change at the same moment (an opinion, a goal's evaluation, a policy's direction) is read again
under a row lock and compared with what the person saw, its marker: a row changed in the meantime is
refused with Conflict, never overwritten. Access checks belong to the views (accounts.access); the state
rules of opinions live here.
"""

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.access import is_planning
from goals.history import history_reason, save_with_history
from goals.models import Goal, Policy, Strategy
from lib import reasons
from reviews.documents import CheckedDocument
from reviews.models import GoalEvaluation, Meeting, MeetingDocument, Opinion, PolicyDirection

# What a marker covers: every field a person reads on the form before changing the row.
OPINION_FIELDS = ("speaker", "text", "goal_id", "indicator_id", "response", "follow_up", "follow_up_reason")
MEETING_FIELDS = ("name", "body", "date", "fiscal_year", "agenda", "attendees", "minutes")
EVALUATION_FIELDS = ("text",)
DIRECTION_FIELDS = ("direction", "note")


class Conflict(Exception):
    """The row changed after the page was shown, or its state no longer allows the change."""

    def __init__(self, message: str, *, current=None, stale: Sequence = ()):
        super().__init__(message)
        self.message = message
        self.current = current
        self.stale = list(stale)


def fingerprint(values: Sequence) -> str:
    """A short digest of field values, the same for the same values on every database."""
    text = json.dumps(["" if value is None else str(value) for value in values], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def marker(instance: Model | None, fields: Sequence[str]) -> str:
    """The marker of a stored row, or of the blank row a form shows when none is stored."""
    return fingerprint([getattr(instance, field) if instance else "" for field in fields])


def opinion_marker(opinion: Opinion) -> str:
    return marker(opinion, OPINION_FIELDS)


def meeting_marker(meeting: Meeting, document: MeetingDocument | None) -> str:
    """A meeting's fields and the file attached to it (by its digest): what its edit page shows."""
    return fingerprint(
        [getattr(meeting, field) for field in MEETING_FIELDS] + [document.sha256 if document else ""]
    )


# --- Meetings and opinions ---------------------------------------------------------------------------


@transaction.atomic
def meeting_create(*, user, strategy: Strategy, meeting: Meeting) -> Meeting:
    meeting.strategy = strategy
    save_with_history(meeting, user=user, reason=gettext_noop("会議の登録"))
    return meeting


def _meeting_stale_message() -> str:
    return _(
        "この会議は、画面を開いた後に他の人が変更したため保存しませんでした。"
        "他の人が保存した内容を確認してから、もう一度保存してください。"
    )


# History reasons with a part filled in, kept in the source language: lib.reasons holds them, to show them
# back in the reader's language.
MEETING_EDITED = reasons.MEETING_EDITED
DOCUMENT_ATTACHED = reasons.DOCUMENT_ATTACHED
DOCUMENT_REPLACED = reasons.DOCUMENT_REPLACED
DOCUMENT_REMOVED = reasons.DOCUMENT_REMOVED


def _changed_labels(meeting: Meeting, changes: Mapping[str, object]) -> list[str]:
    """The names of the fields whose value changes, in the source language (for the history reason)."""
    return [
        reasons.source_text(Meeting._meta.get_field(field).verbose_name)
        for field, value in changes.items()
        if getattr(meeting, field) != value
    ]


@transaction.atomic
def meeting_update(
    *,
    user,
    pk: int,
    changes: Mapping[str, object],
    seen: str,
    reason: str = "",
    document: CheckedDocument | None = None,
    remove_document: bool = False,
) -> Meeting:
    """The planning office's edit of a meeting: its texts (agenda, attendees, minutes…) and its attached
    file, all or nothing. Conflict when the meeting or its file changed after the page was shown."""
    meeting = Meeting.objects.select_for_update().get(pk=pk)
    stored = MeetingDocument.objects.described().select_for_update().filter(meeting=meeting).first()
    if meeting_marker(meeting, stored) != seen:
        raise Conflict(_meeting_stale_message(), current=meeting)
    changed = _changed_labels(meeting, changes)
    if changed:
        for field, value in changes.items():
            setattr(meeting, field, value)
        meeting.full_clean()
        default = MEETING_EDITED % {"fields": reasons.LIST_SEPARATOR.join(changed)}
        save_with_history(meeting, user=user, reason=reason or default)
    if document is not None:
        document_attach(user=user, meeting=meeting, document=document, reason=reason, stored=stored)
    elif remove_document and stored is not None:
        document_remove(user=user, document=stored, reason=reason)
    return meeting


def document_attach(
    *, user, meeting: Meeting, document: CheckedDocument, reason: str = "", stored: MeetingDocument | None
) -> MeetingDocument:
    """Attach a checked file to a meeting, replacing the one it had (one history row says which)."""
    row = stored or MeetingDocument(meeting=meeting)
    default = (DOCUMENT_REPLACED if stored else DOCUMENT_ATTACHED) % {"name": document.filename}
    row.filename, row.content_type, row.data = document.filename, document.content_type, document.data
    row.size, row.sha256 = len(document.data), hashlib.sha256(document.data).hexdigest()
    row.uploaded_by, row.uploaded_at = user, timezone.now()
    row.full_clean(exclude=["meeting"])
    save_with_history(row, user=user, reason=reason or default)
    return row


def document_remove(*, user, document: MeetingDocument, reason: str = "") -> None:
    """Remove a meeting's attached file; its history keeps who removed which file and why."""
    document._history_user = user
    document._change_reason = history_reason(reason or DOCUMENT_REMOVED % {"name": document.filename})
    document.delete()


@transaction.atomic
def opinion_create(*, user, meeting: Meeting, opinion: Opinion) -> Opinion:
    opinion.strategy, opinion.meeting, opinion.fiscal_year = meeting.strategy, meeting, meeting.fiscal_year
    opinion.author = user
    save_with_history(opinion, user=user, reason=gettext_noop("意見・提言の登録"))
    return opinion


def closed_to(user, opinion: Opinion) -> bool:
    """An opinion the planning office has settled as 対応済 is no longer the council member's to edit."""
    return opinion.follow_up == Opinion.FollowUp.DONE and not is_planning(user)


def closed_message() -> str:
    return _("この意見・提言は対応済のため、編集できません。変更が必要な場合は政策企画課にご連絡ください。")


def _stale_message() -> str:
    return _(
        "この意見・提言は、画面を開いた後に他の人が変更したため保存しませんでした。"
        "現在の内容を確認してから、もう一度保存してください。"
    )


def _locked_opinion(pk: int) -> Opinion:
    # SQLite has no row locks: its IMMEDIATE transactions (settings) already serialise every write.
    return Opinion.objects.select_for_update().get(pk=pk)


def _apply(opinion: Opinion, changes: Mapping[str, object], seen: str) -> bool:
    """Set the changes on the locked row; False when it already holds them. Conflict when it moved on."""
    unchanged = all(getattr(opinion, field) == value for field, value in changes.items())
    if opinion_marker(opinion) != seen:
        if unchanged:
            return False  # someone saved exactly this meanwhile: nothing is lost, nothing to write
        raise Conflict(_stale_message(), current=opinion)
    if unchanged:
        return False
    for field, value in changes.items():
        setattr(opinion, field, value)
    return True


@transaction.atomic
def opinion_update(*, user, pk: int, changes: Mapping[str, object], seen: str, reason: str = "") -> Opinion:
    """A council member's (or the planning office's) edit of the opinion itself."""
    opinion = _locked_opinion(pk)
    if closed_to(user, opinion):
        raise Conflict(closed_message(), current=opinion)
    if _apply(opinion, changes, seen):
        save_with_history(opinion, user=user, reason=reason or gettext_noop("意見・提言の編集"))
    return opinion


@transaction.atomic
def opinion_respond(
    *, user, pk: int, response: str, follow_up: str, follow_up_reason: str, seen: str
) -> Opinion:
    """The planning office's response (対応方針) and follow-up state (対応状況)."""
    opinion = _locked_opinion(pk)
    changes = {"response": response, "follow_up": follow_up, "follow_up_reason": follow_up_reason}
    if _apply(opinion, changes, seen):
        opinion.responded_by, opinion.responded_at = user, timezone.now()
        state = reasons.source_text(Opinion.FollowUp(opinion.follow_up).label)
        reason = reasons.FOLLOW_UP_ENTERED % {"state": state}
        save_with_history(opinion, user=user, reason=reason)
    return opinion


# --- Goal evaluations and policy directions ----------------------------------------------------------


@dataclass(frozen=True)
class EvaluationInput:
    """One goal's 総合評価 as posted, and the marker of the row the page showed."""

    goal: Goal
    text: str
    seen: str

    @property
    def touched(self) -> bool:
        return fingerprint([self.text]) != self.seen


@dataclass(frozen=True)
class DirectionInput:
    """One policy's 今後の方向性 and 補足 as posted, and the marker of the row the page showed."""

    policy: Policy
    direction: str
    note: str
    seen: str

    @property
    def touched(self) -> bool:
        return fingerprint([self.direction, self.note]) != self.seen


def _evaluation_stale(row: EvaluationInput, current: GoalEvaluation | None) -> bool:
    return marker(current, EVALUATION_FIELDS) != row.seen and (current is None or current.text != row.text)


def _direction_stale(row: DirectionInput, current: PolicyDirection | None) -> bool:
    same = current is not None and (current.direction, current.note) == (row.direction, row.note)
    return marker(current, DIRECTION_FIELDS) != row.seen and not same


def _stale_rows(fiscal_year: int, goals: Sequence[EvaluationInput], policies: Sequence[DirectionInput]):
    """The goals and policies whose stored row is no longer the one the page showed (read, not locked)."""
    evaluations = {
        e.goal_id: e
        for e in GoalEvaluation.objects.filter(goal__in=[r.goal for r in goals], fiscal_year=fiscal_year)
    }
    directions = {
        d.policy_id: d
        for d in PolicyDirection.objects.filter(
            policy__in=[r.policy for r in policies], fiscal_year=fiscal_year
        )
    }
    return [r.goal for r in goals if _evaluation_stale(r, evaluations.get(r.goal.pk))] + [
        r.policy for r in policies if _direction_stale(r, directions.get(r.policy.pk))
    ]


def _evaluations_conflict(stale) -> Conflict:
    names = "、".join(getattr(row, "code", str(row)) for row in stale)
    return Conflict(
        _(
            "画面を開いた後に他の人が保存した評価があるため、保存しませんでした：%(rows)s。"
            "現在の内容を確認してから、もう一度保存してください。"
        )
        % {"rows": names},
        stale=stale,
    )


def evaluations_save(
    *, user, fiscal_year: int, goals: Sequence[EvaluationInput], policies: Sequence[DirectionInput]
) -> int:
    """Save the rows the person changed, all or nothing; Conflict (nothing saved) when one moved on.

    Rows left as the page showed them are not written, so saving the page never overwrites what a
    colleague saved meanwhile on another goal or policy.
    """
    goals = [row for row in goals if row.touched]
    policies = [row for row in policies if row.touched]
    try:
        return _write_evaluations(user, fiscal_year, goals, policies)
    except IntegrityError:
        # Two first saves of the same row at once: the other one's insert won.
        raise _evaluations_conflict(_stale_rows(fiscal_year, goals, policies)) from None


@transaction.atomic
def _write_evaluations(user, fiscal_year: int, goals, policies) -> int:
    written, stale = 0, []
    for row in goals:
        current = (
            GoalEvaluation.objects.select_for_update().filter(goal=row.goal, fiscal_year=fiscal_year).first()
        )
        if _evaluation_stale(row, current):
            stale.append(row.goal)
        elif current is None or current.text != row.text:
            evaluation = current or GoalEvaluation(goal=row.goal, fiscal_year=fiscal_year)
            evaluation.text, evaluation.updated_by = row.text, user
            save_with_history(evaluation, user=user, reason=gettext_noop("総合評価の保存"))
            written += 1
    for row in policies:
        current = (
            PolicyDirection.objects.select_for_update()
            .filter(policy=row.policy, fiscal_year=fiscal_year)
            .first()
        )
        if _direction_stale(row, current):
            stale.append(row.policy)
        elif current is None or (current.direction, current.note) != (row.direction, row.note):
            direction = current or PolicyDirection(policy=row.policy, fiscal_year=fiscal_year)
            direction.direction, direction.note, direction.updated_by = row.direction, row.note, user
            save_with_history(direction, user=user, reason=gettext_noop("施策の方向性の保存"))
            written += 1
    if stale:
        raise _evaluations_conflict(stale)
    return written
