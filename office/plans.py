"""The plan from a workbook (/settings/plans/): the empty template, each plan's export, and an upload that is
checked whole, previewed (created, changed field by field, removed) and written on 確定, all or nothing.

The upload is read once; its plan (the plain structure kpis.loading.plan_workbook returns) is staged in the
database (kpis.StagedUpload, no file on any server's disk) under a random token that only this session and
user hold. The preview is a dry run of the same writer; 確定 runs it again and writes only when what would
change is still what was shown (its fingerprint), so a plan edited meanwhile is previewed again.
"""

import hashlib
import io
import json
import os
import secrets
import time
from datetime import timedelta

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import access
from goals.models import Strategy
from kpis.loading.plan_file import LoadReport, PlanRefused, write_plan
from kpis.loading.plan_workbook import (
    XLSX_CONTENT_TYPE,
    PlanWorkbookError,
    export_plan_workbook,
    read_plan_workbook,
    template_workbook,
)
from kpis.models import StagedUpload
from lib import reasons
from lib.uploads import human_size, max_upload_bytes
from office.forms import PlanConfirmForm, PlanUploadForm

SESSION_KEY = "plan_upload"
STAGING_MAX_AGE = 60 * 60  # seconds a preview stays valid


# --- pages -------------------------------------------------------------------------------------------


def _list(request: HttpRequest, form=None, errors=(), status: int = 200) -> HttpResponse:
    context = {
        "strategies": Strategy.objects.order_by("first_year", "code"),
        "current": Strategy.objects.current(),
        "form": form or PlanUploadForm(),
        "errors": list(errors),
        "upload_limit": human_size(max_upload_bytes()),
    }
    return render(request, "office/plan_list.html", context, status=status)


@access.require(access.is_planning, "plans")
@require_http_methods(["GET", "HEAD"])
def plans(request: HttpRequest) -> HttpResponse:
    return _list(request)


@access.require(access.is_planning, "plans")
@require_http_methods(["GET", "HEAD"])
def plan_template(request: HttpRequest) -> HttpResponse:
    return _xlsx(template_workbook(), _("計画テンプレート.xlsx"))


@access.require(access.is_planning, "plans")
@require_http_methods(["GET", "HEAD"])
def plan_export(request: HttpRequest, code: str) -> HttpResponse:
    strategy = get_object_or_404(Strategy, code=code)
    return _xlsx(export_plan_workbook(strategy), _("計画_%(code)s.xlsx") % {"code": strategy.code})


def _xlsx(data: bytes, filename: str) -> FileResponse:
    return FileResponse(
        io.BytesIO(data), as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE
    )


@access.require(access.is_planning, "plans")
@require_POST
def plan_upload(request: HttpRequest) -> HttpResponse:
    """The workbook is checked (container, then every sheet, row and column) and read once, then staged."""
    form = PlanUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _list(request, form, status=400)
    upload = form.cleaned_data["file"]
    filename = os.path.basename(upload.name or "")
    try:
        plan = read_plan_workbook(upload.read(max_upload_bytes() + 1), filename)
    except PlanWorkbookError as refused:
        return _list(request, form, refused.errors, status=400)
    token = _stage(request, filename, plan)
    return redirect("office:plan_preview", token=token)


@access.require(access.is_planning, "plans")
@require_http_methods(["GET", "HEAD"])
def plan_preview(request: HttpRequest, token: str) -> HttpResponse:
    staged = _load_staged(request, token)
    if staged is None:
        return _nothing_staged(request)
    filename, plan = staged
    report, errors = _dry_run(request, filename, plan)
    return _render_preview(request, token, filename, plan, report, errors)


