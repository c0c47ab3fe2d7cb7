"""The entry screens: department staff (and the planning office) type one year's figures of a department."""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts import access
from accounts.strategy import current_strategy_or_404
from goals.models import Department, Strategy
from kpis.cycle import checks, services
from kpis.cycle.forms import seen_state
from kpis.cycle.rows import QuestionedElsewhere, Row, attach_return_notes, department_indicators, figure_rows
from kpis.cycle.views.common import entry_url, fiscal_year_or_404, submit_url
from kpis.models import FiscalYear, Indicator, Submission
from kpis.rules.publication import awaiting_figures, awaiting_q, missing_state
from lib import paging

TEMPLATE = "kpis/entry.html"

# Rows to a page of the entry screen. Each row is a form of about 3.4 KB of HTML: 100 keep a page near
# 350 KB and its save quick; the real plan's departments have far fewer, so they see one page.
ROWS_PER_PAGE = 100


@access.require(access.can_enter, "entry")
@require_GET
def entry_index(request: HttpRequest) -> HttpResponse:
    strategy = current_strategy_or_404(request)
    # Whether a department has an indicator 公表待ち, in the same query: the figures are looked up only then.
    awaits = Exists(
        Indicator.objects.filter(strategy=strategy, department=OuterRef("pk")).filter(awaiting_q())
    )
    departments = list(access.entry_departments(request.user, strategy).annotate(awaits=awaits))
    years = services.fiscal_years_of(strategy)
    states = {
        (s.department_id, s.fiscal_year): s
        for s in Submission.objects.filter(strategy=strategy, department__in=departments)
    }
    started = [year.year for year in years if year.state != FiscalYear.State.NOT_OPEN]
    waiting_departments = [d for d in departments if d.awaits]
    awaiting = (
        awaiting_figures(
            Indicator.objects.of_strategy(strategy).filter(department__in=waiting_departments), started
        )
        if waiting_departments
        else {}
    )
    table = [
        (
            department,
            [
                (year, states.get((department.pk, year.year)), awaiting.get((department.pk, year.year), []))
                for year in years
            ],
        )
        for department in departments
    ]
    return render(request, "kpis/entry_index.html", {"years": years, "table": table})


@dataclass
class _Screen:
    """One department's entry screen for one year, as this request found it."""

    request: HttpRequest
    strategy: Strategy
    fiscal_year: int
    department: Department
    pager: paging.Pager
    context: dict

    def rows(self, **kwargs) -> list[Row]:
        """The rows of the page asked for (?page=): a save reads and writes only the rows it showed."""
        only = self.pager.page.object_list
        return figure_rows(
            self.request.user, self.strategy, self.fiscal_year, self.department, only=only, **kwargs
        )

    def render(self, rows: list[Row], *, status: int = 200, **extra) -> HttpResponse:
        # While returned, the rows questioned are marked, with the 指摘, and listed at the top.
        submission = self.context["submission"]
        questioned = self.questioned(rows) if submission.state == Submission.State.RETURNED else []
        context = {**self.context, "rows": rows, "pager": self.pager, "questioned": questioned, **extra}
        return render(self.request, TEMPLATE, context, status=status)

    def questioned(self, rows: list[Row]) -> list[Row | QuestionedElsewhere]:
        """Every row questioned at the last 差戻し, in plan order: those on this page link to their row,
        the others to the page that shows them."""
        notes = attach_return_notes(rows, self.context["submission"])
        position = {pk: index for index, pk in enumerate(self.pager.page.paginator.object_list)}
        shown = {row.indicator.pk: row for row in rows}
        items = [
            shown.get(pk) or QuestionedElsewhere(note.indicator, note, self.link_to(position[pk], pk))
            for pk, note in notes.items()
            if pk in position
        ]
        return sorted(items, key=lambda item: position[item.indicator.pk])

    def link_to(self, index: int, pk: int) -> str:
        """The row of the department's `index`th indicator, on the page that shows it."""
        return f"{entry_url(self.fiscal_year, self.department, index // ROWS_PER_PAGE + 1)}#row-{pk}"

    @property
    def url(self) -> str:
        """This page of the screen, where a save comes back to."""
        return entry_url(self.fiscal_year, self.department, self.pager.page.number)


