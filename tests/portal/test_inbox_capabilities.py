"""The inbox of a user with capabilities on many municipalities lists exactly the tasks the user may claim.

The capability condition is sent as arrays on PostgreSQL and as ``IN`` lists on SQLite (workflows/lookups.py), with
capabilities on the same few municipalities merged into one condition (workflows.selectors.claimable_condition);
every form must give the same tasks as guardian's own answer for every task.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from guardian.core import ObjectPermissionChecker
from guardian.models import GroupObjectPermission, UserObjectPermission
from viewflow.workflow import STATUS
from viewflow.workflow.models import Task

from projects.models import County, Municipality
from tests.portal.conftest import make_open_tasks
from workflows.case import CaseFlow
from workflows.selectors import task_list_for_user

pytestmark = pytest.mark.django_db

CAPABILITIES = ["approve_project_order", "record_council_resolution", "sign_agreement"]


def _municipalities(count: int) -> list[Municipality]:
    county = County.objects.create(slug="viele", name="Kreis mit vielen Kommunen", ags="99999")
    Municipality.objects.bulk_create(
        Municipality(county=county, name=f"Gemeinde {i}", slug=f"viele-{i}", ags=f"99{i:06d}") for i in range(count)
    )
    return list(Municipality.objects.filter(county=county).order_by("pk"))


def _grant(user, municipalities, ct):
    """Through a group: every capability on most municipalities, one capability on fewer; personal rows besides."""
    perms = {p.codename: p for p in Permission.objects.filter(content_type=ct, codename__in=CAPABILITIES)}
    group = Group.objects.create(name="Viele Kommunen")
    user.groups.add(group)
    rows = [
        GroupObjectPermission(group=group, permission=perms[codename], content_type=ct, object_pk=str(m.pk))
        for i, m in enumerate(municipalities)
        for codename in CAPABILITIES
        if i % 10 != 0 and (codename != "sign_agreement" or i % 3 == 0)
    ]
    GroupObjectPermission.objects.bulk_create(rows)
    UserObjectPermission.objects.bulk_create(
        UserObjectPermission(user=user, permission=perms["sign_agreement"], content_type=ct, object_pk=str(m.pk))
        for m in municipalities[1:40:2]
    )


def _expected(user, ct) -> set[int]:
    checker = ObjectPermissionChecker(user)
    municipalities = Municipality.objects.in_bulk()
    expected = set()
    for task in Task.objects.filter(flow_task_type="HUMAN"):
        if task.owner_id == user.pk and task.status == STATUS.ASSIGNED:
            expected.add(task.pk)
        elif task.status == STATUS.NEW and task.owner_permission_content_type_id == ct.pk:
            municipality = municipalities.get(int(task.owner_permission_obj_pk or 0))
            codename = (task.owner_permission or "").removeprefix("projects.")
            if municipality is not None and codename in checker.get_perms(municipality):
                expected.add(task.pk)
    return expected


@pytest.mark.parametrize("count", [430, 12])
def test_the_inbox_of_a_user_with_many_municipalities_holds_exactly_the_claimable_tasks(
    users, django_user_model, count
):
    ct = ContentType.objects.get_for_model(Municipality)
    municipalities = _municipalities(count)
    user = django_user_model.objects.create(username="viele.kommunen")
    _grant(user, municipalities, ct)
    for i, municipality in enumerate(municipalities[:: max(1, count // 60)]):
        make_open_tasks(1, municipality=municipality, permission="projects.approve_project_order")
        make_open_tasks(
            1,
            node=CaseFlow.record_resolution,
            municipality=municipality,
            permission="projects.record_council_resolution",
        )
        make_open_tasks(
            1, node=CaseFlow.sign_agreement, municipality=municipality, permission="projects.sign_agreement"
        )
        if i % 4 == 0:  # a capability the user holds nowhere, and a task someone else has taken
            make_open_tasks(1, municipality=municipality, permission="projects.consent_statute_amendment")
            (taken,) = make_open_tasks(1, municipality=municipality, permission="projects.approve_project_order")
            Task.objects.filter(pk=taken.pk).update(status=STATUS.ASSIGNED, owner=users["bm.ronneburg"])

    expected = _expected(users["viele.kommunen"], ct)
    actual = set(task_list_for_user(user=users["viele.kommunen"]).values_list("pk", flat=True))

    assert len(expected) > 10
    held = {codename for codename in CAPABILITIES}
    assert {t.owner_permission.removeprefix("projects.") for t in Task.objects.filter(pk__in=expected)} == held
    assert actual == expected


@pytest.mark.parametrize(
    "values",
    [
        ["12"],
        ["12", "13", "12"],
        ['a"b', "c\\d", "e,f", "{g}", "NULL", "", " x "],
        [12, "13"],
        [],
    ],
)
def test_any_of_matches_the_same_rows_as_in(values):
    ct = ContentType.objects.get_for_model(Municipality)
    process = Task.objects.filter(process__isnull=False).first().process
    made = Task.objects.bulk_create(
        Task(
            process=process,
            flow_task=CaseFlow.approve_project_order,
            flow_task_type="HUMAN",
            status=STATUS.NEW,
            owner_permission_content_type=ct,
            owner_permission_obj_pk=obj_pk,
        )
        for obj_pk in ["12", "13", "14", 'a"b', "c\\d", "e,f", "{g}", "NULL", "", " x ", "a", '"']
    )
    mine = Task.objects.filter(pk__in=[t.pk for t in made])

    in_list = set(mine.filter(owner_permission_obj_pk__in=values).values_list("owner_permission_obj_pk", flat=True))
    any_of = set(mine.filter(owner_permission_obj_pk__any_of=values).values_list("owner_permission_obj_pk", flat=True))

    assert any_of == in_list == {str(v) for v in values}