@access.require(access.is_planning, "plans")
@require_POST
def plan_confirm(request: HttpRequest, token: str) -> HttpResponse:
    staged = _load_staged(request, token)
    if staged is None:
        return _nothing_staged(request)
    filename, plan = staged
    form = PlanConfirmForm(request.POST)
    report, errors = _dry_run(request, filename, plan)
    if errors:
        messages.error(request, _("取り込めない内容があるため、何も登録していません。"))
        return _render_preview(request, token, filename, plan, report, errors, status=409)
    if not form.is_valid() or form.cleaned_data["digest"] != report_digest(report):
        messages.error(request, _("確認の後に計画が変わりました。変更内容をもう一度確かめてください。"))
        return redirect("office:plan_preview", token=token)
    try:
        report = write_plan(plan, authoritative=True, reason=_reason(filename), user=request.user)
    except PlanRefused as refused:
        return _render_preview(request, token, filename, plan, None, refused.errors, status=409)
    _discard(request)
    messages.success(
        request,
        _(
            "計画「%(code)s」を取り込みました（追加 %(created)s件、変更 %(changed)s項目、削除 %(removed)s件）。"
        )
        % {
            "code": report.strategy_code,
            "created": len(report.created),
            "changed": len(report.changes),
            "removed": len(report.removed),
        },
    )
    return redirect("office:plans")


def _reason(filename: str) -> str:
    return reasons.FILE_IMPORTED % {"name": filename}


def _dry_run(request: HttpRequest, filename: str, plan: dict) -> tuple[LoadReport | None, list[str]]:
    try:
        return write_plan(
            plan, authoritative=True, reason=_reason(filename), user=request.user, dry_run=True
        ), []
    except PlanRefused as refused:
        return None, refused.errors


def _render_preview(request, token, filename, plan, report, errors, status=None) -> HttpResponse:
    exists = Strategy.objects.filter(code=plan["strategy"]["code"]).exists()
    context = {
        "token": token,
        "filename": filename,
        "strategy": plan["strategy"],
        "is_new": not exists,
        "report": report,
        "errors": errors,
        "form": PlanConfirmForm(initial={"digest": report_digest(report) if report else ""}),
    }
    return render(request, "office/plan_preview.html", context, status=status or (422 if errors else 200))


def report_digest(report: LoadReport) -> str:
    """What a load would do, as a fingerprint: 確定 writes only when it is still what the preview showed."""
    shown = [report.created, [list(vars(change).values()) for change in report.changes], report.removed]
    return hashlib.sha256(json.dumps(shown, ensure_ascii=False).encode()).hexdigest()


def _nothing_staged(request: HttpRequest) -> HttpResponse:
    messages.error(request, _("確認できる計画のファイルがありません。もう一度アップロードしてください。"))
    return redirect("office:plans")


# --- the staged upload (this session's and user's only) --------------------------------------------------


def _stage(request: HttpRequest, filename: str, plan: dict) -> str:
    _discard(request)
    StagedUpload.objects.filter(created_at__lt=timezone.now() - timedelta(seconds=STAGING_MAX_AGE)).delete()
    token = secrets.token_urlsafe(32)
    data = json.dumps(plan, ensure_ascii=False, separators=(",", ":"))
    StagedUpload.objects.create(
        token=token, user=request.user, filename=filename[:255], rows=data, created_at=timezone.now()
    )
    request.session[SESSION_KEY] = {
        "token": token,
        "filename": filename,
        "sha256": hashlib.sha256(data.encode()).hexdigest(),
        "user": request.user.pk,
        "at": time.time(),
    }
    return token


def _load_staged(request: HttpRequest, token: str) -> tuple[str, dict] | None:
    entry = request.session.get(SESSION_KEY)
    if not entry or not secrets.compare_digest(str(entry.get("token", "")), token):
        return None
    if entry.get("user") != request.user.pk or time.time() - entry.get("at", 0) > STAGING_MAX_AGE:
        _discard(request)
        return None
    data = StagedUpload.objects.filter(token=token, user=request.user).values_list("rows", flat=True).first()
    if data is None or hashlib.sha256(data.encode()).hexdigest() != entry.get("sha256"):
        return None
    return entry["filename"], json.loads(data)


def _discard(request: HttpRequest) -> None:
    entry = request.session.pop(SESSION_KEY, None)
    if entry and isinstance(entry.get("token"), str):
        StagedUpload.objects.filter(token=entry["token"]).delete()
