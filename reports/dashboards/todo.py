"""The to-do list on each role's home page: what is left to do in the yearly cycle, by when, and where.

Every item links straight to the page that finishes it. Staff see their departments' open years; the
planning office sees the departments to chase, the submissions to review, the opinions to answer and the
years ready to lock; the council sees its next meeting and what changed since the last one.
"""

from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import access
from goals.models import Department, Strategy
from kpis.cycle.views.common import entry_url, submit_url
from kpis.models import INDICATOR_ORDER, ActualValue, FiscalYear, Indicator, ReturnNote, Submission
from kpis.rules.publication import awaiting_figures, awaiting_q
from lib.fiscal import date_label, deadline_label, fiscal_year_label
from reviews.models import Meeting, Opinion

Sub = Submission.State
_ACTIVE = (FiscalYear.State.OPEN, FiscalYear.State.CLOSED)


@dataclass(frozen=True)
class Item:
    text: str
    url: str
    detail: str = ""  # a return comment, a deadline
    urgent: bool = False


def todo_for(user, strategy: Strategy) -> list[Item]:
    """The user's to-do items, the most urgent first: [] when nothing is left to do."""
    items = []
    if access.is_planning(user):
        items += _planning(strategy)
    elif access.is_staff_member(user):
        items += _staff(user, strategy)
    if access.is_council(user):
        items += _council(strategy)
    return sorted(items, key=lambda item: not item.urgent)


def _active_years(strategy: Strategy) -> list[FiscalYear]:
    return list(FiscalYear.objects.filter(strategy=strategy, state__in=_ACTIVE).order_by("year"))


def _deadline(year: FiscalYear) -> str:
    if year.deadline is None:
        return ""
    return _("締切日：%(day)s") % {"day": deadline_label(year.deadline, timezone.localdate())}


def _overdue(year: FiscalYear) -> bool:
    return year.deadline is not None and year.deadline < timezone.localdate()


def _staff(user, strategy: Strategy) -> list[Item]:
    years = [year for year in _active_years(strategy) if year.state == FiscalYear.State.OPEN]
    departments = list(access.entry_departments(user, strategy))
    if not years or not departments:
        return []
    submissions = {
        (s.department_id, s.fiscal_year): s
        for s in Submission.objects.filter(
            strategy=strategy, department__in=departments, fiscal_year__in=[y.year for y in years]
        )
    }
    totals, entered, awaiting = _figure_counts(strategy, departments, [y.year for y in years])
    # Which figures are 公表待ち, asked only when some indicator awaits a publication.
    waiting = (
        awaiting_figures(
            Indicator.objects.filter(strategy=strategy, department__in=departments), [y.year for y in years]
        )
        if any(awaiting.values())
        else {}
    )
    questioned = _questioned_codes(submissions.values())
    items = []
    for year in years:
        for department in departments:
            submission = submissions.get((department.pk, year.year))
            state = submission.state if submission else Sub.NOT_STARTED
            if state in (Sub.SUBMITTED, Sub.APPROVED) or not totals[department.pk]:
                continue
            if state == Sub.RETURNED:
                items.append(_returned_item(year, department, submission, questioned[submission.pk]))
                continue
            items.append(
                _staff_item(
                    year,
                    department,
                    totals[department.pk],
                    entered,
                    waiting.get((department.pk, year.year), []),
                )
            )
    return items


def _questioned_codes(submissions) -> dict[int, list[str]]:
    """The codes of the indicators questioned at each returned submission's last 差戻し: one query."""
    returned = [s for s in submissions if s.state == Sub.RETURNED]
    codes: dict[int, list[str]] = {s.pk: [] for s in returned}
    if not returned:
        return codes
    notes = (
        ReturnNote.objects.filter(submission__in=returned, returned_at=F("submission__reviewed_at"))
        .order_by(*[f"indicator__{name}" for name in INDICATOR_ORDER])
        .values_list("submission_id", "indicator__code")
    )
    for submission_id, code in notes:
        codes[submission_id].append(code)
    return codes


def _returned_item(year, department, submission, codes: list[str]) -> Item:
    label = fiscal_year_label(year.year)
    details = []
    if submission.comment:
        details.append(_("政策企画課のコメント：%(comment)s") % {"comment": submission.comment})
    if codes:
        details.append(_("指摘のある指標：%(codes)s") % {"codes": "、".join(codes)})
    return Item(
        _("%(year)s %(department)s：差し戻されました。直して再提出してください。")
        % {"year": label, "department": department.name},
        entry_url(year.year, department),
        detail=" ".join(details),
        urgent=True,
    )


def _staff_item(year, department, total: int, entered: Counter, waiting: list) -> Item:
    """`waiting`: [(indicator, state)] not entered whose source has not published yet (公表待ち): not asked for."""
    label = fiscal_year_label(year.year)
    done = entered[department.pk, year.year]
    detail = " ".join(filter(None, [_awaiting_note(waiting), _deadline(year)]))
    if done + len(waiting) >= total:
        return Item(
            _("%(year)s %(department)s：すべて入力済みです。提出してください。")
            % {"year": label, "department": department.name},
            submit_url(year.year, department),
            detail=detail,
            urgent=_overdue(year),
        )
    return Item(
        _("%(year)s %(department)s：実績値の入力（%(done)s / %(total)s 件入力済み、残り%(left)s件）")
        % {
            "year": label,
            "department": department.name,
            "done": done,
            "total": total,
            "left": total - done - len(waiting),
        },
        entry_url(year.year, department),
        detail=detail,
        urgent=_overdue(year),
    )


