"""Uploaded documents are judged by their content, never by the type or name the client declares.

The type is detected from the bytes (the ``filetype`` library for the binary signatures; for the ZIP-based office
formats the archive itself is inspected, so that an arbitrary ZIP is no DOCX; plain text is checked to be text and
not markup). An upload is accepted only when the detected type is an allowed document type and agrees with the
declared type and the file name's extension.
"""

from __future__ import annotations

import codecs
import mimetypes
import os
import posixpath
import re
import zipfile
from typing import IO, Any
from xml.etree import ElementTree

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT = "application/vnd.oasis.opendocument.text"
TEXT = "text/plain"
ZIP = "application/zip"
HTML = "text/html"

# type -> extension of the documents a case may hold
DOCUMENT_TYPES = {PDF: ".pdf", DOCX: ".docx", XLSX: ".xlsx", ODT: ".odt", TEXT: ".txt"}
LABELS = {PDF: "PDF", DOCX: "DOCX", XLSX: "XLSX", ODT: "ODT", TEXT: "TXT", PPTX: "PPTX", ZIP: "ZIP", HTML: "HTML"}
# declared types that say nothing (a client that does not know the type); then the extension must fit the content
GENERIC_TYPES = {"", "application/octet-stream", "binary/octet-stream"}
# the main part of an OOXML package, by its content type in [Content_Types].xml (macro-enabled variants are not here)
OOXML_MAIN_PARTS = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": DOCX,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": XLSX,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": PPTX,
}
# the root element of each main part, and content types of active content no document of ours declares
OOXML_MAIN_ROOTS = {DOCX: "document", XLSX: "workbook", PPTX: "presentation"}
ACTIVE_CONTENT = ("html", "javascript", "ecmascript", "svg")
EXTENSION_TYPES = {".pdf": PDF, ".docx": DOCX, ".xlsx": XLSX, ".pptx": PPTX, ".odt": ODT, ".txt": TEXT, ".text": TEXT}
MARKUP = (
    ("<!doctype html", HTML),
    ("<html", HTML),
    ("<head", HTML),
    ("<body", HTML),
    ("<script", HTML),
    ("<iframe", HTML),
    ("<svg", "image/svg+xml"),
    ("<?xml", "application/xml"),
)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
HEAD_BYTES = 8192
CHUNK_BYTES = 64 * 1024
PACKAGE_PART_MAX_BYTES = 1024 * 1024  # [Content_Types].xml or an ODF mimetype larger than this is no document
_BUILTIN_TYPES = mimetypes.MimeTypes()  # Python's own table only, not the machine's /etc/mime.types


def _read_part(archive: zipfile.ZipFile, name: str) -> bytes | None:
    info = archive.getinfo(name)
    if info.file_size > PACKAGE_PART_MAX_BYTES:
        return None
    with archive.open(info) as part:
        return part.read(PACKAGE_PART_MAX_BYTES + 1)[:PACKAGE_PART_MAX_BYTES]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _root_name(archive: zipfile.ZipFile, name: str) -> str | None:
    """The local name of a part's XML root element (read as a stream: only the start of the part is parsed)."""
    with archive.open(name) as part:
        for _event, element in ElementTree.iterparse(part, events=("start",)):  # noqa: S314 (expat, see below)
            return _local(element.tag)
    return None


def _ooxml_type(archive: zipfile.ZipFile, names: set[str]) -> str:
    """DOCX/XLSX/PPTX when the package is one: its main part is the target of the package's officeDocument
    relationship, has an OOXML main content type and the format's root element. A package that declares active
    content (HTML, script, SVG) in [Content_Types].xml is HTML; anything else is a ZIP."""
    raw = _read_part(archive, "[Content_Types].xml")
    if raw is None or "_rels/.rels" not in names:
        return ZIP
    # Python's expat (>= 2.4.1) neither fetches external entities nor expands entity bombs
    types = ElementTree.fromstring(raw)  # noqa: S314
    defaults: dict[str, str] = {}
    overrides: dict[str, str] = {}
    for element in types:
        content_type = element.get("ContentType", "").strip().lower()
        if any(word in content_type for word in ACTIVE_CONTENT):
            return HTML
        if _local(element.tag) == "Default":
            defaults[element.get("Extension", "").lower()] = content_type
        elif _local(element.tag) == "Override":
            overrides[posixpath.normpath(element.get("PartName", "").lstrip("/"))] = content_type
    relationships = ElementTree.fromstring(_read_part(archive, "_rels/.rels") or b"")  # noqa: S314
    targets = [
        posixpath.normpath(r.get("Target", "").lstrip("/"))
        for r in relationships
        if r.get("Type", "").endswith("/officeDocument") and r.get("TargetMode", "Internal") == "Internal"
    ]
    if len(targets) != 1 or targets[0] not in names:
        return ZIP
    main = targets[0]
    content_type = overrides.get(main) or defaults.get(posixpath.splitext(main)[1].lstrip(".").lower(), "")
    kind = OOXML_MAIN_PARTS.get(content_type)
    if kind is None or _root_name(archive, main) != OOXML_MAIN_ROOTS[kind]:
        return ZIP
    return kind


