"""Uploaded files are untrusted: check size and container before any parser sees them.

An .xlsx is a zip of XML parts. Before openpyxl opens one, the zip's directory is inspected (entry count,
declared uncompressed sizes, compression ratios, encryption, macros, content types) so that a zip bomb,
an XML bomb, a macro-enabled or an encrypted workbook is refused in milliseconds with a Japanese message.
openpyxl itself parses with defusedxml (installed as a dependency), which refuses DTDs and entities.
"""

import io
import zipfile

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.conf import settings
from django.utils.translation import gettext as _

# Limits for a department's answer (a few hundred rows); generous for the planning office's whole plan.
MAX_ZIP_ENTRIES = 200
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100  # XML compresses 5–20×; a zip bomb a thousandfold
RATIO_CHECK_ABOVE = 1024 * 1024  # small parts may compress well without harm
MAX_CONTENT_TYPES_BYTES = 256 * 1024
PROLOG_BYTES = 4096  # a DTD can only come before the root element
# Rows of one import file (CSV or a sheet), blank ones included: the whole plan many times over, and a
# bound on the work of the reader, the preview and the confirmation.
MAX_ROWS = 5_000
MAX_SHEET_COLUMNS = 100
# One sheet's XML, uncompressed: openpyxl parses every cell of it (about 30 bytes each), read or not.
MAX_SHEET_XML_BYTES = 10 * 1024 * 1024

CFB_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE compound file: encrypted .xlsx or old .xls
ZIP_SIGNATURE = b"PK\x03\x04"
SPREADSHEET_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
MACRO_MAIN_TYPES = (
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "application/vnd.ms-excel.template.macroEnabled.main+xml",
    "application/vnd.ms-excel.addin.macroEnabled.main+xml",
)
ALLOWED_EXTENSIONS = ("xlsx", "csv")


class UploadRefused(Exception):
    """An uploaded file we will not read; str() is the Japanese message to show."""


def extension_of(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def max_upload_bytes() -> int:
    return int(getattr(settings, "MAX_UPLOAD_BYTES", 5 * 1024 * 1024))


def check_size(size: int) -> None:
    limit = max_upload_bytes()
    if size > limit:
        raise UploadRefused(too_large_message(size, limit))
    if size == 0:
        raise UploadRefused(_("ファイルが空です。"))


def too_large_message(size: int, limit: int) -> str:
    """「ファイルが大きすぎます（5.3 MB、上限は5.0 MB）」, in bytes when the rounded sizes would look equal."""
    shown, shown_limit = human_size(size), human_size(limit)
    if shown == shown_limit:
        shown, shown_limit = exact_size(size), exact_size(limit)
    return _("ファイルが大きすぎます（%(size)s、上限は%(limit)s）。") % {"size": shown, "limit": shown_limit}


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} B"


def exact_size(size: int) -> str:
    return _("%(bytes)sバイト") % {"bytes": f"{size:,}"}


def check_upload(filename: str, data: bytes) -> None:
    """Refuse a file before it is parsed: size, type by name and by content, and for .xlsx the container."""
    check_size(len(data))
    extension = extension_of(filename)
    if extension in ("xlsm", "xltm", "xlam"):
        raise UploadRefused(
            _(
                "マクロ付きのExcelファイル（.%(ext)s）は取り込めません。マクロなしの .xlsx で保存してください。"
            )
            % {"ext": extension}
        )
    if extension == "xls":
        raise UploadRefused(
            _("古い形式のExcelファイル（.xls）は取り込めません。.xlsx 形式で保存し直してください。")
        )
    if extension not in ALLOWED_EXTENSIONS:
        raise UploadRefused(
            _("取り込めるのは Excel（.xlsx）または CSV（.csv）のファイルです: %(name)s") % {"name": filename}
        )
    if extension == "xlsx":
        inspect_xlsx(data)
    elif data.startswith((CFB_SIGNATURE, ZIP_SIGNATURE)):
        raise UploadRefused(
            _(
                "CSVファイルではありません（Excelなどの別の形式です）。CSV形式で保存するか、.xlsx のまま取り込んでください。"
            )
        )


