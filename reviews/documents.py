"""A meeting's attached file (its minutes): what is accepted, checked before anything reads it.

Only a PDF (by its %PDF- signature), a Word document (.docx) or an Excel workbook (.xlsx) is kept, up to
10 MB. The Office files are zip containers: their directory is checked with lib.uploads (entry count,
sizes, compression ratio, encryption, macros, DTDs) before the file is stored, so that nobody who later
downloads it receives a macro-enabled document or a zip bomb. The file is never parsed here: it is kept
as bytes in the database (reviews.models.MeetingDocument) and served as a download.
"""

import io
import posixpath
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from urllib.parse import quote

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.core.files.uploadhandler import MemoryFileUploadHandler
from django.utils.translation import gettext as _

from lib.text import clean_text
from lib.uploads import (
    CFB_SIGNATURE,
    MAX_CONTENT_TYPES_BYTES,
    MAX_UNCOMPRESSED_BYTES,
    MAX_ZIP_ENTRIES,
    ZIP_SIGNATURE,
    UploadRefused,
    check_entry,
    check_no_dtd,
    extension_of,
    human_size,
    inspect_xlsx,
    too_large_message,
)

MAX_BYTES = 10 * 1024 * 1024
# The other fields of the meeting form (its texts, up to about 60,000 characters) and the multipart frame.
REQUEST_OVERHEAD = 512 * 1024
MAX_FILENAME_LENGTH = 200

PDF_SIGNATURE = b"%PDF-"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES = {"pdf": "application/pdf", "docx": DOCX, "xlsx": XLSX}
WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
# Word's own name for its macro-enabled parts (.docm, .dotm).
WORD_MACRO_TYPES = ("macroenabled", "vbaproject")


@dataclass(frozen=True)
class CheckedDocument:
    """A file that passed every check: its cleaned name, the content type it is served with, its bytes."""

    filename: str
    content_type: str
    data: bytes


def safe_filename(name: str) -> str:
    """The file's own name without any folder, control characters or surrounding spaces, at most 200
    characters (the extension kept)."""
    name = unicodedata.normalize("NFC", clean_text(name or ""))
    name = posixpath.basename(name.replace("\\", "/")).strip().strip(".")
    name = re.sub(r"\s+", " ", name)
    if len(name) > MAX_FILENAME_LENGTH:
        extension = extension_of(name)
        keep = MAX_FILENAME_LENGTH - len(extension) - 1
        name = f"{name[:keep]}.{extension}" if extension and keep > 0 else name[:MAX_FILENAME_LENGTH]
    return name


def check_document(filename: str, data: bytes, size: int | None = None) -> CheckedDocument:
    """The file as it will be kept; UploadRefused (its str() a Japanese message) when it is not accepted.

    `size` is the upload's whole size when only its first bytes were kept (InMemoryUpload).
    """
    name = safe_filename(filename)
    size = len(data) if size is None else size
    if not data or not size:
        raise UploadRefused(_("ファイルが空です。"))
    if size > MAX_BYTES or len(data) > MAX_BYTES:
        raise UploadRefused(too_large_message(max(size, len(data)), MAX_BYTES))
    extension = extension_of(name)
    if extension not in CONTENT_TYPES:
        raise UploadRefused(
            _("添付できるのは PDF（.pdf）、Word（.docx）、Excel（.xlsx）のファイルです：%(name)s")
            % {"name": name or "−"}
        )
    if extension == "pdf" and not data.startswith(PDF_SIGNATURE):
        raise UploadRefused(_("PDFファイルではありません（ファイルの先頭が %PDF- ではありません）。"))
    if extension == "xlsx":
        inspect_xlsx(data)
    if extension == "docx":
        inspect_docx(data)
    return CheckedDocument(name, CONTENT_TYPES[extension], data)


def inspect_docx(data: bytes) -> None:
    """Check a .docx container without decompressing more than a few KB; UploadRefused if unsafe."""
    if data.startswith(CFB_SIGNATURE):
        raise UploadRefused(
            _(
                "暗号化されたファイル（パスワード付き）か、古い形式（.doc）のファイルです。"
                "パスワードを解除し、.docx 形式で保存してから添付してください。"
            )
        )
    not_word = _("Word（.docx）ファイルとして読めません（壊れているか、別の形式です）。")
    if not data.startswith(ZIP_SIGNATURE):
        raise UploadRefused(not_word)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as error:
        raise UploadRefused(not_word) from error
    with archive:
        if len(entries) > MAX_ZIP_ENTRIES:
            raise UploadRefused(
                _("ファイルの構成要素が多すぎます（%(count)s個、上限%(limit)s個）。")
                % {"count": len(entries), "limit": MAX_ZIP_ENTRIES}
            )
        for entry in entries:
            check_entry(entry)
        if sum(entry.file_size for entry in entries) > MAX_UNCOMPRESSED_BYTES:
            raise UploadRefused(
                _("展開後のサイズが大きすぎます（上限%(limit)s）。圧縮爆弾の可能性があるため添付できません。")
                % {"limit": human_size(MAX_UNCOMPRESSED_BYTES)}
            )
        _check_word_content_types(archive, not_word)
        check_no_dtd(archive, entries)


def _check_word_content_types(archive: zipfile.ZipFile, not_word: str) -> None:
    try:
        info = archive.getinfo("[Content_Types].xml")
    except KeyError:
        raise UploadRefused(not_word) from None
    if info.file_size > MAX_CONTENT_TYPES_BYTES:
        raise UploadRefused(not_word)
    try:
        root = fromstring(archive.read(info))
    except (DefusedXmlException, SyntaxError, ValueError, zipfile.BadZipFile, OSError) as error:
        raise UploadRefused(not_word) from error
    types = {element.get("ContentType", "") for element in root.iter() if element.get("ContentType")}
    if any(marker in kind.lower() for kind in types for marker in WORD_MACRO_TYPES):
        raise UploadRefused(
            _("マクロ付きのWordファイルは添付できません。マクロなしの .docx で保存してください。")
        )
    if WORD_MAIN not in types:
        raise UploadRefused(
            _("Wordの文書（.docx）ではありません（ExcelやPowerPointなど別の形式のファイルです）。")
        )


def content_disposition(filename: str, fallback: str) -> str:
    """An attachment header every browser reads: an ASCII name, and the real one in RFC 5987 form."""
    ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", fallback) or "download"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


class InMemoryUpload(MemoryFileUploadHandler):
    """Keeps an upload in memory, never in a temporary file on the server's disk, and stores no more of it
    than the limit and one byte: a bigger file is still counted (its size is refused with a message)."""

    def __init__(self, request=None, limit: int = MAX_BYTES):
        super().__init__(request)
        self.limit = limit
        self.kept = 0

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.activated = True  # the view refused a request too long for this before reading it

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.kept = 0

    def receive_data_chunk(self, raw_data, start):
        room = self.limit + 1 - self.kept
        if room > 0:
            self.file.write(raw_data[:room])
            self.kept += min(room, len(raw_data))
        return None  # no other handler (the one writing temporary files) gets the data
