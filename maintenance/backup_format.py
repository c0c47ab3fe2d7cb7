"""The backup file: Django's XML fixture format, always writable and checked before it is trusted.

XML 1.0 cannot hold most control characters (a vertical tab pasted from PowerPoint, an escape), not even as
character references, so Django's XML serializer stops at the first one and the whole backup fails. The
forms, imports and admin now refuse or clean them, but a value stored earlier may still hold one. A backup
that fails leaves the town with none, so instead the text is written as lib.text.clean_text would have
stored it (a vertical tab or form feed becomes a line break, other controls are dropped) and every record
changed this way is named, for someone to check. The database itself is never changed by a backup.
"""

import re
import xml.sax.handler
from dataclasses import dataclass
from pathlib import Path

from django.core.serializers import register_serializer, xml_serializer

from lib.text import clean_text

FORMAT = "xml-backup"
ROOT = "django-objects"
# Characters XML 1.0 does not allow anywhere in a document.
NOT_IN_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    return NOT_IN_XML.sub("", clean_text(text))


@dataclass(frozen=True)
class Cleaned:
    """One value whose control characters were left out of the backup."""

    model: str
    pk: str
    field: str

    def __str__(self) -> str:
        return f"{self.model} pk={self.pk} {self.field}"


# The values cleaned by the last backup written in this process (the command reads it after dumpdata).
cleaned: list[Cleaned] = []


class _Characters:
    """The serializer's XML writer, with text the XML cannot hold cleaned and the record noted."""

    def __init__(self, serializer, writer):
        self._serializer = serializer
        self._writer = writer

    def characters(self, content):
        if content and NOT_IN_XML.search(content):
            content = xml_safe(content)
            self._serializer.note_cleaned()
        self._writer.characters(content)

    def __getattr__(self, name):
        return getattr(self._writer, name)


class Serializer(xml_serializer.Serializer):
    def start_serialization(self):
        super().start_serialization()
        self.xml = _Characters(self, self.xml)
        self._object, self._field = None, ""

    def start_object(self, obj):
        self._object = obj
        super().start_object(obj)

    def handle_field(self, obj, field):
        self._field = field.name
        super().handle_field(obj, field)

    def handle_fk_field(self, obj, field):
        self._field = field.name
        super().handle_fk_field(obj, field)

    def handle_m2m_field(self, obj, field):
        self._field = field.name
        super().handle_m2m_field(obj, field)

    def note_cleaned(self):
        obj = self._object
        cleaned.append(
            Cleaned(obj._meta.label if obj is not None else "?", str(getattr(obj, "pk", "")), self._field)
        )


Deserializer = xml_serializer.Deserializer


def register() -> None:
    register_serializer(FORMAT, __name__)


class NotABackup(Exception):
    """The file is XML, but not a backup of this app."""


class _Root(xml.sax.handler.ContentHandler):
    def __init__(self):
        super().__init__()
        self.root: str | None = None
        self.objects = 0

    def startElement(self, name, attrs):
        if self.root is None:
            self.root = name
            if name != ROOT:
                raise NotABackup(name)
        elif name == "object":
            self.objects += 1


def check(stream) -> int:
    """Read the whole XML (a binary stream) and return how many records it holds.

    Raises xml.sax.SAXParseException when it is not well-formed XML (truncated, corrupt), NotABackup when
    its root is not Django's fixture root, and ValueError for a DTD or entity (the parser Django's own
    XML deserializer uses, which refuses them).
    """
    handler = _Root()
    parser = xml_serializer.DefusedExpatParser()
    parser.setContentHandler(handler)
    parser.parse(stream)
    if handler.root is None:
        raise NotABackup("")
    return handler.objects


def is_compressed(path: Path) -> bool:
    return path.suffix == ".gz"
