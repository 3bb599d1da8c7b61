"""Role groups are keyed by the organisation's id and the role: two municipalities of the same name in two counties
(there is a Ronneburg in Hesse and one in Thuringia) never share capabilities (issue 19, item 2)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from guardian.shortcuts import assign_perm

from projects.models import County, Membership, Municipality
from projects.roles import Role, perm
from projects.selectors import has_capability
from projects.services.organisation import role_grant, role_revoke
from tests.cases.helpers import approve_all, complete, muni, new_case, order_data, resolve_all, task_of
from workflows import engine
from workflows.selectors import task_list_for_user

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def second_ronneburg():
    county = County.objects.create(slug="greiz", name="Landkreis Greiz", ags="16076")
    return Municipality.objects.create(county=county, name="Ronneburg", slug="ronneburg-greiz", ags="16076063")


@pytest.fixture
def second_mayor(second_ronneburg):
    mayor = User.objects.create_user(username="bm.ronneburg-greiz", password="x")
    role_grant(user=mayor, role=Role.MAYOR, municipality=second_ronneburg)
    return mayor


def test_mayor_of_a_homonymous_municipality_cannot_approve_or_consent_for_the_other(second_ronneburg, second_mayor):
    ronneburg = muni("ronneburg")
    assert ronneburg.name == second_ronneburg.name and ronneburg.county != second_ronneburg.county
    for capability in ("approve_project_order", "consent_statute_amendment", "decide_award", "sign_agreement"):
        assert has_capability(user=second_mayor, capability=capability, municipality=second_ronneburg)
        assert not has_capability(user=second_mayor, capability=capability, municipality=ronneburg)

    case = new_case()
    complete(case, "screening", "pm.mkk", decision="pursue", route="county_wide")
    members = [ronneburg, muni("neuberg")]
    complete(case, "development", "pm.mkk", **order_data(members, ronneburg))
    approval = task_of(case, "approve_project_order", ronneburg)
    assert not task_list_for_user(user=second_mayor).filter(pk=approval.pk).exists()
    with pytest.raises(PermissionDenied):
        engine.task_complete(task=approval, user=second_mayor, data={"decision": "approved", "reason": ""})

    approve_all(case, members)
    resolve_all(case, members)
    complete(case, "funding_decision", "pm.mkk", apply="no", supervision="approval")
    consent = task_of(case, "consent_statute_amendment", ronneburg)
    assert not task_list_for_user(user=second_mayor).filter(pk=consent.pk).exists()
    with pytest.raises(PermissionDenied):
        engine.task_complete(task=consent, user=second_mayor, data={"agreed": "yes"})
    # the real mayor still can
    complete(case, "consent_statute_amendment", "bm.ronneburg", municipality=ronneburg, agreed="yes")


def test_role_groups_do_not_depend_on_display_names(second_ronneburg, second_mayor):
    membership = Membership.objects.get(user=second_mayor)
    second_ronneburg.name = "Ronneburg (Thüringen)"
    second_ronneburg.save()
    clerk = User.objects.create_user(username="sb.ronneburg-greiz", password="x")
    role_grant(user=clerk, role=Role.MAYOR, municipality=second_ronneburg)
    # the renamed municipality's new member joins the same group, and a revoke still finds it
    assert set(second_mayor.groups.all()) == set(clerk.groups.all())
    role_revoke(membership=membership)
    second_mayor = User.objects.get(pk=second_mayor.pk)
    assert not has_capability(user=second_mayor, capability="approve_project_order", municipality=second_ronneburg)


def test_migration_splits_a_group_that_homonyms_shared(second_ronneburg):
    """The state before the fix: both mayors in one name-keyed group holding rights on both municipalities."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("projects.migrations.0007_role_groups_keyed_by_id")
    ronneburg = muni("ronneburg")
    real_mayor = User.objects.get(username="bm.ronneburg")
    real_mayor.groups.clear()
    other_mayor = User.objects.create_user(username="bm.ronneburg-greiz", password="x")
    Membership.objects.create(user=other_mayor, role=Role.MAYOR, municipality=second_ronneburg)
    shared = Group.objects.create(name="Ronneburg – Bürgermeister/in")
    assign_perm(
        perm("approve_project_order"), shared, Municipality.objects.filter(pk__in=[ronneburg.pk, second_ronneburg.pk])
    )
    shared.user_set.add(real_mayor, other_mayor)
    assert has_capability(user=other_mayor, capability="approve_project_order", municipality=ronneburg)

    migration.rekey_role_groups(apps, None)

    assert not Group.objects.filter(name="Ronneburg – Bürgermeister/in").exists()
    real_mayor = User.objects.get(pk=real_mayor.pk)
    other_mayor = User.objects.get(pk=other_mayor.pk)
    assert has_capability(user=real_mayor, capability="approve_project_order", municipality=ronneburg)
    assert has_capability(user=other_mayor, capability="approve_project_order", municipality=second_ronneburg)
    assert not has_capability(user=other_mayor, capability="approve_project_order", municipality=ronneburg)
    assert not has_capability(user=real_mayor, capability="approve_project_order", municipality=second_ronneburg)
    assert set(other_mayor.groups.values_list("name", flat=True)) == {f"municipality:{second_ronneburg.pk}:mayor"}
