"""Text as people paste it: invisible control characters are dropped or refused, never stored.

A vertical tab (\x0b, PowerPoint's line break) or an escape (\x1b) is invisible on screen but makes an XML
backup unreadable and breaks CSV and Excel exports. Tab and line breaks are the only control characters a
text may hold.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# C0 controls except tab, line feed and carriage return; DEL; the C1 controls; the Unicode line and
# paragraph separators, which JavaScript and some CSV readers take as line ends.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
_LINE_BREAKS = str.maketrans({"\x0b": "\n", "\x0c": "\n", "\u2028": "\n", "\u2029": "\n"})


def clean_text(text: str) -> str:
    """The text with CRLF and CR as LF, vertical tabs and form feeds as LF, other controls removed.

    NUL is removed as well; a form refuses it before this runs (Django's CharField says so), an import
    refuses it with the row's line (see has_nul).
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_LINE_BREAKS)
    return CONTROL_CHARACTERS.sub("", text)


def has_control_characters(text: str) -> bool:
    return CONTROL_CHARACTERS.search(text.replace("\r\n", "\n").replace("\r", "\n")) is not None


def describe_control_characters(text: str) -> str:
    """The control characters found, as code points ("U+000B、U+001B") for a message."""
    found = sorted({match.group() for match in CONTROL_CHARACTERS.finditer(text)})
    return "、".join(f"U+{ord(character):04X}" for character in found)


@deconstructible
class NoControlCharactersValidator:
    """Refuses a text holding control characters other than tab and line breaks (the admin, the API)."""

    message = _("見えない制御文字（%(characters)s）が含まれています。削除してから保存してください。")
    code = "control_characters"

    def __call__(self, value) -> None:
        if isinstance(value, str) and has_control_characters(value):
            raise ValidationError(
                self.message, code=self.code, params={"characters": describe_control_characters(value)}
            )

    def __eq__(self, other) -> bool:
        return isinstance(other, NoControlCharactersValidator)


no_control_characters = NoControlCharactersValidator()
