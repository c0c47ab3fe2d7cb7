"""The upload staging store: an upload's rows, read once, kept between its preview and its confirmation (確定).

The file is read (and checked) once, at upload; what is kept is its rows (RawRows), so that the preview and
the confirmation only check them against the plan again, never parse the file again. This module is the
whole store: stage, load_staged and discard_staged are all the views know of it, so that it can move (to
the database, say) without them changing.

The rows go to a private file (mode 0600; its directory, settings.IMPORT_STAGING_DIR or else one in the
system's temporary directory, is created 0700) named by a random token; the session holds the token, the
file name, the uploader and the stored bytes' SHA-256. Staged rows are given back only to the same session
and user, unchanged and younger than STAGING_MAX_AGE; one upload per session, stale files are swept on the
next upload.
"""

import hashlib
import json
import os
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest

from kpis.importing.rows import RawRow

SESSION_KEY = "excel_import"
STAGING_MAX_AGE = 60 * 60  # seconds a preview stays valid


@dataclass(frozen=True)
class StagedImport:
    filename: str
    rows: list[RawRow]


def staging_dir() -> Path:
    """Where staged uploads are kept."""
    configured = getattr(settings, "IMPORT_STAGING_DIR", None)
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "ami-strategy-imports"


def stage(request: HttpRequest, filename: str, rows: list[RawRow]) -> str:
    """Keep an upload's rows for its preview and confirmation; one per session, the previous one is dropped."""
    discard_staged(request)
    directory = staging_dir()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    remove_stale(directory)
    token = secrets.token_urlsafe(32)
    data = _dump(rows)
    fd = os.open(directory / f"{token}.upload", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
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


def load_staged(request: HttpRequest, token: str) -> StagedImport | None:
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
    try:
        rows = _load(data)
    except (ValueError, KeyError, TypeError, IndexError):
        # Not rows this module wrote (a file staged by an older version, say): upload again.
        discard_staged(request)
        return None
    return StagedImport(entry["filename"], rows)


def discard_staged(request: HttpRequest) -> None:
    """Forget this session's staged upload and delete its file (a token of other characters is ignored)."""
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
    """Delete staged files older than STAGING_MAX_AGE (those whose session never came back)."""
    cutoff = time.time() - STAGING_MAX_AGE
    for path in directory.glob("*.upload"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        except OSError:
            continue


def _dump(rows: list[RawRow]) -> bytes:
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
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def _load(data: bytes) -> list[RawRow]:
    document = json.loads(data)
    column_sets = document["columns"]
    return [
        RawRow(line=line, cells=cells, columns=column_sets[columns])
        for line, columns, cells in document["rows"]
    ]
