"""The reports page: the review workbook, department entry templates, and .xlsx / .csv import with preview.

Access rules of this page (written here, once, on top of accounts.access):
- the review workbook: the planning office and the expert council;
- entry templates and imports: the planning office (any department) and staff (their own departments).

An upload is checked (size, container), read and planned without writing anything; the bytes are kept in
a private staging file named by a random token that only the uploading session knows (with their
SHA-256 in the session), and read, checked and planned again on 確定, which writes all or nothing.
"""

import hashlib
import io
import logging
import os
import secrets
import tempfile
import time
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import access
from accounts.strategy import current_strategy_or_404
from goals.models import Department, Strategy
from kpis.importing.apply import ImportConflict, apply_import
from kpis.importing.prepare import ImportBatch, describe, prepare_import
from kpis.importing.readers import read_rows
from kpis.importing.rows import ImportFileError
from lib.fiscal import fiscal_year_label, fiscal_year_of
from lib.uploads import UploadRefused, check_size, check_upload, human_size, max_upload_bytes
from reports.excel.entry_template import build_entry_template, template_filename
from reports.excel.workbook import XLSX_CONTENT_TYPE, build_review_workbook

logger = logging.getLogger("ami_strategy.imports")

SESSION_KEY = "excel_import"
STAGING_MAX_AGE = 60 * 60  # seconds a preview stays valid
FIELD_LABELS = {
    "value": gettext_lazy("実績値"),
    "note": gettext_lazy("備考"),
    "cause_analysis": gettext_lazy("要因分析"),
    "next_step": gettext_lazy("今後の方向性"),
}


# --- forms -------------------------------------------------------------------------------------------


def default_year(strategy: Strategy) -> int:
    """The year under review: the fiscal year that closed last, within the plan."""
    year = fiscal_year_of(timezone.localdate()) - 1
    return min(max(year, strategy.first_year), strategy.last_year)


