"""An office package is a DOCX/XLSX/ODT only when it holds the parts the format needs and its main part is what
[Content_Types].xml and the package relationships say (issue 19, item 9): a ZIP that declares an HTML main part, or
whose "document" is HTML, is refused with a German message and stored nowhere."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from projects.services.uploads import DOCX, ODT, XLSX, upload_check
from tests.security.test_uploads import _zip, docx_bytes, odt_bytes, xlsx_bytes

TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
WORD_XML = (
    '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
    'wordprocessingml/2006/main"><w:body/></w:document>'
)


def _types(*entries: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{TYPES_NS}">{"".join(entries)}</Types>'


def _rels(target: str) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS_NS}">'
        f'<Relationship Id="rId1" Type="{OFFICE_DOCUMENT}" Target="{target}"/></Relationships>'
    )


def _check(name: str, content: bytes, content_type: str = DOCX) -> str:
    return upload_check(upload=SimpleUploadedFile(name, content, content_type=content_type))


def _refused(name: str, content: bytes, content_type: str = DOCX) -> str:
    with pytest.raises(ValidationError) as refusal:
        _check(name, content, content_type)
    message = " ".join(refusal.value.message_dict["file"])
    assert "Nur Dokumente" in message
    return message


def test_complete_packages_are_accepted():
    assert _check("vereinbarung.docx", docx_bytes()) == DOCX
    assert _check("kosten.xlsx", xlsx_bytes(), XLSX) == XLSX
    assert _check("protokoll.odt", odt_bytes(), ODT) == ODT


def test_a_zip_declaring_an_html_main_part_is_refused():
    package = _zip(
        [
            (
                "[Content_Types].xml",
                _types(
                    f'<Override PartName="/word/document.xml" ContentType="{DOCX_MAIN}"/>',
                    '<Override PartName="/index.html" ContentType="text/html"/>',
                ),
            ),
            ("_rels/.rels", _rels("index.html")),
            ("word/document.xml", WORD_XML),
            ("index.html", "<html><body><script>alert(1)</script></body></html>"),
        ]
    )
    assert "HTML" in _refused("vereinbarung.docx", package)


def test_a_package_whose_main_part_is_html_under_a_word_name_is_refused():
    package = _zip(
        [
            ("[Content_Types].xml", _types(f'<Override PartName="/word/document.xml" ContentType="{DOCX_MAIN}"/>')),
            ("_rels/.rels", _rels("word/document.xml")),
            ("word/document.xml", "<html><body><script>alert(1)</script></body></html>"),
        ]
    )
    _refused("vereinbarung.docx", package)


def test_a_package_without_its_relationships_or_main_part_is_refused():
    types = _types(f'<Override PartName="/word/document.xml" ContentType="{DOCX_MAIN}"/>')
    _refused("ohne-rels.docx", _zip([("[Content_Types].xml", types), ("word/document.xml", WORD_XML)]))
    _refused("ohne-hauptteil.docx", _zip([("[Content_Types].xml", types), ("_rels/.rels", _rels("word/document.xml"))]))


def test_an_odt_without_a_document_content_is_refused():
    package = _zip(
        [
            ("mimetype", ODT),
            (
                "META-INF/manifest.xml",
                '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>',
            ),
            ("content.xml", "<html><body>kein Dokument</body></html>"),
        ]
    )
    _refused("protokoll.odt", package, ODT)
