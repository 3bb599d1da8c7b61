"""Who may comment on a case and add documents (issue 19, item 10; rule in docs/architecture.md): the DKZ staff
working on cases and the municipalities taking part; the board, the supervisory authority and a member municipality
that sees a county-wide case only to consent to the statute read only. A refusal is a 403 and changes nothing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from projects.models import Case, CaseComment, CaseDocument, CaseParticipant
from tests.cases.helpers import muni, new_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def county_wide_case(users):
    """A county-wide case of Main-Kinzig in which Ronneburg takes part, at the supervisory review (so that the
    supervisory authority and every member municipality see it)."""
    case = new_case(title="Gemeinsame Kasse")
    CaseParticipant.objects.create(case=case, municipality=muni("ronneburg"))
    Case.objects.filter(pk=case.pk).update(route=Case.Route.COUNTY_WIDE, stage="supervision")
    return case


def _contribute(users, username: str, case: Case) -> tuple[int, int]:
    client = Client()
    client.force_login(users[username])
    assert client.get(f"/portal/vorgaenge/{case.pk}/").status_code == 200  # everyone here sees the case
    comment = client.post(f"/portal/vorgaenge/{case.pk}/kommentare/", {"text": f"Hinweis von {username}"})
    upload = SimpleUploadedFile("notiz.txt", b"Notiz", content_type="text/plain")
    document = client.post(f"/portal/vorgaenge/{case.pk}/dokumente/", {"title": "Notiz", "file": upload})
    return comment.status_code, document.status_code


@pytest.mark.parametrize("username", ["pm.mkk", "foerderung.mkk", "bm.ronneburg", "sb.ronneburg"])
def test_dkz_staff_and_participating_municipalities_comment_and_upload(users, county_wide_case, username):
    assert _contribute(users, username, county_wide_case) == (302, 302)
    assert CaseComment.objects.filter(case=county_wide_case, author=users[username]).count() == 1
    assert CaseDocument.objects.filter(case=county_wide_case, uploaded_by=users[username]).count() == 1


@pytest.mark.parametrize("username", ["vorstand.mkk", "aufsicht.rpda", "sb.neuberg", "bm.neuberg"])
def test_board_supervisory_authority_and_non_participants_read_only(users, county_wide_case, username):
    assert _contribute(users, username, county_wide_case) == (403, 403)
    assert not CaseComment.objects.filter(case=county_wide_case).exists()
    assert not CaseDocument.objects.filter(case=county_wide_case).exists()


@pytest.mark.parametrize("username", ["vorstand.mkk", "aufsicht.rpda", "bm.neuberg"])
def test_the_services_refuse_read_only_viewers_whatever_surface_calls_them(users, county_wide_case, username):
    """The rule sits in the services every surface calls (pages, a future API route, a job), not only in the page."""
    from django.core.exceptions import PermissionDenied

    from projects.services.cases import case_comment_add, case_document_add

    with pytest.raises(PermissionDenied):
        case_comment_add(case=county_wide_case, text="Hinweis", by=users[username])
    with pytest.raises(PermissionDenied):
        upload = SimpleUploadedFile("notiz.txt", b"Notiz", content_type="text/plain")
        case_document_add(case=county_wide_case, upload=upload, title="Notiz", by=users[username])
    assert not CaseComment.objects.filter(case=county_wide_case).exists()
    assert not CaseDocument.objects.filter(case=county_wide_case).exists()
