"""After an import: each department and year it wrote figures for, where it stands and where to 提出.

An import writes drafts; the department still submits them on its entry screen. The confirm step keeps
the departments and years it touched in the session (remember) and the reports page it redirects to
shows them once (recall), with the same state and "entered / total" counts as /review/<年度>/ and a link
to the entry screen (and, for the planning office, to the department's review page).
"""

from dataclasses import dataclass

from django.urls import reverse

from accounts import access
from goals.models import Department, Strategy
from kpis.cycle.progress import department_progress
from kpis.cycle.views.common import entry_url
from kpis.importing.prepare import ImportBatch
from kpis.models import Submission

SESSION_KEY = "excel_imported"


@dataclass(frozen=True)
class Imported:
    """One department and year an import wrote figures for."""

    department: Department
    fiscal_year: int
    submission: Submission
    entered: int
    total: int
    entry_url: str | None  # None: not a department this user enters for
    review_url: str | None  # the planning office only

    @property
    def to_submit(self) -> bool:
        """Still to be submitted by the department (未入力・入力中・差戻し)."""
        return self.submission.state not in (Submission.State.SUBMITTED, Submission.State.APPROVED)


def remember(request, batch: ImportBatch) -> None:
    """Keep the departments and years the batch writes for the page shown after the import."""
    touched = {
        (change.indicator.department_id, change.fiscal_year)
        for change in batch.changes
        if change.indicator.department_id is not None
    }
    request.session[SESSION_KEY] = sorted([department_id, year] for department_id, year in touched)


def recall(request, strategy: Strategy) -> list[Imported]:
    """The departments and years of the last import, once; [] when there was none since."""
    touched = {tuple(pair) for pair in request.session.pop(SESSION_KEY, None) or []}
    found = []
    for year in sorted({year for _department, year in touched}):
        for item in department_progress(strategy, year):
            department = item["department"]
            if (department.pk, year) in touched:
                found.append(_imported(request.user, department, year, item))
    return found


def _imported(user, department: Department, year: int, item: dict) -> Imported:
    return Imported(
        department=department,
        fiscal_year=year,
        submission=item["submission"],
        entered=item["entered"],
        total=item["total"],
        entry_url=entry_url(year, department) if access.can_enter_department(user, department) else None,
        review_url=reverse("cycle:review_department", args=[year, department.code])
        if access.can_review(user)
        else None,
    )
