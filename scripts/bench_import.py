"""Import benchmark (a script, not a timed test): the worst files the upload accepts, and one it refuses.

    .venv/bin/python scripts/bench_import.py                          # throwaway SQLite file
    scripts/with-postgres .venv/bin/python scripts/bench_import.py    # throwaway PostgreSQL database

In a fresh database that is removed afterwards (scripts/bench.py's), a synthetic plan with at least as many
indicator × year pairs as an import may have rows (lib.uploads.MAX_ROWS), every year open. Then, as the
planning office, through the real views in process: each file is uploaded (checked, read once, its rows
staged), previewed, and — when it is clean — confirmed. For every step it prints the HTTP status, the time,
the peak Python memory (tracemalloc, measured in a second run of the step so that tracing does not slow
the timed one) and the size of the answer. The target (docs/bench.md): every accepted file previews in
under 2 s and 150 MB.
"""

import argparse
import csv
import io
import math
import os
import re
import resource
import sys
import time
import tracemalloc
import warnings
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))  # bench
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ami_strategy.settings")
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)

import django  # noqa: E402

YEARS = 10
HEADER = ["指標コード", "年度", "実績値", "備考", "要因分析", "今後の方向性"]


@dataclass
class Step:
    label: str
    status: int
    seconds: float
    peak_mb: float
    size_kb: float


def measure(label: str, run) -> tuple[Step, object]:
    """run() → response, timed once untraced and once under tracemalloc for its peak; the last response.

    (A second upload replaces the first one's staged rows: only the last token is valid.)
    """
    start = time.perf_counter()
    run()
    seconds = time.perf_counter() - start
    tracemalloc.start()
    tracemalloc.reset_peak()
    response = run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return Step(label, response.status_code, seconds, peak / 2**20, len(response.content) / 1024), response


def traced_peak(run) -> float:
    """The peak Python memory of run(), in MB."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


# --- the files ----------------------------------------------------------------------------------------


def pairs(strategy, count: int) -> list[tuple[str, int]]:
    from kpis.models import Indicator

    codes = list(Indicator.objects.filter(strategy=strategy).order_by("pk").values_list("code", flat=True))
    found = [(code, year) for year in strategy.plan_years for code in codes]
    assert len(found) >= count, f"the plan has {len(found)} indicator-year pairs, fewer than {count}"
    return found[:count]


def changed_rows(strategy, count: int) -> list[list]:
    """count rows, each changing all four fields of a different indicator and year."""
    steps = ["拡充", "継続", "改善して継続", "縮小"]
    return [
        [code, year, f"{n % 9973}.5", f"備考{n}", f"要因分析{n}", steps[n % 4]]
        for n, (code, year) in enumerate(pairs(strategy, count))
    ]


def csv_file(rows: list[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode()


def xlsx_file(rows: list[list], header=HEADER) -> bytes:
    """A workbook as Excel writes one: with its sheet's dimension (openpyxl's write-only mode omits it)."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "実績入力"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def widest_xlsx(strategy, rows: int, max_bytes: int) -> tuple[bytes, int]:
    """The most rows (up to `rows`) of 100 columns that stay within the upload limits: (file, rows)."""
    from lib.uploads import MAX_SHEET_COLUMNS, MAX_SHEET_XML_BYTES

    filler = [f"列{n}" for n in range(len(HEADER), MAX_SHEET_COLUMNS)]
    header = HEADER + filler
    while True:
        body = [row + list(range(len(filler))) for row in changed_rows(strategy, rows)]
        data = xlsx_file(body, header)
        if len(data) <= max_bytes and sheet_size(data) <= MAX_SHEET_XML_BYTES:
            return data, rows
        rows = int(rows * 0.9)


def sheet_size(data: bytes) -> int:
    import zipfile

    return zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/worksheets/sheet1.xml").file_size


# --- the run ------------------------------------------------------------------------------------------


