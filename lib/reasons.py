"""History reasons: kept in the source language (Japanese), shown in the reader's.

A history row outlives the page that wrote it and is read by people who chose another language. So a
reason the application writes is stored as its Japanese message (`gettext_noop`, or a lazy message turned
into text under the source language: `source_text`), and `shown_reason` translates it when a page shows
it. A reason someone typed is shown as typed: only texts that are known messages are translated.

Reasons with a part filled in (a day, a file name, a comment) are the templates below; `shown_reason`
recognises them by their fixed parts and translates the template, keeping the filled-in parts.
"""

import re
from functools import cache

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, gettext_noop, pgettext

# The context of a reason whose word is also a button's (承認 "Approve" → the reason "Approved"): written
# as pgettext_lazy("history reason", "承認") (Django has no pgettext_noop), kept as 「承認」 by source_text.
REASON = "history reason"

DEADLINE_CHANGED = gettext_noop("締切日の変更：%(day)s")
FILE_IMPORTED = gettext_noop("ファイル取込: %(name)s")
FILE_IMPORTED_BY_COMMAND = gettext_noop("ファイルから取り込み: %(name)s")
RETURNED = gettext_noop("差戻し：%(comment)s")
RETURNED_WITH_NOTES = gettext_noop("差戻し（指摘：%(codes)s）：%(comment)s")
FOLLOW_UP_ENTERED = gettext_noop("対応方針の入力（%(state)s）")
MEETING_EDITED = gettext_noop("会議の編集：%(fields)s")
DOCUMENT_ATTACHED = gettext_noop("添付ファイルの登録：%(name)s")
DOCUMENT_REPLACED = gettext_noop("添付ファイルの差し替え：%(name)s")
DOCUMENT_REMOVED = gettext_noop("添付ファイルの削除：%(name)s")
# Written by data migrations, which cannot import this module: the same words, so they are shown translated.
HISTORY_STARTED = gettext_noop("変更履歴の記録開始時点の内容")
GRADE_BANDS_IN_ENGLISH = gettext_noop("評価区分の英語の名称・説明の設定")

# Each reason with a filled-in part, and which of its parts are themselves messages, translated when shown
# (a list of them, 「議題、出席者」, item by item); the other parts (days, file names, comments) stay as written.
FILLED_IN = {
    DEADLINE_CHANGED: (),
    FILE_IMPORTED: (),
    FILE_IMPORTED_BY_COMMAND: (),
    RETURNED_WITH_NOTES: (),
    RETURNED: (),
    FOLLOW_UP_ENTERED: ("state",),
    MEETING_EDITED: ("fields",),
    DOCUMENT_ATTACHED: (),
    DOCUMENT_REPLACED: (),
    DOCUMENT_REMOVED: (),
}
# How a list of field names is joined in the stored (Japanese) reason.
LIST_SEPARATOR = "、"
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def source_text(message) -> str:
    """A message (a lazy translation, or already text) as history keeps it: in the source language."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(message)


@cache
def _pattern(template: str) -> re.Pattern:
    """「締切日の変更：%(day)s」 → a pattern that reads 「締切日の変更：2026/07/31」 back into its parts."""
    parts = _PLACEHOLDER.split(template)
    # split() alternates fixed text and placeholder names: text, name, text, name, …, text.
    pattern = "".join(
        re.escape(part) if index % 2 == 0 else f"(?P<{part}>.*?)" for index, part in enumerate(parts)
    )
    return re.compile(pattern, re.DOTALL)


def _shown_message(text: str) -> str:
    """A part that is a message, or a list of them: each item translated (gettext("") would answer the
    catalogue's header, so empty items stay empty)."""
    items = [gettext(item) if item else item for item in text.split(LIST_SEPARATOR)]
    return pgettext("list separator", "、").join(items)


def shown_reason(stored: str | None) -> str:
    """A stored reason in the active language: 「承認」 → "Approved" on an English page; typed text as is."""
    if not stored:
        return ""
    shown = pgettext(REASON, stored)
    if shown == stored:
        shown = gettext(stored)
    if shown != stored:
        return shown
    for template, messages in FILLED_IN.items():
        match = _pattern(template).fullmatch(stored)
        if match is None:
            continue
        translated = gettext(template)
        if translated == template:
            return stored
        parts = match.groupdict()
        return translated % {**parts, **{name: _shown_message(parts[name]) for name in messages}}
    return stored
