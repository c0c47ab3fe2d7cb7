"""Where a fiscal year stands, per department: what the review pages, the lock checklist and the to-do lists show."""

import datetime
from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef

from goals.models import Department, Strategy
from kpis.models import ActualValue, Indicator, Submission
from kpis.rules.publication import awaiting_publication


def department_progress(strategy: Strategy, fiscal_year: int) -> list[dict]:
    """Per owning department: its submission (unsaved when none yet), indicators, entered and approved figures."""
    departments = list(
        Department.objects.filter(indicators__strategy=strategy)
        .annotate(total=Count("indicators", distinct=True))
        .order_by("order", "code")
    )
    figures = Counter()
    for row in (
        ActualValue.objects.filter(indicator__strategy=strategy, fiscal_year=fiscal_year, value__isnull=False)
        .values("indicator__department", "status")
        .annotate(n=Count("pk"))
    ):
        figures[row["indicator__department"], "entered"] += row["n"]
        figures[row["indicator__department"], row["status"]] += row["n"]
    submissions = {
        s.department_id: s
        for s in Submission.objects.filter(strategy=strategy, fiscal_year=fiscal_year).select_related(
            "submitted_by", "reviewed_by"
        )
    }
    return [
        {
            "department": department,
            "submission": submissions.get(department.pk)
            or Submission(department=department, strategy=strategy, fiscal_year=fiscal_year),
            "total": department.total,
            "entered": figures[department.pk, "entered"],
            "approved": figures[department.pk, ActualValue.Status.APPROVED],
        }
        for department in departments
    ]


@dataclass
class LockChecklist:
    """What is still open in a year the planning office is about to lock (確定)."""

    not_submitted: list[dict]  # 未入力・入力中・差戻し
    waiting: list[dict]  # 提出済, not approved yet
    warned: list  # rows with plausibility warnings (kpis.cycle.rows.Row)

    @property
    def clear(self) -> bool:
        return not (self.not_submitted or self.waiting or self.warned)


def lock_checklist(strategy: Strategy, fiscal_year: int, warned=()) -> LockChecklist:
    table = department_progress(strategy, fiscal_year)
    waiting = [item for item in table if item["submission"].state == Submission.State.SUBMITTED]
    not_submitted = [
        item
        for item in table
        if item["submission"].state not in (Submission.State.SUBMITTED, Submission.State.APPROVED)
    ]
    return LockChecklist(not_submitted, waiting, list(warned))


def missing_and_awaiting(
    strategy: Strategy, department: Department, fiscal_year: int, today: datetime.date | None = None
) -> tuple[list[Indicator], list[Indicator]]:
    """The department's indicators with no value for the year (no row, or a row without one), in plan
    order: those still to be entered (未入力), and those whose source has not published the figure yet
    (公表待ち, kpis.rules.publication), which a submission goes without."""
    # A lookup of each indicator in the (indicator, year) index, not a list of every figure of the year.
    entered = ActualValue.objects.filter(
        indicator=OuterRef("pk"), fiscal_year=fiscal_year, value__isnull=False
    )
    unentered = Indicator.objects.of_strategy(strategy).filter(department=department).exclude(Exists(entered))
    missing, awaiting = [], []
    for indicator in unentered:
        (awaiting if awaiting_publication(indicator, today) else missing).append(indicator)
    return missing, awaiting
