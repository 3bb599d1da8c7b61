"""A membership in the Django admin is a role with its capabilities (issue 19, admin finding): granting it in the admin
puts the person into the role's guardian group, deleting it takes the capabilities away again, both with an audit
entry naming the administrator; an existing membership is not edited in place (revoke and grant instead)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from projects.models import AuditEntry, Institution, Membership
from projects.roles import Role
from projects.selectors import has_capability
from tests.cases.helpers import muni

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def admin_client():
    admin_user = User.objects.create_superuser("admin.test", "admin@example.org", "x")
    client = Client()
    client.force_login(admin_user)
    client.admin_user = admin_user
    return client


@pytest.fixture
def newcomer():
    return User.objects.create_user(username="neu.ronneburg", password="x")


def _fresh(user):
    return User.objects.get(pk=user.pk)  # guardian caches permissions on the instance


def _grant_in_admin(client, user, **organisation):
    data = {"user": user.pk, "role": Role.MAYOR, "municipality": "", "institution": ""}
    data.update({key: value.pk for key, value in organisation.items()})
    return client.post("/admin/projects/membership/add/", data)


def test_a_membership_granted_in_the_admin_gives_the_capabilities_with_an_audit_entry(admin_client, newcomer):
    ronneburg = muni("ronneburg")
    assert not has_capability(user=newcomer, capability="approve_project_order", municipality=ronneburg)
    response = _grant_in_admin(admin_client, newcomer, municipality=ronneburg)
    assert response.status_code == 302, response.content.decode()[:2000]
    membership = Membership.objects.get(user=newcomer)
    assert has_capability(user=_fresh(newcomer), capability="approve_project_order", municipality=ronneburg)
    entry = AuditEntry.objects.get(action="role.granted", subject_id=str(membership.pk))
    assert entry.actor == admin_client.admin_user


def test_a_membership_deleted_in_the_admin_takes_the_capabilities_away_with_an_audit_entry(admin_client, users):
    mayor = users["bm.ronneburg"]
    ronneburg = muni("ronneburg")
    membership = Membership.objects.get(user=mayor, role=Role.MAYOR, municipality=ronneburg)
    assert has_capability(user=mayor, capability="approve_project_order", municipality=ronneburg)
    response = admin_client.post(f"/admin/projects/membership/{membership.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert not has_capability(user=_fresh(mayor), capability="approve_project_order", municipality=ronneburg)
    entry = AuditEntry.objects.get(action="role.revoked", subject_id=str(membership.pk))
    assert entry.actor == admin_client.admin_user


def test_memberships_deleted_by_the_admin_bulk_action_lose_their_capabilities(admin_client, users):
    mayor = users["bm.ronneburg"]
    ronneburg = muni("ronneburg")
    membership = Membership.objects.get(user=mayor, role=Role.MAYOR, municipality=ronneburg)
    response = admin_client.post(
        "/admin/projects/membership/",
        {"action": "delete_selected", "_selected_action": [membership.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not has_capability(user=_fresh(mayor), capability="approve_project_order", municipality=ronneburg)
    assert AuditEntry.objects.filter(action="role.revoked", subject_id=str(membership.pk)).exists()


def test_an_existing_membership_cannot_be_moved_to_another_municipality_in_the_admin(admin_client, users):
    mayor = users["bm.ronneburg"]
    ronneburg, neuberg = muni("ronneburg"), muni("neuberg")
    membership = Membership.objects.get(user=mayor, role=Role.MAYOR, municipality=ronneburg)
    url = f"/admin/projects/membership/{membership.pk}/change/"
    assert admin_client.get(url).status_code == 200  # shown, read-only
    response = admin_client.post(url, {"user": mayor.pk, "role": Role.MAYOR, "municipality": neuberg.pk})
    assert response.status_code == 403
    assert Membership.objects.get(pk=membership.pk).municipality == ronneburg
    assert not has_capability(user=_fresh(mayor), capability="approve_project_order", municipality=neuberg)


def test_a_municipal_role_for_an_institution_is_refused_in_german_and_nothing_is_granted(admin_client, newcomer):
    dkz = Institution.objects.filter(kind=Institution.Kind.DKZ).order_by("pk").first()
    audit_before = AuditEntry.objects.count()
    response = _grant_in_admin(admin_client, newcomer, institution=dkz)
    assert response.status_code == 200
    assert "Eine kommunale Rolle braucht eine Kommune." in response.content.decode()
    assert not Membership.objects.filter(user=newcomer).exists()
    assert not _fresh(newcomer).groups.exists()
    assert AuditEntry.objects.count() == audit_before
