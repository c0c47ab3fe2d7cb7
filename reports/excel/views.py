"""The reports page (/reports/): the review workbook, department entry templates, and .xlsx / .csv import
with a preview. Who may do what is decided in accounts.access (can_download_review, can_use_templates,
allowed_departments, import_department_ids).

An import goes 選択 → 確認 → 確定: the upload is checked (size, container) and read once, its rows staged
(kpis.importing.staging) under a token only this session knows; the preview prepares the rows against the
plan without writing anything, and 確定 prepares them once more and writes all or nothing, refusing when
the registered values changed since the preview (preview.batch_digest) and, under row locks, any row the
user may no longer change (kpis.importing.apply).
"""

import io
import logging
import os

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from accounts import access
from accounts.strategy import current_strategy_or_404
from goals.models import Department, Strategy
from kpis.importing.apply import ImportConflict, ImportRefused, apply_import
from kpis.importing.prepare import ImportBatch, prepare_import
from kpis.importing.readers import ImportFileError, read_rows
from kpis.importing.staging import StagedImport, discard_staged, load_staged, stage
from lib import reasons
from lib.uploads import MAX_ROWS, UploadRefused, check_upload, human_size, max_upload_bytes, too_large_message
from reports.excel import imported
from reports.excel.entry_template import build_entry_template, template_filename
from reports.excel.forms import ConfirmForm, TemplateForm, UploadForm, YearForm
from reports.excel.preview import batch_digest, change_count, change_table_rows
from reports.excel.workbook import XLSX_CONTENT_TYPE, build_review_workbook

logger = logging.getLogger("ami_strategy.imports")


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
        # After an import: the departments it wrote for, their state and the way to 提出.
        "imported": imported.recall(request, strategy),
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

# Multipart boundaries and the other fields of the upload form, on top of the file itself.
REQUEST_OVERHEAD = 64 * 1024


@access.require(access.can_use_templates)
@csrf_exempt  # only for the refusal below, which reads nothing; the form itself is CSRF-checked
def import_upload(request: HttpRequest) -> HttpResponse:
    current_strategy_or_404(request)
    if request.method == "POST":
        declared = request.META.get("CONTENT_LENGTH") or "0"
        if declared.isdigit() and int(declared) > max_upload_bytes() + REQUEST_OVERHEAD:
            # Refused from its declared length, before Django (or the CSRF check) reads the body.
            refusal = too_large_message(int(declared), max_upload_bytes())
            logger.info("import refused: user=%s reason=%s", request.user.username, refusal)
            context = {**upload_context(UploadForm()), "refusals": [refusal]}
            return render(request, "excel/import_upload.html", context, status=413)
    return upload_form(request)


@csrf_protect
def upload_form(request: HttpRequest) -> HttpResponse:
    """The upload form; a POSTed file is checked and read ONCE here, and its rows staged for the preview."""
    if request.method != "POST":
        return render(request, "excel/import_upload.html", upload_context(UploadForm()))
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
    token = stage(request, filename, rows)
    return redirect("excel:import_preview", token=token)


def upload_context(form) -> dict:
    return {"form": form, "upload_limit": human_size(max_upload_bytes()), "row_limit": f"{MAX_ROWS:,}"}


def batch_for(request: HttpRequest, strategy: Strategy, staged: StagedImport) -> ImportBatch:
    """The staged rows checked again against the plan, for this user (nothing is read or written)."""
    return prepare_import(
        staged.rows,
        strategy=strategy,
        user=request.user,
        department_ids=access.import_department_ids(request.user),
    )


def nothing_staged(request: HttpRequest) -> HttpResponse:
    """Back to the upload: this session has no (valid) staged file under that token."""
    messages.error(request, _("確認できる取込ファイルがありません。もう一度アップロードしてください。"))
    return redirect("excel:import_upload")


def render_preview(
    request: HttpRequest, token: str, staged: StagedImport, batch: ImportBatch, *, status: int
) -> HttpResponse:
    context = {
        "filename": staged.filename,
        "token": token,
        "batch": batch,
        "change_count": change_count(batch),
        "change_table_rows": change_table_rows(batch),
        "form": ConfirmForm(initial={"digest": batch_digest(batch)}),
        "may_approve": access.can_import_as_approved(request.user),
    }
    return render(request, "excel/import_preview.html", context, status=status)


@access.require(access.can_use_templates)
def import_preview(request: HttpRequest, token: str) -> HttpResponse:
    strategy = current_strategy_or_404(request)
    staged = load_staged(request, token)
    if staged is None:
        return nothing_staged(request)
    batch = batch_for(request, strategy, staged)
    return render_preview(request, token, staged, batch, status=200 if batch.ok else 422)


@access.require(access.can_use_templates)
def import_confirm(request: HttpRequest, token: str) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    strategy = current_strategy_or_404(request)
    staged = load_staged(request, token)
    if staged is None:
        return nothing_staged(request)
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        return redirect("excel:import_preview", token=token)
    batch = batch_for(request, strategy, staged)
    if not batch.ok:
        # Rows that passed the preview may not pass now (a submission was sent meanwhile): say which.
        messages.error(
            request, _("取り込めない行があるため、何も登録していません。下の一覧を確かめてください。")
        )
        return render_preview(request, token, staged, batch, status=409)
    if form.cleaned_data["digest"] != batch_digest(batch):
        messages.error(
            request, _("確認の後に登録済みの値が変わりました。変更内容をもう一度確かめてください。")
        )
        return redirect("excel:import_preview", token=token)
    return apply_confirmed(request, token, staged, batch, form.cleaned_data["approve"])


def apply_confirmed(
    request: HttpRequest, token: str, staged: StagedImport, batch: ImportBatch, approve: bool
) -> HttpResponse:
    """Write the confirmed batch (approved only by the planning office) and drop the staged file."""
    approve = approve and access.can_import_as_approved(request.user)
    filename = staged.filename
    try:
        written = apply_import(
            batch, user=request.user, reason=reasons.FILE_IMPORTED % {"name": filename}, approve=approve
        )
    except ImportRefused as refused:
        messages.error(request, str(refused))
        return render_preview(request, token, staged, ImportBatch(errors=refused.errors), status=409)
    except ImportConflict as conflict:
        messages.error(request, str(conflict))
        return redirect("excel:import_preview", token=token)
    discard_staged(request)
    imported.remember(request, batch)
    logger.info("import applied: user=%s file=%r values=%s", request.user.username, filename, written)
    if approve:
        done = _("%(count)s件の値を承認済みとして取り込みました。")
    elif access.import_keeps_status(request.user):
        done = _("%(count)s件の値を取り込みました（新しい値は下書き、修正した値は元の状態のまま）。")
    else:
        done = _("%(count)s件の値を取り込みました（下書き）。")
    messages.success(request, done % {"count": written})
    return redirect("excel:reports")