@access.require(access.can_enter, "entry")
@require_http_methods(["GET", "HEAD", "POST"])
def entry(request: HttpRequest, fiscal_year: int) -> HttpResponse:
    strategy = current_strategy_or_404(request)
    year = fiscal_year_or_404(strategy, fiscal_year)
    choices = list(access.entry_departments(request.user, strategy))
    department = _chosen_department(request, choices)
    if department is None:
        messages.error(request, _("所属する担当課が登録されていません。政策企画課に連絡してください。"))
        return redirect("cycle:entry_index")
    submission = services.submission_for(department=department, strategy=strategy, fiscal_year=fiscal_year)
    editable = access.can_edit_figures(request.user, year, submission)
    pager = paging.pager(
        list(department_indicators(strategy, department).values_list("pk", flat=True)),
        ROWS_PER_PAGE,
        request.GET,
    )
    screen = _Screen(
        request,
        strategy,
        fiscal_year,
        department,
        pager,
        context={
            "fiscal_year": year,
            "department": department,
            "departments": choices,
            "submission": submission,
            "editable": editable,
            "can_submit": access.can_submit(request.user, year, submission),
        },
    )
    if request.method != "POST":
        return screen.render(screen.rows(editable=editable))
    if not editable:
        refusal = services.StateChanged(
            _("この画面は現在入力できません（年度の状態または提出の状態を確認してください）。")
        )
        return _refused(screen, screen.rows(editable=True, data=request.POST), refusal)
    return _save(screen)


def _chosen_department(request: HttpRequest, choices: list[Department]) -> Department | None:
    """?department= (404 when unknown, 403 when not the user's), else the user's first; None: they have none."""
    code = request.GET.get("department")
    if code:
        return access.department_for_entry_or_403(request, code)
    return choices[0] if choices else None


def _save(screen: _Screen) -> HttpResponse:
    """Every row valid: save the rows changed (refused ones are shown again), then submit when asked to."""
    request = screen.request
    rows = screen.rows(editable=True, data=request.POST)
    forms = [row.form for row in rows if row.form is not None]
    # A list, not a generator: every form is validated so that every wrong input is marked at once.
    if not all([form.is_valid() for form in forms]):
        messages.error(
            request, _("入力内容に誤りがあります。赤字の欄を直してください。何も保存していません。")
        )
        return screen.render(rows, status=400, has_errors=True)

    try:
        result = services.actual_save(
            user=request.user,
            strategy=screen.strategy,
            department=screen.department,
            fiscal_year=screen.fiscal_year,
            rows=[form.row_input() for form in forms],
            keep_status=access.edits_keep_status(request.user),
            may_edit=lambda year, submission: access.can_edit_figures(request.user, year, submission),
        )
    except services.StateChanged as error:
        return _refused(screen, rows, error)
    if result.conflicts:
        return _show_conflicts(screen, result)
    return _submit_or_confirm(screen, result)


def _refused(screen: _Screen, rows: list[Row], error: services.StateChanged) -> HttpResponse:
    """The year or submission moved on since the page was shown: nothing saved; the typed inputs stay in
    view, without the buttons, so that nothing typed is lost from sight (409)."""
    messages.error(screen.request, _("%(reason)s 入力した内容は下に残っています。") % {"reason": error})
    _show_current_states(screen)
    screen.context.update(editable=False, can_submit=False)
    return screen.render(rows, status=409)


def _show_current_states(screen: _Screen) -> None:
    """The year and submission as stored now, and what they allow this user."""
    year = fiscal_year_or_404(screen.strategy, screen.fiscal_year)
    submission = services.submission_for(
        department=screen.department, strategy=screen.strategy, fiscal_year=screen.fiscal_year
    )
    screen.context.update(
        fiscal_year=year,
        submission=submission,
        editable=access.can_edit_figures(screen.request.user, year, submission),
        can_submit=access.can_submit(screen.request.user, year, submission),
    )


