"""The profile page (issue 15): each person sets their own absence and substitute; the substitute must hold the role."""

from __future__ import annotations

import datetime as dt

import pytest

from projects.models import AuditEntry, Membership
from projects.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_clerk(django_user_model):
    """The demo's second clerk of Ronneburg (also its second person for opening offers)."""
    clerk = Membership.objects.get(user__username="sb.ronneburg", role=Role.CLERK)
    colleague = django_user_model.objects.get(username="sb2.ronneburg")
    assert Membership.objects.filter(user=colleague, role=Role.CLERK, municipality=clerk.municipality).exists()
    return clerk, colleague


def test_the_profile_page_lists_the_roles_and_links_to_notifications_and_absence(login):
    membership = Membership.objects.get(user__username="sb.ronneburg")
    html = login("sb.ronneburg").get("/portal/profil/").content.decode()
    assert "Sachbearbeiter/in" in html and "Ronneburg" in html
    assert f'href="/portal/profil/abwesenheit/{membership.pk}/"' in html
    assert 'href="/portal/benachrichtigungen/einstellungen/"' in html


def test_a_person_sets_an_absence_with_a_colleague_of_the_same_role_and_it_is_audited(
    login, second_clerk, django_user_model
):
    clerk, colleague = second_clerk
    mayor = django_user_model.objects.get(username="bm.ronneburg")
    client = login("sb.ronneburg")
    form = client.get(f"/portal/profil/abwesenheit/{clerk.pk}/").content.decode()
    assert f'<option value="{colleague.pk}">{colleague.get_full_name() or colleague.username}</option>' in form
    assert f'<option value="{mayor.pk}"' not in form
    response = client.post(
        f"/portal/profil/abwesenheit/{clerk.pk}/",
        {"absent_from": "2026-12-21", "absent_until": "2027-01-04", "substitute": colleague.pk},
    )
    assert response.status_code == 302
    clerk.refresh_from_db()
    assert (clerk.absent_from, clerk.absent_until, clerk.substitute) == (
        dt.date(2026, 12, 21),
        dt.date(2027, 1, 4),
        colleague,
    )
    assert AuditEntry.objects.filter(action="membership.absence_set", subject_id=str(clerk.pk)).exists()


def test_a_substitute_without_the_role_is_refused_with_a_german_message_and_nothing_changes(login, django_user_model):
    clerk = Membership.objects.get(user__username="sb.ronneburg", role=Role.CLERK)
    mayor = django_user_model.objects.get(username="bm.ronneburg")
    response = login("sb.ronneburg").post(
        f"/portal/profil/abwesenheit/{clerk.pk}/",
        {"absent_from": "2026-12-21", "absent_until": "2027-01-04", "substitute": mayor.pk},
    )
    assert response.status_code == 400
    assert "Bitte prüfen Sie Ihre Eingaben" in response.content.decode()
    clerk.refresh_from_db()
    assert clerk.absent_from is None and clerk.substitute_id != mayor.pk


def test_an_end_before_the_start_is_refused(login, second_clerk):
    clerk, colleague = second_clerk
    response = login("sb.ronneburg").post(
        f"/portal/profil/abwesenheit/{clerk.pk}/",
        {"absent_from": "2027-01-04", "absent_until": "2026-12-21", "substitute": colleague.pk},
    )
    assert response.status_code == 400
    assert "Das Ende der Abwesenheit liegt vor ihrem Beginn." in response.content.decode()
    clerk.refresh_from_db()
    assert clerk.absent_from is None


def test_another_persons_absence_cannot_be_opened(login):
    mayor = Membership.objects.get(user__username="bm.ronneburg")
    assert login("sb.ronneburg").get(f"/portal/profil/abwesenheit/{mayor.pk}/").status_code == 404
