"""Which tasks a user may see and act on. Index-backed, constant number of queries per page."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Min, Q, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.http import Http404
from guardian.models import GroupObjectPermission, UserObjectPermission
from viewflow.workflow import STATUS
from viewflow.workflow.models import Task

from projects.models import Case, Municipality
from projects.selectors import case_list_for_user
from workflows.prepared import PreparedQuery


def _capability_pairs_query(user_id: int, content_type_id: int):
    by_group = GroupObjectPermission.objects.filter(group__user=user_id, content_type=content_type_id)
    personal = UserObjectPermission.objects.filter(user=user_id, content_type=content_type_id)
    fields = ("permission__codename", "object_pk")
    return by_group.values_list(*fields).union(personal.values_list(*fields), all=True)


# compiled once per connection: every request that checks a capability runs it (issue 21)
_CAPABILITY_PAIRS = PreparedQuery(_capability_pairs_query, "user_id", "content_type_id")


def capability_pairs_of(*, user: Any) -> dict[str, set[str]]:
    """{'projects.approve_project_order': {'12', '13'}, ...}: the user's capabilities by municipality id.

    One query (group and personal guardian rows together), cached on the user object for the request.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return {}
    cached = getattr(user, "_ikz_capability_pairs", None)
    if cached is not None:
        return cached
    ct = ContentType.objects.get_for_model(Municipality)
    _compiler, rows = _CAPABILITY_PAIRS.rows(user_id=user.pk, content_type_id=ct.pk)
    pairs: dict[str, set[str]] = defaultdict(set)
    for codename, object_pk in rows:
        pairs[codename].add(object_pk)  # object_pk is a text column
    user._ikz_capability_pairs = {f"projects.{codename}": object_pks for codename, object_pks in pairs.items()}
    return user._ikz_capability_pairs


# Capabilities held on the same municipalities are asked in one condition when they are few (see claimable_condition);
# measured for a county's DKZ (16 municipalities, 8 capabilities): 2 ms less Python per request, 0.7 ms more in
# PostgreSQL.
MERGE_UP_TO_MUNICIPALITIES = 16


def claimable_condition(*, user: Any) -> Q:
    """Open tasks whose capability the user holds on the task's municipality (never a global grant).

    The municipalities go as one array parameter (``any_of``, workflows/lookups.py): a user with the eight task
    capabilities on 421 municipalities gives eight parameters of 421 values instead of 3,368 ``IN`` parameters.
    Capabilities held on the same few municipalities (a clerk's eight on the own municipality, a DKZ's on its county)
    are one condition, ``owner_permission = ANY(...) AND owner_permission_obj_pk = ANY(...)``: fewer conditions to
    build and compile per request. Not for many municipalities: with two arrays in the index condition PostgreSQL 15
    descends the inbox index once per combination (3,368 times instead of 421 for the user above).
    """
    ct = ContentType.objects.get_for_model(Municipality)
    merged: dict[frozenset[str], list[str]] = defaultdict(list)
    separate: list[tuple[str, set[str]]] = []
    for permission, object_pks in sorted(capability_pairs_of(user=user).items()):
        if len(object_pks) <= MERGE_UP_TO_MUNICIPALITIES:
            merged[frozenset(object_pks)].append(permission)
        else:
            separate.append((permission, object_pks))
    condition = Q(pk__in=[])
    for pks, permissions in sorted(merged.items(), key=lambda group: group[1]):
        condition |= Q(owner_permission__any_of=permissions, owner_permission_obj_pk__any_of=pks)
    for permission, object_pks in separate:
        condition |= Q(owner_permission=permission, owner_permission_obj_pk__any_of=object_pks)
    return Q(status=STATUS.NEW, owner_permission_content_type=ct) & condition


def task_list_for_user(*, user: Any) -> QuerySet[Task]:
    """The user's actionable tasks: assigned to them, or open and claimable by them."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Task.objects.none()
    return (
        Task.objects.filter(flow_task_type="HUMAN")
        .filter(Q(owner=user, status=STATUS.ASSIGNED) | claimable_condition(user=user))
        .select_related("process", "owner")
        .order_by("-created", "-pk")
    )


def task_count_for_user(*, user: Any) -> int:
    """The number of the user's actionable tasks (task_list_for_user); one query, kept on the user object for the
    request, so that the page and its menu badge count them once."""
    cached = getattr(user, "_ikz_task_count", None)
    if cached is None:
        cached = task_list_for_user(user=user).order_by().count()
        task_count_known(user=user, count=cached)
    return cached


def task_count_known(*, user: Any, count: int) -> None:
    """Keep a count of the user's whole task list that a page computed anyway (the inbox's unfiltered paginator)."""
    user._ikz_task_count = count


def task_count_cached(*, user: Any) -> int | None:
    """The count of the user's whole task list if this request computed it already, else None (no query)."""
    return getattr(user, "_ikz_task_count", None)


def task_for_user(*, user: Any, pk: Any) -> Task:
    """A task the user may see (actionable, or of a case the user may see); else Http404."""
    try:
        pk = int(pk)
    except (TypeError, ValueError) as exc:
        raise Http404("Aufgabe nicht gefunden") from exc
    task = task_list_for_user(user=user).filter(pk=pk).first()
    if task is not None:
        return task
    task = Task.objects.select_related("process", "owner").filter(pk=pk).first()
    if task is None:
        raise Http404("Aufgabe nicht gefunden")
    ct = ContentType.objects.get_for_model(Case)
    process = task.process
    if (
        process.artifact_content_type_id == ct.pk
        and case_list_for_user(user=user).filter(pk=process.artifact_object_id).exists()
    ):
        return task
    raise Http404("Aufgabe nicht gefunden")


def tasks_of_case(*, case: Case) -> QuerySet[Task]:
    ct = ContentType.objects.get_for_model(Case)
    return (
        Task.objects.filter(process__artifact_content_type=ct, process__artifact_object_id=case.pk)
        .select_related("owner")
        .order_by("pk")
    )


def next_due_by_case(*, cases) -> dict[int, dt.date | None]:
    """{case id: the earliest due date of its open tasks, or the case's own next deadline if earlier}; one query."""
    cases = list(cases)
    ct = ContentType.objects.get_for_model(Case)
    rows = (
        Task.objects.filter(
            process__artifact_content_type=ct,
            process__artifact_object_id__in=[case.pk for case in cases],
            status__in=(STATUS.NEW, STATUS.ASSIGNED),
        )
        .annotate(due_text=Cast(KT("data__due"), output_field=CharField(max_length=10)))
        .filter(due_text__isnull=False)
        .values("process__artifact_object_id")
        .annotate(first=Min("due_text"))
    )
    task_due = {int(row["process__artifact_object_id"]): dt.date.fromisoformat(row["first"]) for row in rows}
    result: dict[int, dt.date | None] = {}
    for case in cases:
        dates = [d for d in (task_due.get(case.pk), case.next_due) if d]
        result[case.pk] = min(dates) if dates else None
    return result


def process_of_case(*, case: Case):
    from viewflow.workflow.models import Process

    ct = ContentType.objects.get_for_model(Case)
    return Process.objects.filter(artifact_content_type=ct, artifact_object_id=case.pk).order_by("-pk").first()