def inspect_xlsx(data: bytes) -> None:
    """Check an .xlsx container without decompressing more than a few KB; UploadRefused if unsafe."""
    if data.startswith(CFB_SIGNATURE):
        raise UploadRefused(
            _(
                "暗号化されたファイル（パスワード付き）か、古い形式（.xls）のファイルです。"
                "パスワードを解除し、.xlsx 形式で保存してから取り込んでください。"
            )
        )
    if not data.startswith(ZIP_SIGNATURE):
        raise UploadRefused(_("Excel（.xlsx）ファイルではありません。ファイルの形式を確かめてください。"))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as error:
        raise UploadRefused(
            _("Excel（.xlsx）ファイルとして読めません（壊れているか、別の形式です）。")
        ) from error

    with archive:
        if len(entries) > MAX_ZIP_ENTRIES:
            raise UploadRefused(
                _("ファイルの構成要素が多すぎます（%(count)s個、上限%(limit)s個）。")
                % {"count": len(entries), "limit": MAX_ZIP_ENTRIES}
            )
        total = 0
        for entry in entries:
            check_entry(entry)
            total += entry.file_size
            if total > MAX_UNCOMPRESSED_BYTES:
                raise UploadRefused(
                    _(
                        "展開後のサイズが大きすぎます（上限%(limit)s）。圧縮爆弾の可能性があるため取り込みません。"
                    )
                    % {"limit": human_size(MAX_UNCOMPRESSED_BYTES)}
                )
        check_content_types(archive)
        check_no_dtd(archive, entries)


def check_entry(entry: zipfile.ZipInfo) -> None:
    """One part of the zip, from its directory entry: not encrypted, no macro, not a bomb, a sheet not too big."""
    name = entry.filename
    if entry.flag_bits & 0x1:
        raise UploadRefused(
            _("暗号化されたファイルは取り込めません。パスワードを解除して保存し直してください。")
        )
    if "vbaproject" in name.lower() or (name.lower().endswith(".bin") and "vba" in name.lower()):
        raise UploadRefused(
            _("マクロ（VBA）を含むファイルは取り込めません。マクロなしの .xlsx で保存してください。")
        )
    if entry.file_size > RATIO_CHECK_ABOVE and entry.file_size > MAX_COMPRESSION_RATIO * max(
        entry.compress_size, 1
    ):
        raise UploadRefused(
            _("圧縮率が異常に高い部分（%(name)s）があります。圧縮爆弾の可能性があるため取り込みません。")
            % {"name": name}
        )
    if name.lower().startswith("xl/worksheets/") and entry.file_size > MAX_SHEET_XML_BYTES:
        raise UploadRefused(
            _(
                "シートが大きすぎます（%(name)s、展開後%(size)s、上限%(limit)s）。"
                "取り込む列と行だけを残して保存し直してください。"
            )
            % {"name": name, "size": human_size(entry.file_size), "limit": human_size(MAX_SHEET_XML_BYTES)}
        )


def check_content_types(archive: zipfile.ZipFile) -> None:
    try:
        info = archive.getinfo("[Content_Types].xml")
    except KeyError:
        raise UploadRefused(
            _("Excel（.xlsx）ファイルではありません（[Content_Types].xml がありません）。")
        ) from None
    if info.file_size > MAX_CONTENT_TYPES_BYTES:
        raise UploadRefused(_("Excel（.xlsx）ファイルの構成情報が大きすぎます。"))
    try:
        root = fromstring(archive.read(info))
    except (DefusedXmlException, SyntaxError, ValueError, zipfile.BadZipFile, OSError) as error:
        raise UploadRefused(_("Excel（.xlsx）ファイルの構成情報が読めません。")) from error
    types = {element.get("ContentType", "") for element in root.iter() if element.get("ContentType")}
    if any(kind in types for kind in MACRO_MAIN_TYPES) or any("vbaProject" in kind for kind in types):
        raise UploadRefused(
            _("マクロ付きのExcelファイルは取り込めません。マクロなしの .xlsx で保存してください。")
        )
    if SPREADSHEET_MAIN not in types:
        raise UploadRefused(
            _("Excelのブック（.xlsx）ではありません（WordやPowerPointなど別の形式のファイルです）。")
        )


def check_no_dtd(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo]) -> None:
    """Refuse XML parts that declare a DTD (entity expansion bombs); Excel never writes one."""
    for entry in entries:
        if not entry.filename.lower().endswith((".xml", ".rels", ".vml")):
            continue
        try:
            with archive.open(entry) as part:
                prolog = part.read(PROLOG_BYTES)
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as error:
            raise UploadRefused(
                _("Excel（.xlsx）ファイルとして読めません（壊れているか、別の形式です）。")
            ) from error
        # Without NULs, a UTF-16 part reads like an ASCII one for this check.
        prolog = prolog.replace(b"\x00", b"").upper()
        if b"<!DOCTYPE" in prolog or b"<!ENTITY" in prolog:
            raise UploadRefused(
                _("ファイル内のXML（%(name)s）に文書型定義（DTD）があります。安全のため取り込みません。")
                % {"name": entry.filename}
            )
