"""The upload staging store: an upload's rows, read once, kept between its preview and its confirmation (確定).

The file is read (and checked) once, at upload; what is kept is its rows (RawRows), so that the preview and
the confirmation only check them against the plan again, never parse the file again. This module is the
whole store: stage, load_staged and discard_staged are all the views know of it.

The rows are kept in the database (kpis.models.StagedUpload), named by a random 256-bit token, so that any
app server can confirm an upload another one previewed: nothing lives on one server's disk. The session
holds the token, the file name, the uploader and the stored rows' SHA-256. Staged rows are given back only
to the same session and user, unchanged and younger than STAGING_MAX_AGE; one upload per session, stale
rows are swept on the next upload.
"""

import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from django.http import HttpRequest
from django.utils import timezone

from kpis.importing.rows import RawRow
from kpis.models import StagedUpload

SESSION_KEY = "excel_import"
STAGING_MAX_AGE = 60 * 60  # seconds a preview stays valid


@dataclass(frozen=True)
class StagedImport:
    filename: str
    rows: list[RawRow]


def stage(request: HttpRequest, filename: str, rows: list[RawRow]) -> str:
    """Keep an upload's rows for its preview and confirmation; one per session, the previous one is dropped."""
    discard_staged(request)
    remove_stale()
    token = secrets.token_urlsafe(32)
    data = _dump(rows)
    StagedUpload.objects.create(
        token=token, user=request.user, filename=filename[:255], rows=data, created_at=timezone.now()
    )
    request.session[SESSION_KEY] = {
        "token": token,
        "filename": filename,
        "sha256": _digest(data),
        "user": request.user.pk,
        "at": time.time(),
    }
    return token


def load_staged(request: HttpRequest, token: str) -> StagedImport | None:
    """The staged upload of this session and user, unchanged and not expired; else None."""
    entry = request.session.get(SESSION_KEY)
    if not entry or not secrets.compare_digest(str(entry.get("token", "")), token):
        return None
    if entry.get("user") != request.user.pk or time.time() - entry.get("at", 0) > STAGING_MAX_AGE:
        discard_staged(request)
        return None
    data = (
        StagedUpload.objects.filter(token=entry["token"], user=request.user, created_at__gte=_cutoff())
        .values_list("rows", flat=True)
        .first()
    )
    if data is None:
        return None
    if _digest(data) != entry.get("sha256"):
        discard_staged(request)
        return None
    try:
        rows = _load(data)
    except (ValueError, KeyError, TypeError, IndexError):
        # Not rows this module wrote (staged by an older version, say): upload again.
        discard_staged(request)
        return None
    return StagedImport(entry["filename"], rows)


def discard_staged(request: HttpRequest) -> None:
    """Forget this session's staged upload and delete its rows."""
    entry = request.session.pop(SESSION_KEY, None)
    if entry and isinstance(entry.get("token"), str):
        StagedUpload.objects.filter(token=entry["token"]).delete()


def remove_stale() -> None:
    """Delete staged rows older than STAGING_MAX_AGE (those whose session never came back)."""
    StagedUpload.objects.filter(created_at__lt=_cutoff()).delete()


def _cutoff():
    return timezone.now() - timedelta(seconds=STAGING_MAX_AGE)


def _digest(data: str) -> str:
    return hashlib.sha256(data.encode()).hexdigest()


def _dump(rows: list[RawRow]) -> str:
    """Rows as compact JSON; the column names, the same for every row of a file, are kept once."""
    column_sets: list[dict[str, str]] = []
    index_of: dict[int, int] = {}
    records = []
    for row in rows:
        key = id(row.columns)
        if key not in index_of:
            index_of[key] = len(column_sets)
            column_sets.append(row.columns)
        records.append([row.line, index_of[key], row.cells])
    document = {"columns": column_sets, "rows": records}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def _load(data: str) -> list[RawRow]:
    document = json.loads(data)
    column_sets = document["columns"]
    return [
        RawRow(line=line, cells=cells, columns=column_sets[columns])
        for line, columns, cells in document["rows"]
    ]
