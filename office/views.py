"""The planning office's own screens: the audit log, a strategy's grade bands, people's roles."""

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import access
from accounts.strategy import current_strategy_or_404
from goals.history import save_with_history
from goals.models import Department, Strategy
from kpis.models import CycleSettings, FiscalYear, GradeBand
from office import audit, services
from office.forms import AuditFilterForm, CycleSettingsForm, GradeBandFormSet, ReasonForm, RolesForm

PER_PAGE = 50


@access.require(access.is_planning, "audit log")
@require_http_methods(["GET", "HEAD"])
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        return render(request, "office/audit.html", {"form": form, "page": None}, status=400)
    page = Paginator(audit.log_keys(form.filters()), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request, "office/audit.html", {"form": form, "page": page, "entries": audit.entries(page.object_list)}
    )


# --- Grade bands ---------------------------------------------------------------------------------------


def _strategy(request: HttpRequest) -> Strategy:
    code = request.GET.get("strategy")
    if code:
        return get_object_or_404(Strategy, code=code)
    return current_strategy_or_404(request)


@access.require(access.is_planning, "grade bands")
@require_http_methods(["GET", "HEAD", "POST"])
def grade_bands(request: HttpRequest) -> HttpResponse:
    strategy = _strategy(request)
    bands = GradeBand.objects.filter(strategy=strategy)
    errors: list[str] = []
    if request.method == "POST":
        formset = GradeBandFormSet(request.POST, queryset=bands)
        reason = ReasonForm(request.POST)
        if formset.is_valid() and reason.is_valid():
            errors = _save_bands(request, strategy, formset, reason)
            if not errors:
                return redirect(request.get_full_path())
        status = 400
    else:
        formset, reason, status = GradeBandFormSet(queryset=bands), ReasonForm(), 200
    context = {
        "strategy": strategy,
        "strategies": Strategy.objects.all(),
        "formset": formset,
        "reason_form": reason,
        "errors": errors,
        "has_locked_years": FiscalYear.objects.filter(
            strategy=strategy, state=FiscalYear.State.LOCKED
        ).exists(),
    }
    return render(request, "office/grade_bands.html", context, status=status)


def _save_bands(request, strategy: Strategy, formset, reason: ReasonForm) -> list[str]:
    """Save what the formset changed; the service's refusals, if any."""
    changed = [
        form.instance for form in formset.forms if form.has_changed() and form not in formset.deleted_forms
    ]
    deleted = [form.instance for form in formset.deleted_forms if form.instance.pk]
    if not changed and not deleted:
        messages.info(request, _("変更はありませんでした。"))
        return []
    try:
        services.grade_bands_save(
            user=request.user,
            strategy=strategy,
            bands=changed,
            deleted=deleted,
            reason=reason.cleaned_data["reason"],
        )
    except ValidationError as error:
        return error.messages
    messages.success(request, _("%(strategy)sの評価区分を保存しました。") % {"strategy": strategy.name})
    return []


# --- Roles ---------------------------------------------------------------------------------------------


@access.require(access.is_planning, "roles")
@require_http_methods(["GET", "HEAD"])
def roles(request: HttpRequest) -> HttpResponse:
    people = list(
        User.objects.order_by("username").prefetch_related(
            "groups", Prefetch("departments", queryset=Department.objects.order_by("order", "code"))
        )
    )
    for person in people:
        person.role_labels = [str(services.ROLE_LABELS.get(g.name, g.name)) for g in person.groups.all()]
    return render(request, "office/roles.html", {"people": people})


@access.require(access.is_planning, "roles")
@require_http_methods(["GET", "HEAD", "POST"])
def role_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    if person.is_superuser:
        access.post_requires(request, lambda user: False, "superusers are changed in the admin only")
        return render(request, "office/role_edit.html", {"person": person, "form": None})
    held = {
        "roles": list(person.groups.filter(name__in=services.ROLES).values_list("name", flat=True)),
        "departments": list(person.departments.all()),
    }
    if request.method == "POST":
        form = RolesForm(request.POST, initial=held)
        if form.is_valid() and _save_roles(request, person, form):
            return redirect("office:roles")
        status = 400
    else:
        form, status = RolesForm(initial=held), 200
    return render(request, "office/role_edit.html", {"person": person, "form": form}, status=status)


def _save_roles(request, person: User, form: RolesForm) -> bool:
    try:
        changed = services.user_roles_update(
            by=request.user,
            person=person,
            roles=form.cleaned_data["roles"],
            departments=form.cleaned_data["departments"],
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, error)
        return False
    name = person.get_full_name() or person.get_username()
    if changed:
        messages.success(request, _("%(name)sさんの役割と所属を保存しました。") % {"name": name})
    else:
        messages.info(request, _("%(name)sさんの役割と所属に変更はありませんでした。") % {"name": name})
    return True


# --- The yearly cycle's settings ---------------------------------------------------------------------


@access.require(access.is_planning, "cycle settings")
@require_http_methods(["GET", "HEAD", "POST"])
def cycle_settings(request: HttpRequest) -> HttpResponse:
    strategy = _strategy(request)
    current = CycleSettings.of(strategy)
    status = 200
    if request.method == "POST":
        form = CycleSettingsForm(request.POST, instance=current)
        if form.is_valid():
            save_with_history(form.save(commit=False), user=request.user, reason=form.cleaned_data["reason"])
            messages.success(request, _("年次サイクルの設定を保存しました。"))
            return redirect(request.get_full_path())
        status = 400
    else:
        form = CycleSettingsForm(instance=current)
    context = {"strategy": strategy, "strategies": Strategy.objects.all(), "form": form}
    return render(request, "office/cycle_settings.html", context, status=status)