def _awaiting_note(waiting: list) -> str:
    """「G1-KGI1 公表待ち（次回公表: 2027年3月）。」 for each figure its source has not published yet."""
    if not waiting:
        return ""
    listed = "、".join(f"{indicator.code} {state}" for indicator, state in waiting)
    return _("%(figures)s。公表後に入力してください（提出には不要です）。") % {"figures": listed}


def _figure_counts(strategy, departments, years) -> tuple[Counter, Counter, Counter]:
    """Indicators per department, figures entered per (department, year), and how many of a department's
    indicators await their source's next publication (kpis.rules.publication): two queries."""
    totals, awaiting = Counter(), Counter()
    for row in (
        Department.objects.filter(pk__in=[d.pk for d in departments])
        .annotate(
            n=Count("indicators", filter=Q(indicators__strategy=strategy)),
            waiting=Count("indicators", filter=Q(indicators__strategy=strategy) & awaiting_q("indicators__")),
        )
        .values("pk", "n", "waiting")
    ):
        totals[row["pk"]], awaiting[row["pk"]] = row["n"], row["waiting"]
    entered = Counter()
    for row in (
        ActualValue.objects.filter(
            indicator__strategy=strategy,
            indicator__department__in=departments,
            fiscal_year__in=years,
            value__isnull=False,
        )
        .values("indicator__department", "fiscal_year")
        .annotate(n=Count("pk"))
    ):
        entered[row["indicator__department"], row["fiscal_year"]] = row["n"]
    return totals, entered, awaiting


def _planning(strategy: Strategy) -> list[Item]:
    items = []
    owning = Department.objects.filter(indicators__strategy=strategy).distinct().count()
    states = Counter()
    for row in (
        Submission.objects.filter(strategy=strategy).values("fiscal_year", "state").annotate(n=Count("pk"))
    ):
        states[row["fiscal_year"], row["state"]] += row["n"]
    for year in _active_years(strategy):
        items += _planning_year(year, owning, states)
    unanswered = Opinion.objects.filter(strategy=strategy, response="").count()
    if unanswered:
        items.append(
            Item(
                _("対応方針が未記入の意見・提言：%(count)s件") % {"count": unanswered},
                reverse("reviews:meetings"),
            )
        )
    return items


def _planning_year(year: FiscalYear, owning: int, states: Counter) -> list[Item]:
    label = fiscal_year_label(year.year)
    review = reverse("cycle:review", args=[year.year])
    waiting = states[year.year, Sub.SUBMITTED]
    approved = states[year.year, Sub.APPROVED]
    returned = states[year.year, Sub.RETURNED]
    not_submitted = owning - waiting - approved
    items = []
    if waiting:
        items.append(
            Item(
                _("%(year)s：審査待ちの提出 %(count)s件") % {"year": label, "count": waiting},
                review,
                urgent=True,
            )
        )
    if not_submitted:
        detail = _deadline(year)
        if returned:
            detail = " ".join(filter(None, [_("うち差戻し中 %(count)s課。") % {"count": returned}, detail]))
        items.append(
            Item(
                _("%(year)s：未提出の担当課 %(count)s / %(total)s課")
                % {"year": label, "count": not_submitted, "total": owning},
                review,
                detail=detail,
                urgent=_overdue(year),
            )
        )
    if owning and approved == owning:
        items.append(
            Item(
                _("%(year)s：すべての担当課が承認済みです。確定（ロック）できます。") % {"year": label},
                reverse("cycle:fiscal_years"),
            )
        )
    return items


def _council(strategy: Strategy) -> list[Item]:
    today = timezone.localdate()
    items = []
    upcoming = Meeting.objects.filter(strategy=strategy, date__gte=today).order_by("date", "pk").first()
    if upcoming is not None:
        items.append(
            Item(
                _("次の会議：%(name)s（%(day)s）")
                % {"name": upcoming.name, "day": date_label(upcoming.date)},
                upcoming.get_absolute_url(),
                detail=_("%(year)sの実績を審議します。") % {"year": fiscal_year_label(upcoming.fiscal_year)},
            )
        )
    last = Meeting.objects.filter(strategy=strategy, date__lt=today).order_by("-date", "-pk").first()
    if last is not None:
        changed = (
            ActualValue.history.filter(
                indicator__strategy=strategy,
                status=ActualValue.Status.APPROVED,
                history_date__date__gt=last.date,
            )
            .values("indicator_id")
            .distinct()
            .count()
        )
        responses = Opinion.objects.filter(strategy=strategy, responded_at__date__gt=last.date).count()
        if changed or responses:
            items.append(
                Item(
                    _(
                        "前回の会議（%(day)s）以降：承認された指標 %(changed)s件、意見への対応方針 %(responses)s件"
                    )
                    % {"day": date_label(last.date), "changed": changed, "responses": responses},
                    reverse("dashboards:indicators"),
                )
            )
    return items