def _codes(conflicts: list[services.Conflict]) -> str:
    return "、".join(f"{c.typed.indicator.code} {c.typed.indicator.name}" for c in conflicts)


def _show_conflicts(screen: _Screen, result: services.SaveResult) -> HttpResponse:
    """Rows someone else saved first: each shows both values and asks which to keep (409)."""
    request = screen.request
    messages.error(
        request,
        _(
            "次の%(count)s件の指標は、この画面を開いた後に他の人が保存していたため保存していません：%(codes)s。"
            "行ごとに「保存されている値を残す」か「自分の入力で上書きする」を選んで、もう一度保存してください。"
        )
        % {"count": len(result.conflicts), "codes": _codes(result.conflicts)},
    )
    unanswered = [c for c in result.conflicts if c.unanswered]
    if unanswered:
        messages.warning(request, _("まだ選ばれていません：%(codes)s") % {"codes": _codes(unanswered)})
    if result.saved:
        messages.info(request, _("ほかの%(count)s件は保存しました。") % {"count": len(result.saved)})
    rows = screen.rows(editable=True, data=request.POST, conflicts=result.conflicts)
    screen.context["submission"] = result.submission
    return screen.render(rows, status=409)


def _submit_or_confirm(screen: _Screen, result: services.SaveResult) -> HttpResponse:
    """After a save without conflicts: 保存して提出 leads to the confirmation step, which submits."""
    request = screen.request
    if request.POST.get("action") == "submit" and screen.context["can_submit"]:
        if result.saved:
            messages.success(request, _("保存しました（%(count)s件）。") % {"count": len(result.saved)})
        return redirect(submit_url(screen.fiscal_year, screen.department))
    if result.saved:
        messages.success(request, _("保存しました（%(count)s件）。") % {"count": len(result.saved)})
    else:
        messages.info(request, _("変更された行がないため、何も保存していません。"))
    return redirect(screen.url)


@access.require(access.can_enter, "entry")
@require_http_methods(["GET", "HEAD", "POST"])
def entry_submit(request: HttpRequest, fiscal_year: int) -> HttpResponse:
    """提出の確認: what will go to the planning office, what still stops it; 提出する submits (two steps)."""
    strategy = current_strategy_or_404(request)
    year = fiscal_year_or_404(strategy, fiscal_year)
    department = _chosen_department(request, list(access.entry_departments(request.user, strategy)))
    if department is None:
        return redirect("cycle:entry_index")
    submission = services.submission_for(department=department, strategy=strategy, fiscal_year=fiscal_year)
    status = 200
    if request.method == "POST":
        if not access.can_submit(request.user, year, submission):
            messages.error(
                request, _("この提出は現在提出できません（年度または提出の状態を確認してください）。")
            )
            status = 409
        else:
            try:
                services.submission_submit(
                    user=request.user,
                    submission=submission,
                    seen_state=seen_state(request.POST, Submission.State),
                )
            except services.StateChanged as error:
                messages.error(request, str(error))
                status = 409
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
                status = 400
            else:
                messages.success(request, _("提出しました。政策企画課の審査をお待ちください。"))
                return redirect(entry_url(fiscal_year, department))
        year = fiscal_year_or_404(strategy, fiscal_year)
        submission = services.submission_for(
            department=department, strategy=strategy, fiscal_year=fiscal_year
        )
    warned = checks.warned_indicators(strategy, fiscal_year, department)
    missing, awaiting = services.missing_and_awaiting(submission)
    awaiting = [(i, missing_state(i)) for i in awaiting]
    context = {
        "fiscal_year": year,
        "department": department,
        "submission": submission,
        "missing": missing,
        "awaiting": awaiting,
        "warned": warned,
        "unexplained": [indicator for indicator, _texts, explained in warned if not explained],
        "can_submit": access.can_submit(request.user, year, submission),
        "entry_url": entry_url(fiscal_year, department),
    }
    return render(request, "kpis/entry_submit.html", context, status=status)