def run_file(client, label: str, filename: str, data: bytes, *, again: bytes | None = None) -> list[Step]:
    """Upload, preview and, with `again` (the same rows with other values), confirm: 確定 cannot run twice
    on the same file, so it is timed on `data` and traced on `again`."""
    size = f"{len(data) / 2**20:.1f} MB"
    step, response = measure(f"{label} ({size}): upload", lambda: upload(client, filename, data))
    steps = [step]
    if response.status_code != 302:
        message = re.search(r'class="field-error">([^<]*)<', response.content.decode())
        steps[-1].label += f" → {message[1] if message else 'refused'}"
        return steps
    token_url = response["Location"]
    step, response = measure(f"{label}: preview", lambda: client.get(token_url))
    steps.append(step)
    if again is None:
        return steps
    start = time.perf_counter()
    response = confirm(client, token_url, response)
    seconds = time.perf_counter() - start
    token_url = upload(client, filename, again)["Location"]
    preview = client.get(token_url)
    peak = traced_peak(lambda: confirm(client, token_url, preview))
    steps.append(Step(f"{label}: 確定", response.status_code, seconds, peak, len(response.content) / 1024))
    return steps


def upload(client, filename: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    return client.post(reverse("excel:import_upload"), {"file": SimpleUploadedFile(filename, data)})


def confirm(client, token_url: str, preview):
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', preview.content.decode())
    if digest is None:
        first = re.search(r"<td>([^<]*)</td><td>([^<]*)</td></tr>", preview.content.decode())
        raise SystemExit(
            f"{token_url}: the preview offers no 確定 ({first.groups() if first else 'no error'})"
        )
    return client.post(token_url + "confirm/", {"digest": digest[1]})


def bumped(rows: list[list], by: float) -> list[list]:
    """The same rows, each value `by` more."""
    return [[code, year, f"{float(value) + by}", *rest] for code, year, value, *rest in rows]


def table(steps: list[Step]) -> str:
    lines = [f"{'step':<78} {'status':>6} {'time':>8} {'peak':>9} {'answer':>10}"]
    for s in steps:
        lines.append(
            f"{s.label:<78} {s.status:>6} {s.seconds:>7.2f}s {s.peak_mb:>6.1f} MB {s.size_kb:>7.0f} KB"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, help="rows of the largest files (default: lib.uploads.MAX_ROWS)")
    args = parser.parse_args(argv)
    django.setup()

    from bench import build_plan, drop_database, throwaway_database
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    from kpis.models import FiscalYear
    from lib.uploads import MAX_ROWS, max_upload_bytes

    rows = args.rows or MAX_ROWS
    copies = math.ceil(rows / (48 * YEARS))
    print(
        f"Building a synthetic plan (×{copies}, {YEARS} years) in a throwaway {connection.vendor} database…"
    )
    old_name, tmpdir = throwaway_database()
    try:
        plan = build_plan(copies=copies, years=YEARS, departments=12)
        FiscalYear.objects.filter(strategy=plan.strategy).update(state=FiscalYear.State.OPEN)
        strategy = plan.strategy
        steps: list[Step] = []
        with override_settings(DEBUG=False, ALLOWED_HOSTS=["testserver"]):
            client = Client(raise_request_exception=True)
            client.force_login(plan.planning)
            changed = changed_rows(strategy, rows)
            steps += run_file(
                client,
                f"CSV, {rows:,} rows changing 4 fields each",
                "changed.csv",
                csv_file(changed),
                again=csv_file(bumped(changed, 1)),
            )
            unknown = [[f"X-{n}", 2025, "1", "", "", ""] for n in range(rows)]
            steps += run_file(client, f"CSV, {rows:,} rows, each an error", "errors.csv", csv_file(unknown))
            many = [[f"X-{n}", 2025, "1"] for n in range(200_000)]
            steps += run_file(client, "CSV, 200,000 rows", "many.csv", csv_file(many))
            steps += run_file(
                client,
                f"xlsx, {rows:,} rows changing their value",
                "changed.xlsx",
                xlsx_file(bumped(changed, 2)),
                again=xlsx_file(bumped(changed, 3)),
            )
            data, wide_rows = widest_xlsx(strategy, rows, max_upload_bytes())
            steps += run_file(client, f"xlsx, {wide_rows:,} rows × 100 columns", "wide.xlsx", data)
    finally:
        drop_database(old_name, tmpdir)
    print(table(steps))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Process peak RSS (plan building included): {rss:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