def _zip_type(file: IO[bytes]) -> str | None:
    """DOCX/XLSX/PPTX or ODF by the package structure; any other ZIP is ``application/zip``; a broken one None."""
    try:
        with zipfile.ZipFile(file) as archive:
            entries = archive.infolist()
            names = {e.filename for e in entries}
            if any(n.lower().endswith("vbaproject.bin") for n in names):
                return "application/vnd.ms-office.vbaProject"  # macros: no document of ours
            if entries and entries[0].filename == "mimetype":
                declared = (_read_part(archive, "mimetype") or b"").decode("ascii", "replace").strip()
                if (
                    declared.startswith("application/vnd.oasis.opendocument.")
                    and {
                        "content.xml",
                        "META-INF/manifest.xml",
                    }
                    <= names
                    and _root_name(archive, "content.xml") == "document-content"
                ):
                    return declared
                return ZIP
            if "[Content_Types].xml" in names:
                return _ooxml_type(archive, names)
            return ZIP
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ElementTree.ParseError, KeyError, EOFError, OSError, ValueError):
        return None
    finally:
        file.seek(0)


def _decodes(file: IO[bytes], encoding: str) -> str | None:
    """The first characters of the file when all of it is text in ``encoding`` without control characters."""
    decoder = codecs.getincrementaldecoder(encoding)()
    start = ""
    file.seek(0)
    try:
        while True:
            chunk = file.read(CHUNK_BYTES)
            text = decoder.decode(chunk or b"", final=not chunk)
            if CONTROL.search(text):
                return None
            if len(start) < 200:
                start += text[:200]
            if not chunk:
                return start
    except UnicodeDecodeError:
        return None
    finally:
        file.seek(0)


def _text_type(file: IO[bytes], head: bytes) -> str | None:
    """``text/plain`` for text (UTF-8, UTF-16 with BOM or Windows-1252), the markup type for HTML/SVG/XML."""
    utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    for encoding in ["utf-16"] if utf16 else ["utf-8-sig", "cp1252"]:
        start = _decodes(file, encoding)
        if start is None:
            continue
        start = start.lstrip("\ufeff \t\r\n\f").lower()
        for prefix, kind in MARKUP:
            if start.startswith(prefix):
                return kind
        return TEXT
    return None


def upload_type_detect(*, file: IO[bytes]) -> str | None:
    """The MIME type of the file's content (None when it is neither a known format nor text). Reads from the start
    and leaves the file at the start."""
    file.seek(0)
    head = file.read(HEAD_BYTES) or b""
    file.seek(0)
    kind = filetype.guess(head)
    if kind is not None and kind.mime == PDF:
        return PDF
    if head.startswith(b"PK\x03\x04"):
        return _zip_type(file)
    text = _text_type(file, head) if head else None
    if text is not None:
        return text  # text wins over a weak binary signature (a text starting with "BM" is no bitmap)
    return kind.mime if kind is not None else None


def upload_safe_name(*, name: str | None) -> str:
    """The base name only, reduced to letters, digits, dot, dash and underscore, at most 100 characters."""
    base = os.path.basename((name or "").replace("\\", "/")) or "dokument"
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._") or "dokument"
    return base[:100]


def _label(kind: str | None) -> str:
    if not kind:
        return _("unbekannt")
    return LABELS.get(kind, kind)


def _refuse(message: str) -> ValidationError:
    return ValidationError({"file": message})


def upload_check(*, upload: Any, allowed: dict[str, str] | None = None) -> str:
    """Check an uploaded document by its content. Returns the detected type and gives the upload a safe name that
    ends with the type's extension; raises a ValidationError (German, on ``file``) and changes nothing otherwise."""
    allowed = DOCUMENT_TYPES if allowed is None else allowed
    kinds = ", ".join(LABELS.get(kind, kind) for kind in allowed)
    if upload.size > settings.DOCUMENT_MAX_BYTES:
        raise _refuse(
            _("Die Datei ist zu groß (höchstens %(mb)d MB).") % {"mb": settings.DOCUMENT_MAX_BYTES // (1024 * 1024)}
        )
    declared = (getattr(upload, "content_type", "") or "").strip().lower()
    if declared not in allowed and declared not in GENERIC_TYPES:
        raise _refuse(_("Nur Dokumente (%(kinds)s) sind erlaubt.") % {"kinds": kinds})
    detected = upload_type_detect(file=upload)
    if detected not in allowed:
        raise _refuse(
            _("Nur Dokumente (%(kinds)s) sind erlaubt; der Inhalt dieser Datei ist keines davon (erkannt: %(found)s).")
            % {"kinds": kinds, "found": _label(detected)}
        )
    if declared in allowed and declared != detected:
        raise _refuse(
            _("Der Inhalt der Datei passt nicht zum angegebenen Dateityp (angegeben: %(declared)s, Inhalt: %(found)s).")
            % {"declared": _label(declared), "found": _label(detected)}
        )
    original = os.path.basename((upload.name or "").replace("\\", "/"))
    extension = os.path.splitext(original)[1].lower()
    by_extension = EXTENSION_TYPES.get(extension) or _BUILTIN_TYPES.guess_type(f"x{extension}", strict=False)[0]
    if extension and by_extension and by_extension != detected:
        raise _refuse(
            _("Die Dateiendung „%(extension)s“ passt nicht zum Inhalt der Datei (%(found)s).")
            % {"extension": upload_safe_name(name=extension), "found": _label(detected)}
        )
    if declared in GENERIC_TYPES and by_extension != detected:
        raise _refuse(
            _("Der Dateityp ist nicht angegeben; bitte eine Datei mit der Endung %(extension)s hochladen.")
            % {"extension": allowed[detected]}
        )
    name = upload_safe_name(name=upload.name)
    if not name.lower().endswith(allowed[detected]):
        name = name[: 100 - len(allowed[detected])] + allowed[detected]
    upload.name = name
    return detected