class YearForm(forms.Form):
    fiscal_year = forms.TypedChoiceField(label=gettext_lazy("年度"), coerce=int)

    def __init__(self, *args, strategy: Strategy, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fiscal_year"].choices = [(year, fiscal_year_label(year)) for year in strategy.plan_years]
        self.fields["fiscal_year"].initial = default_year(strategy)


class TemplateForm(YearForm):
    department = forms.ModelChoiceField(
        label=gettext_lazy("担当課"),
        queryset=Department.objects.none(),
        to_field_name="code",
        required=False,
        empty_label=gettext_lazy("すべての指標"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = access.allowed_departments(user)
        if not access.is_planning(user):
            # Staff choose one of their own departments; "every indicator" is the planning office's.
            self.fields["department"].required = True
            self.fields["department"].empty_label = None


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("ファイル（.xlsx または .csv）"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            check_size(upload.size)
        except UploadRefused as refused:
            raise forms.ValidationError(str(refused)) from refused
        return upload


class ConfirmForm(forms.Form):
    digest = forms.CharField(widget=forms.HiddenInput, max_length=64)
    approve = forms.BooleanField(label=gettext_lazy("承認済みとして取り込む（政策企画課）"), required=False)


# --- pages -------------------------------------------------------------------------------------------


@access.require(access.has_any_role)
def reports(request: HttpRequest, *, status: int = 200, **forms_given) -> HttpResponse:
    strategy = current_strategy_or_404(request)
    user = request.user
    context = {
        "strategy": strategy,
        "can_review": access.can_download_review(user),
        "can_templates": access.can_use_templates(user),
        "review_form": forms_given.get("review_form") or YearForm(strategy=strategy),
        "template_form": forms_given.get("template_form") or TemplateForm(strategy=strategy, user=user),
        "upload_limit": human_size(max_upload_bytes()),
    }
    return render(request, "excel/reports.html", context, status=status)


@access.require(access.can_download_review)
def review_workbook(request: HttpRequest) -> HttpResponse:
    strategy = current_strategy_or_404(request)
    form = YearForm(request.GET, strategy=strategy)
    if not form.is_valid():
        return reports(request, status=400, review_form=form)
    year = form.cleaned_data["fiscal_year"]
    data = build_review_workbook(strategy, year)
    return xlsx_response(data, f"{_('効果検証')}_{strategy.code}_{year}.xlsx")


@access.require(access.can_use_templates)
def entry_template(request: HttpRequest) -> HttpResponse:
    strategy = current_strategy_or_404(request)
    form = TemplateForm(request.GET, strategy=strategy, user=request.user)
    if not form.is_valid():
        department_code = request.GET.get("department")
        if (
            department_code
            and "department" in form.errors
            and Department.objects.filter(code=department_code).exists()
        ):
            access.deny(request, "entry template of another department")
        return reports(request, status=400, template_form=form)
    year, department = form.cleaned_data["fiscal_year"], form.cleaned_data["department"]
    data = build_entry_template(strategy, year, department)
    return xlsx_response(data, template_filename(strategy, year, department))


def xlsx_response(data: bytes, filename: str) -> FileResponse:
    return FileResponse(
        io.BytesIO(data), as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE
    )


# --- import ------------------------------------------------------------------------------------------


@access.require(access.can_use_templates)
def import_upload(request: HttpRequest) -> HttpResponse:
    current_strategy_or_404(request)
    if request.method != "POST":
        return render(request, "excel/import_upload.html", upload_context(UploadForm()))
    # Refuse an oversized body from its declared length, before Django reads it.
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isdigit() and int(declared) > max_upload_bytes() + 64 * 1024:
        form = UploadForm()
        form.add_error(
            None, _("ファイルが大きすぎます（上限は%(limit)s）。") % {"limit": human_size(max_upload_bytes())}
        )
        return render(request, "excel/import_upload.html", upload_context(form), status=413)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "excel/import_upload.html", upload_context(form), status=400)
    upload = form.cleaned_data["file"]
    filename = os.path.basename(upload.name or "")
    data = upload.read(max_upload_bytes() + 1)
    try:
        check_upload(filename, data)
        rows = read_rows(filename, data)
    except (UploadRefused, ImportFileError) as problem:
        logger.info("import refused: user=%s file=%r reason=%s", request.user.username, filename, problem)
        form.add_error("file", str(problem))
        return render(request, "excel/import_upload.html", upload_context(form), status=400)
    if not rows:
        form.add_error("file", _("取り込む行がありません（見出しの下が空です）。"))
        return render(request, "excel/import_upload.html", upload_context(form), status=400)
    token = stage(request, filename, data)
    return redirect("excel:import_preview", token=token)


def upload_context(form) -> dict:
    return {"form": form, "upload_limit": human_size(max_upload_bytes())}


def batch_for(request: HttpRequest, strategy: Strategy, filename: str, data: bytes) -> ImportBatch:
    check_upload(filename, data)
    rows = read_rows(filename, data)
    return prepare_import(
        rows, strategy=strategy, user=request.user, department_ids=access.import_department_ids(request.user)
    )


@access.require(access.can_use_templates)
def import_preview(request: HttpRequest, token: str) -> HttpResponse:
    strategy = current_strategy_or_404(request)
    staged = load_staged(request, token)
    if staged is None:
        messages.error(request, _("確認できる取込ファイルがありません。もう一度アップロードしてください。"))
        return redirect("excel:import_upload")
    filename, data = staged
    try:
        plan = batch_for(request, strategy, filename, data)
    except (UploadRefused, ImportFileError) as problem:
        discard_staged(request)
        messages.error(request, str(problem))
        return redirect("excel:import_upload")
    context = {
        "filename": filename,
        "token": token,
        "plan": plan,
        "changes": change_rows(plan),
        "form": ConfirmForm(initial={"digest": batch_digest(plan)}),
        "may_approve": access.is_planning(request.user),
    }
    return render(request, "excel/import_preview.html", context, status=200 if plan.ok else 422)


@access.require(access.can_use_templates)
def import_confirm(request: HttpRequest, token: str) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    strategy = current_strategy_or_404(request)
    staged = load_staged(request, token)
    if staged is None:
        messages.error(request, _("確認できる取込ファイルがありません。もう一度アップロードしてください。"))
        return redirect("excel:import_upload")
    filename, data = staged
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        return redirect("excel:import_preview", token=token)
    try:
        plan = batch_for(request, strategy, filename, data)
    except (UploadRefused, ImportFileError) as problem:
        discard_staged(request)
        messages.error(request, str(problem))
        return redirect("excel:import_upload")
    if not plan.ok:
        messages.error(
            request, _("エラーがあるため取り込めません。ファイルを直してもう一度アップロードしてください。")
        )
        return redirect("excel:import_preview", token=token)
    if form.cleaned_data["digest"] != batch_digest(plan):
        messages.error(
            request, _("確認の後に登録済みの値が変わりました。変更内容をもう一度確かめてください。")
        )
        return redirect("excel:import_preview", token=token)
    approve = form.cleaned_data["approve"] and access.is_planning(request.user)
    try:
        written = apply_import(
            plan, user=request.user, reason=_("ファイル取込: %(name)s") % {"name": filename}, approve=approve
        )
    except ImportConflict as conflict:
        messages.error(request, str(conflict))
        return redirect("excel:import_preview", token=token)
    discard_staged(request)
    logger.info("import applied: user=%s file=%r values=%s", request.user.username, filename, written)
    if approve:
        done = _("%(count)s件の値を承認済みとして取り込みました。")
    else:
        done = _("%(count)s件の値を取り込みました（下書き）。")
    messages.success(request, done % {"count": written})
    return redirect("excel:reports")


def change_rows(plan: ImportBatch) -> list[dict]:
    rows = []
    for change in plan.changes:
        for name, (before, after) in change.fields.items():
            rows.append(
                {
                    "line": change.line,
                    "indicator": change.indicator,
                    "fiscal_year": change.fiscal_year,
                    "field": FIELD_LABELS.get(name, name),
                    "before": describe(name, before),
                    "after": describe(name, after),
                    "new": change.record is None,
                }
            )
    return rows


def batch_digest(plan: ImportBatch) -> str:
    """A fingerprint of what the preview showed; 確定 refuses when the plan has changed since."""
    parts = [
        f"{change.indicator.pk}|{change.fiscal_year}|{name}|{before!r}|{after!r}"
        for change in plan.changes
        for name, (before, after) in sorted(change.fields.items())
    ]
    return hashlib.sha256("\n".join(sorted(parts)).encode()).hexdigest()


# --- staging -----------------------------------------------------------------------------------------


def staging_dir() -> Path:
    configured = getattr(settings, "IMPORT_STAGING_DIR", None)
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "ami-strategy-imports"


def stage(request: HttpRequest, filename: str, data: bytes) -> str:
    """Keep an upload for its preview and confirmation; one per session, the previous one is dropped."""
    discard_staged(request)
    directory = staging_dir()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    remove_stale(directory)
    token = secrets.token_urlsafe(32)
    path = directory / f"{token}.upload"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    request.session[SESSION_KEY] = {
        "token": token,
        "filename": filename,
        "sha256": hashlib.sha256(data).hexdigest(),
        "user": request.user.pk,
        "at": time.time(),
    }
    return token


def load_staged(request: HttpRequest, token: str) -> tuple[str, bytes] | None:
    """The staged upload of this session and user, unchanged and not expired; else None."""
    entry = request.session.get(SESSION_KEY)
    if not entry or not secrets.compare_digest(str(entry.get("token", "")), token):
        return None
    if entry.get("user") != request.user.pk or time.time() - entry.get("at", 0) > STAGING_MAX_AGE:
        discard_staged(request)
        return None
    try:
        data = (staging_dir() / f"{entry['token']}.upload").read_bytes()
    except OSError:
        return None
    if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
        discard_staged(request)
        return None
    return entry["filename"], data


def discard_staged(request: HttpRequest) -> None:
    entry = request.session.pop(SESSION_KEY, None)
    if (
        entry
        and isinstance(entry.get("token"), str)
        and entry["token"].replace("-", "").replace("_", "").isalnum()
    ):
        try:
            (staging_dir() / f"{entry['token']}.upload").unlink(missing_ok=True)
        except OSError:
            pass


def remove_stale(directory: Path) -> None:
    cutoff = time.time() - STAGING_MAX_AGE
    for path in directory.glob("*.upload"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        except OSError:
            continue
