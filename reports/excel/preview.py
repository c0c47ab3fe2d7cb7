"""What the import preview shows of an ImportBatch: one table row per changed field (before → after), and the
batch's fingerprint that 確定 compares with the preview's so that nothing is written that was not shown.

The table's rows are made here rather than by a template loop: a file at the row limit changes up to four
fields on each of its rows, and the template engine (or format_html) spends a second on 20,000 rows.
Every text is escaped with html.escape, as Django's escape does.
"""

import hashlib
from html import escape

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kpis.importing.prepare import ImportBatch, describe
from lib.fiscal import fiscal_year_label

FIELD_LABELS = {
    "value": gettext_lazy("実績値"),
    "note": gettext_lazy("備考"),
    "cause_analysis": gettext_lazy("要因分析"),
    "next_step": gettext_lazy("今後の方向性"),
    "data_period": gettext_lazy("データ時点"),
    "quality": gettext_lazy("速報・確定"),
}


def change_count(batch: ImportBatch) -> int:
    """How many fields the batch changes (the preview's rows)."""
    return sum(len(change.fields) for change in batch.changes)


def change_table_rows(batch: ImportBatch) -> SafeString:
    """The preview table's body: for every field of each changed record, line, indicator, year, before, after."""
    labels = {name: escape(str(label)) for name, label in FIELD_LABELS.items()}
    line_label, new_label, years = _("%(line)s行目"), escape(_("（新規）")), {}
    rows = []
    for change in batch.changes:
        year = change.fiscal_year
        if year not in years:
            years[year] = escape(fiscal_year_label(year))
        start = (
            f'<tr><td class="num">{escape(line_label % {"line": change.line})}</td>'
            f'<td class="code">{escape(change.indicator.code)}</td><td>{escape(change.indicator.name)}</td>'
            f"<td>{years[year]}</td>"
        )
        for name, (before, after) in change.fields.items():
            if change.record is None:
                shown = f'{escape(describe(name, before))} <span class="muted">{new_label}</span>'
            else:
                shown = f'<span class="old">{escape(describe(name, before))}</span>'
            rows.append(
                f"{start}<td>{labels.get(name, escape(name))}</td>"
                f'<td class="before">{shown}</td><td class="after">{escape(describe(name, after))}</td></tr>'
            )
    return mark_safe("\n".join(rows))  # every text above is escaped


def batch_digest(batch: ImportBatch) -> str:
    """A fingerprint of what the preview showed; 確定 refuses when the batch has changed since."""
    parts = [
        f"{change.indicator.pk}|{change.fiscal_year}|{name}|{before!r}|{after!r}"
        for change in batch.changes
        for name, (before, after) in sorted(change.fields.items())
    ]
    return hashlib.sha256("\n".join(sorted(parts)).encode()).hexdigest()
