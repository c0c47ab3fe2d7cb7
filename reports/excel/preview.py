"""What the import preview shows of an ImportBatch: one row per changed field (before → after), and the
batch's fingerprint that 確定 compares with the preview's so that nothing is written that was not shown."""

import hashlib

from django.utils.translation import gettext_lazy

from kpis.importing.prepare import ImportBatch, describe

FIELD_LABELS = {
    "value": gettext_lazy("実績値"),
    "note": gettext_lazy("備考"),
    "cause_analysis": gettext_lazy("要因分析"),
    "next_step": gettext_lazy("今後の方向性"),
}


def change_rows(batch: ImportBatch) -> list[dict]:
    """The changes for the preview's table, one row per field of each changed record."""
    rows = []
    for change in batch.changes:
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


def batch_digest(batch: ImportBatch) -> str:
    """A fingerprint of what the preview showed; 確定 refuses when the batch has changed since."""
    parts = [
        f"{change.indicator.pk}|{change.fiscal_year}|{name}|{before!r}|{after!r}"
        for change in batch.changes
        for name, (before, after) in sorted(change.fields.items())
    ]
    return hashlib.sha256("\n".join(sorted(parts)).encode()).hexdigest()
