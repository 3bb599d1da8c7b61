"""Hostile input: random, huge, wrongly typed, unicode and HTML/script values against the case services, the task
completion form and the case form (hypothesis); uploads limited by size and type with sanitised file names.
Expected: no 5xx, no partial write, German error messages."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from viewflow.workflow import STATUS

from projects.models import AuditEntry, Case, CaseDocument, County
from projects.services.cases import case_capture, case_document_add
from tests.cases.helpers import new_case, open_tasks

pytestmark = pytest.mark.django_db

HOSTILE_TEXT = st.one_of(
    st.text(max_size=50),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=300),
    st.sampled_from(
        [
            "<script>alert(1)</script>",
            '"><img src=x onerror=alert(1)>',
            "'; DROP TABLE projects_case; --",
            "\u202e\u0000\ufeff",
            "x" * 100_000,
            "🙂" * 5000,
            "../../etc/passwd",
            "{{ 7*7 }}",
        ]
    ),
)
ANY_VALUE = st.one_of(HOSTILE_TEXT, st.integers().map(str), st.just(""), st.dates().map(str))
GERMAN = ("Dieses Feld", "gültig", "Bitte", "Wählen Sie", "erforderlich", "höchstens", "Zeichen", "darf", "ist zu")
ENGLISH = ("This field is required", "Enter a valid", "Select a valid", "Ensure this value")
FUZZ = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


def _rolled_back(fn):
    """Run one example in a savepoint that is rolled back, so that examples do not see each other's writes."""
    with transaction.atomic():
        result = fn()
        transaction.set_rollback(True)
    return result


@pytest.fixture
def screening_task(users):
    case = new_case(title="Fuzz-Vorgang")
    return case, open_tasks(case, "screening")[0]


@FUZZ
@given(
    decision=st.one_of(st.sampled_from(["pursue", "park", "reject"]), ANY_VALUE),
    route=ANY_VALUE,
    agreement_form=ANY_VALUE,
    recheck_on=ANY_VALUE,
    reason=HOSTILE_TEXT,
)
def test_task_completion_form_never_fails_with_5xx_or_writes_half(
    screening_task, users, decision, route, agreement_form, recheck_on, reason
):
    case, task = screening_task
    client = Client(raise_request_exception=False)
    client.force_login(users["pm.mkk"])
    data = {
        "decision": decision,
        "route": route,
        "agreement_form": agreement_form,
        "recheck_on": recheck_on,
        "reason": reason,
    }

    def attempt():
        entries = AuditEntry.objects.count()
        stage = Case.objects.get(pk=case.pk).stage
        response = client.post(f"/portal/aufgaben/{task.pk}/", data)
        assert response.status_code < 500, response.status_code
        task.refresh_from_db()
        if response.status_code != 302 or task.status not in (STATUS.DONE,):
            # refused: nothing was written, the task is still open, the answer is German
            assert task.status in (STATUS.NEW, STATUS.ASSIGNED)
            assert Case.objects.get(pk=case.pk).stage == stage
            assert AuditEntry.objects.count() == entries
            if response.status_code == 400:
                text = response.content.decode()
                assert any(word in text for word in GERMAN), text[:500]
                assert not any(word in text for word in ENGLISH)
            assert "<script>alert(1)</script>" not in response.content.decode()
        return response.status_code

    _rolled_back(attempt)


@FUZZ
@given(title=HOSTILE_TEXT, task_area=HOSTILE_TEXT, description=HOSTILE_TEXT)
def test_case_capture_service_accepts_or_refuses_in_german_and_writes_nothing_when_refused(
    users, title, task_area, description
):
    county = County.objects.get(slug="mkk")

    def attempt():
        before = (Case.objects.count(), AuditEntry.objects.count())
        try:
            with transaction.atomic():
                case = case_capture(
                    county=county, title=title, by=users["pm.mkk"], task_area=task_area, description=description
                )
        except ValidationError as exc:
            assert (Case.objects.count(), AuditEntry.objects.count()) == before
            text = " ".join(exc.messages)
            assert text and not any(word in text for word in ENGLISH), text
            return
        case.refresh_from_db()
        assert case.title == title.strip() or case.title == title

    _rolled_back(attempt)


