"""Uploads are judged by their content: the type the client declares and the file name are only cross-checked.

Every upload path of the product: case documents (service and portal page), funding application documents, the
XLSX questionnaire of the screening; the API accepts no files (no task form has a file field). A refused upload
leaves nothing behind: no file on disk, no row, no audit entry.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook

from funding.models import Application, ApplicationDocument
from funding.services.applications import application_document_add
from projects.models import AuditEntry, CaseDocument, ScreeningRound
from projects.services.cases import case_document_add
from projects.services.screening_import import QuestionnaireInvalid, declaration_import
from projects.services.uploads import DOCX, ODT, PDF, TEXT, XLSX, upload_type_detect
from tests.cases.helpers import new_case

pytestmark = pytest.mark.django_db

HTML_PAGE = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
EXECUTABLE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200 + b"This program cannot be run"
)


# --- real documents, made here ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pdf_bytes():
    from weasyprint import HTML

    return HTML(string="<h1>Protokoll</h1><p>Sitzung des Lenkungsausschusses</p>").write_pdf()


def xlsx_bytes() -> bytes:
    book = Workbook()
    book.active["A1"] = "Kosten"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _zip(entries: list[tuple[str, str]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in entries:
            compression = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(name, text, compress_type=compression)
    return buffer.getvalue()


def docx_bytes() -> bytes:
    """The smallest complete WordprocessingML package: content types, package relationships, the main part."""
    return _zip(
        [
            (
                "[Content_Types].xml",
                '<?xml version="1.0" encoding="UTF-8"?>'
                '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
                'officedocument.wordprocessingml.document.main+xml"/></Types>',
            ),
            (
                "_rels/.rels",
                '<?xml version="1.0" encoding="UTF-8"?>'
                '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                'officeDocument" Target="word/document.xml"/></Relationships>',
            ),
            (
                "word/document.xml",
                '<?xml version="1.0" encoding="UTF-8"?>'
                '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                "<w:body><w:p><w:r><w:t>Vereinbarung</w:t></w:r></w:p></w:body></w:document>",
            ),
        ]
    )


def odt_bytes() -> bytes:
    return _zip(
        [
            ("mimetype", ODT),
            (
                "META-INF/manifest.xml",
                '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>',
            ),
            (
                "content.xml",
                '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>',
            ),
        ]
    )


def plain_zip_bytes() -> bytes:
    """A ZIP with the names of a Word document but no package structure ([Content_Types].xml)."""
    return _zip([("word/document.xml", "<x/>"), ("payload.exe", "MZ")])


# --- fixtures --------------------------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def case(users):
    return new_case(title="Upload-Vorgang")


def _files(media):
    return sorted(p for p in media.rglob("*") if p.is_file())


def _state(case, media):
    return (CaseDocument.objects.filter(case=case).count(), AuditEntry.objects.count(), _files(media))


def _add(case, users, name, content, content_type):
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    return case_document_add(case=case, upload=upload, title="", by=users["pm.mkk"])


# --- detection -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "make, expected",
    [
        (docx_bytes, DOCX),
        (xlsx_bytes, XLSX),
        (odt_bytes, ODT),
        (plain_zip_bytes, "application/zip"),
        (lambda: "Protokoll: Änderungen\r\n".encode("cp1252"), TEXT),
        (lambda: "Protokoll: Änderungen\n".encode(), TEXT),
        (lambda: b"BM-Runde: Ergebnisse\n", TEXT),  # text, although "BM" is also the start of a bitmap
        (lambda: HTML_PAGE, "text/html"),
        (lambda: b'<svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml"),
        (lambda: EXECUTABLE, "application/x-msdownload"),
        (lambda: b"\x00\x01\x02binary", None),
    ],
)
def test_the_type_is_detected_from_the_bytes(make, expected):
    assert upload_type_detect(file=io.BytesIO(make())) == expected


def test_a_pdf_is_detected_as_pdf(pdf_bytes):
    assert upload_type_detect(file=io.BytesIO(pdf_bytes)) == PDF


# --- case documents: refused -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, content",
    [("protokoll.pdf", HTML_PAGE), ("protokoll.pdf", EXECUTABLE), ("protokoll.pdf", b"\x00\x01\x02binary")],
    ids=["html", "executable", "unknown-binary"],
)
def test_a_non_document_declared_as_pdf_is_refused_in_german_and_nothing_is_stored(case, users, media, name, content):
    before = _state(case, media)
    with pytest.raises(ValidationError, match="Nur Dokumente .* der Inhalt dieser Datei ist keines davon") as error:
        _add(case, users, name, content, PDF)
    assert list(error.value.message_dict) == ["file"]
    assert _state(case, media) == before


def test_a_zip_that_is_no_office_document_declared_as_docx_is_refused(case, users, media):
    before = _state(case, media)
    with pytest.raises(ValidationError, match="erkannt: ZIP"):
        _add(case, users, "vereinbarung.docx", plain_zip_bytes(), DOCX)
    assert _state(case, media) == before


def test_a_document_whose_content_differs_from_the_declared_type_is_refused(case, users, media, pdf_bytes):
    before = _state(case, media)
    with pytest.raises(ValidationError, match="passt nicht zum angegebenen Dateityp .*angegeben: DOCX, Inhalt: PDF"):
        _add(case, users, "vereinbarung.docx", pdf_bytes, DOCX)
    with pytest.raises(ValidationError, match="passt nicht zum angegebenen Dateityp .*angegeben: PDF, Inhalt: TXT"):
        _add(case, users, "notiz.pdf", b"nur Text", PDF)
    assert _state(case, media) == before


@pytest.mark.parametrize("name", ["vereinbarung.docx", "seite.html", "programm.exe"])
def test_a_document_whose_extension_names_another_type_is_refused(case, users, media, pdf_bytes, name):
    before = _state(case, media)
    with pytest.raises(ValidationError, match="Die Dateiendung „.[a-z]+“ passt nicht zum Inhalt der Datei \\(PDF\\)"):
        _add(case, users, name, pdf_bytes, PDF)
    assert _state(case, media) == before


def test_an_oversized_file_is_refused_before_its_content_is_read(case, users, media, settings, pdf_bytes):
    settings.DOCUMENT_MAX_BYTES = len(pdf_bytes) - 1
    before = _state(case, media)
    with pytest.raises(ValidationError, match="Die Datei ist zu groß"):
        _add(case, users, "protokoll.pdf", pdf_bytes, PDF)
    assert _state(case, media) == before


def test_without_a_declared_type_the_extension_must_name_the_content(case, users, media, pdf_bytes):
    before = _state(case, media)
    with pytest.raises(ValidationError, match="Endung .pdf hochladen"):
        _add(case, users, "protokoll", pdf_bytes, "application/octet-stream")
    assert _state(case, media) == before
    document = _add(case, users, "protokoll.pdf", pdf_bytes, "application/octet-stream")
    assert document.content_type == PDF


# --- case documents: accepted ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, make, content_type",
    [
        ("Vereinbarung.docx", docx_bytes, DOCX),
        ("Kosten.xlsx", xlsx_bytes, XLSX),
        ("Satzung.odt", odt_bytes, ODT),
        ("Notiz.txt", lambda: "Sitzung am 3. März\n".encode(), TEXT),
    ],
)
def test_real_office_and_text_documents_are_accepted_with_the_detected_type(case, users, name, make, content_type):
    content = make()
    document = _add(case, users, name, content, content_type)
    assert document.content_type == content_type
    assert document.file.name == f"cases/{case.pk}/{name}"
    with document.file.open("rb") as stored:
        assert stored.read() == content
    assert AuditEntry.objects.filter(action="case.document_added", subject_id=str(case.pk)).exists()


def test_a_real_pdf_is_accepted_and_served_with_the_detected_type_as_attachment_and_nosniff(case, users, pdf_bytes):
    document = _add(case, users, "Protokoll Sitzung.pdf", pdf_bytes, PDF)
    assert document.content_type == PDF and document.size == len(pdf_bytes)
    client = Client()
    client.force_login(users["pm.mkk"])
    response = client.get(f"/portal/vorgaenge/{case.pk}/dokumente/{document.pk}/")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == PDF
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"] == 'attachment; filename="Protokoll_Sitzung.pdf"'
    assert b"".join(response.streaming_content) == pdf_bytes


def test_a_stored_document_with_an_unexpected_type_is_served_as_opaque_bytes(case, users):
    """A row from before the content check (declared type stored) is never served as something a browser renders."""
    document = CaseDocument.objects.create(
        case=case,
        title="Alt",
        file=ContentFile(HTML_PAGE, name="alt.html"),
        content_type="text/html",
        size=len(HTML_PAGE),
        uploaded_by=users["pm.mkk"],
    )
    client = Client()
    client.force_login(users["pm.mkk"])
    response = client.get(f"/portal/vorgaenge/{case.pk}/dokumente/{document.pk}/")
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "hostile",
    ["../../etc/passwd.pdf", "..\\..\\boot.ini.pdf", "a\x00b\r\nc\x1b[31m.pdf", "\u202egpj.pdf", "/tmp/x/../y.pdf"],
)
def test_path_traversal_and_control_characters_in_the_file_name_are_sanitised(case, users, media, pdf_bytes, hostile):
    document = _add(case, users, hostile, pdf_bytes, PDF)
    directory, name = document.file.name.rsplit("/", 1)
    assert directory == f"cases/{case.pk}"
    assert all(c.isalnum() or c in "._-" for c in name) and name.endswith(".pdf") and not name.startswith(".")
    assert _files(media) == [media / "cases" / str(case.pk) / name]


# --- the portal page -------------------------------------------------------------------------------------------
def test_the_portal_refuses_html_declared_as_pdf_with_a_german_message_and_stores_nothing(case, users, media):
    client = Client()
    client.force_login(users["pm.mkk"])
    before = _state(case, media)
    upload = SimpleUploadedFile("protokoll.pdf", HTML_PAGE, content_type=PDF)
    response = client.post(f"/portal/vorgaenge/{case.pk}/dokumente/", {"file": upload, "title": "X"}, follow=True)
    assert response.status_code == 200
    assert "der Inhalt dieser Datei ist keines davon" in response.content.decode()
    assert _state(case, media) == before


def test_the_portal_accepts_a_real_pdf_and_stores_the_detected_type(case, users, pdf_bytes):
    client = Client()
    client.force_login(users["pm.mkk"])
    upload = SimpleUploadedFile("protokoll.pdf", pdf_bytes, content_type=PDF)
    response = client.post(f"/portal/vorgaenge/{case.pk}/dokumente/", {"file": upload, "title": "P"}, follow=True)
    assert "Das Dokument wurde hochgeladen." in response.content.decode()
    assert CaseDocument.objects.get(case=case, title="P").content_type == PDF


# --- funding application documents -----------------------------------------------------------------------------
def test_a_funding_document_is_checked_by_its_content_too(users, media, pdf_bytes):
    application = Application.objects.get(title="OZG-Zentrum: Prozessdesigner (KIKZ)")
    officer = users["foerderung.mkk"]
    arguments = dict(
        application=application, by=officer, kind=ApplicationDocument.Kind.AGREEMENT, dated=dt.date.today()
    )
    before = (ApplicationDocument.objects.count(), AuditEntry.objects.count(), _files(media))
    with pytest.raises(ValidationError, match="keines davon"):
        application_document_add(
            **arguments, title="Vereinbarung", file=SimpleUploadedFile("v.pdf", HTML_PAGE, content_type=PDF)
        )
    assert (ApplicationDocument.objects.count(), AuditEntry.objects.count(), _files(media)) == before
    document = application_document_add(
        **arguments, title="Vereinbarung", file=SimpleUploadedFile("v.pdf", pdf_bytes, content_type=PDF)
    )
    assert document.file.read() == pdf_bytes


# --- the screening questionnaire (XLSX import) ------------------------------------------------------------------
@pytest.mark.parametrize("make", [plain_zip_bytes, docx_bytes, lambda: HTML_PAGE], ids=["zip", "docx", "html"])
def test_the_questionnaire_import_accepts_only_an_xlsx_by_its_content(users, make):
    mkk_round = ScreeningRound.objects.get(county__slug="mkk", name="MKK 2023")
    upload = SimpleUploadedFile("fragebogen.xlsx", make(), content_type=XLSX)
    before = AuditEntry.objects.count()
    with pytest.raises(QuestionnaireInvalid, match="keine gültige XLSX-Arbeitsmappe"):
        declaration_import(screening_round=mkk_round, file=upload, by=users["sb.ronneburg"])
    assert AuditEntry.objects.count() == before


def test_the_questionnaire_import_refuses_an_oversized_file(users, settings):
    mkk_round = ScreeningRound.objects.get(county__slug="mkk", name="MKK 2023")
    content = xlsx_bytes()
    settings.DOCUMENT_MAX_BYTES = len(content) - 1
    with pytest.raises(QuestionnaireInvalid, match="zu groß"):
        declaration_import(
            screening_round=mkk_round,
            file=SimpleUploadedFile("fragebogen.xlsx", content, content_type=XLSX),
            by=users["sb.ronneburg"],
        )


# --- the API ---------------------------------------------------------------------------------------------------
def test_no_task_form_and_so_no_api_endpoint_accepts_a_file():
    """The API completes tasks with their forms; a file field added to one must go through upload_check."""
    from workflows.case import CaseFlow
    from workflows.funding import FundingFlow
    from workflows.nodes import BusinessTask
    from workflows.procurement import ProcurementFlow

    forms_seen = 0
    for flow_class in (CaseFlow, FundingFlow, ProcurementFlow):
        for node in flow_class.instance.nodes():
            if isinstance(node, BusinessTask):
                forms_seen += 1
                fields = node.form_class.base_fields
                assert not [n for n, f in fields.items() if isinstance(f, forms.FileField)], node
    assert forms_seen > 10


def test_the_api_takes_files_only_where_the_content_check_runs():
    """The API's uploads are funding documents (issue 16) and case documents (issue 17); both go through upload_check
    (tests/funding/test_api_documents.py refuses an HTML page posing as a PDF, tests/api/
    test_costs_screening_documents_api.py a script posing as one). A new upload fails here until it is added on
    purpose, with its check."""
    import inspect
    import pkgutil
    from importlib import import_module

    from rest_framework import serializers

    import api

    uploads = set()
    for module_info in pkgutil.walk_packages(api.__path__, "api."):
        module = import_module(module_info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, serializers.BaseSerializer) and cls.__module__ == module.__name__:
                declared = getattr(cls, "_declared_fields", {})
                if any(isinstance(field, serializers.FileField) for field in declared.values()):
                    uploads.add(f"{module.__name__}.{name}")
    assert uploads == {
        "api.funding.DocumentSerializer",
        "api.funding.DocumentReplaceSerializer",
        "api.case_documents.CaseDocumentUploadSerializer",  # through case_document_add, which runs upload_check
    }