@FUZZ
@given(
    fields=st.dictionaries(
        st.sampled_from(
            ["title", "task_area", "description", "route", "county", "proposing_municipality", "csrfmiddlewaretoken"]
        ),
        ANY_VALUE,
    )
)
def test_case_form_never_fails_with_5xx(users, fields):
    client = Client(raise_request_exception=False)
    client.force_login(users["pm.mkk"])

    def attempt():
        before = Case.objects.count()
        response = client.post("/portal/vorgaenge/neu/", fields)
        assert response.status_code < 500
        if response.status_code != 302:
            assert Case.objects.count() == before
            assert "<script>alert(1)</script>" not in response.content.decode()

    _rolled_back(attempt)


# --- uploads -------------------------------------------------------------------------------------------------------
@pytest.fixture
def case(users):
    return new_case(title="Upload-Vorgang")


def test_upload_larger_than_the_limit_is_refused_in_german(case, users, settings):
    settings.DOCUMENT_MAX_BYTES = 1024
    upload = SimpleUploadedFile("gross.pdf", b"%PDF" + b"0" * 2048, content_type="application/pdf")
    with pytest.raises(ValidationError, match="zu groß"):
        case_document_add(case=case, upload=upload, title="", by=users["pm.mkk"])
    assert not CaseDocument.objects.filter(case=case).exists()


@pytest.mark.parametrize(
    "name, content_type",
    [
        ("seite.html", "text/html"),
        ("programm.exe", "application/x-msdownload"),
        ("bild.svg", "image/svg+xml"),
        ("skript.js", "application/javascript"),
        ("leer", ""),
    ],
)
def test_upload_of_a_non_document_type_is_refused_in_german(case, users, name, content_type):
    upload = SimpleUploadedFile(name, b"<script>alert(1)</script>", content_type=content_type)
    with pytest.raises(ValidationError, match="Nur Dokumente"):
        case_document_add(case=case, upload=upload, title="", by=users["pm.mkk"])
    assert not CaseDocument.objects.filter(case=case).exists()


@pytest.mark.parametrize(
    "hostile",
    [
        "../../etc/passwd.pdf",
        "..\\..\\boot.ini.pdf",
        "<script>alert(1)</script>.pdf",
        "\u202eFDP.exe.pdf",
        "/absolut/pfad.pdf",
        "a" * 500 + ".pdf",
        "Straße Ölmühle.pdf",
        ".pdf",
    ],
)
def test_upload_file_names_are_sanitised(case, users, hostile):
    upload = SimpleUploadedFile(hostile, b"%PDF-1.4", content_type="application/pdf")
    document = case_document_add(case=case, upload=upload, title="", by=users["pm.mkk"])
    stored = document.file.name
    assert stored.startswith(f"cases/{case.pk}/")
    name = stored.rsplit("/", 1)[1]
    assert ".." not in name.replace(".pdf", "") or name.count("..") == 0
    assert "/" not in name and "\\" not in name and "<" not in name and "\u202e" not in name
    assert name.endswith(".pdf") and len(name) <= 110


def test_documents_are_served_as_attachments_only_to_those_who_may_see_the_case(case, users):
    upload = SimpleUploadedFile("protokoll.pdf", b"%PDF-1.4 Inhalt", content_type="application/pdf")
    document = case_document_add(case=case, upload=upload, title="Protokoll", by=users["pm.mkk"])
    url = f"/portal/vorgaenge/{case.pk}/dokumente/{document.pk}/"
    owner = Client()
    owner.force_login(users["pm.mkk"])
    response = owner.get(url)
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in response.headers.get("Content-Disposition", "")
    for stranger in ("pm.gg", "bm.gruendau"):
        client = Client()
        client.force_login(users[stranger])
        assert client.get(url).status_code == 404, stranger
    assert Client().get(url).status_code == 302
