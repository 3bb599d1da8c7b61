"""Tasks: the user's work list, one task, and assign / unassign / complete through the task engine.

Visibility comes from ``workflows.selectors`` (``task_list_for_user``, ``task_for_user``), every action from
``workflows.engine`` (the same code path as the portal's task form). A page of the list costs a constant number of
queries: owners, permission objects, subjects and the user's guardian rows are fetched in bulk for the page.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.contrib.contenttypes.models import ContentType
from django.core.validators import RegexValidator
from django.http import Http404, QueryDict
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from guardian.core import ObjectPermissionChecker
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView
from viewflow.workflow import STATUS
from viewflow.workflow.models import Task

from api.openapi import errors, id_parameter
from api.pagination import Pagination
from api.parsers import UPLOAD_PARSERS
from projects.models import Municipality
from workflows import engine
from workflows.nodes import BusinessTask
from workflows.selectors import task_for_user, task_list_for_user

ACTIONS = ["assign", "unassign", "complete"]


# --- output shapes (also the OpenAPI documentation) ---------------------------------------------------------------
class ChoiceSerializer(serializers.Serializer):
    value = serializers.JSONField()
    label = serializers.CharField()


class FormFieldSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    type = serializers.ChoiceField(
        choices=["string", "text", "integer", "decimal", "date", "boolean", "choice", "reference", "file"]
    )
    many = serializers.BooleanField(help_text="Eine Liste von Werten (z. B. mehrere Kommunen)")
    required = serializers.BooleanField()
    choices = ChoiceSerializer(
        many=True,
        allow_null=True,
        help_text="Erlaubte Werte; bei Verweisen (type=reference) nur in der Einzelansicht der Aufgabe",
    )
    help_text = serializers.CharField(allow_blank=True)


class SubjectSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="case, procedure, application, …")
    id = serializers.IntegerField()
    label = serializers.CharField(allow_null=True)


class MunicipalityRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    ags = serializers.CharField()
    name = serializers.CharField()


class TaskSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    flow = serializers.CharField(help_text="Ablauf, z. B. case")
    node = serializers.CharField(help_text="Schritt im Ablauf, z. B. approve_project_order")
    title = serializers.CharField()
    status = serializers.CharField(help_text="new, assigned, done, canceled, …")
    subject = SubjectSerializer(allow_null=True)
    municipality = MunicipalityRefSerializer(allow_null=True, help_text="Kommune, für die die Aufgabe gilt")
    created = serializers.DateTimeField()
    due = serializers.DateField(allow_null=True)
    assignee = serializers.CharField(allow_null=True)
    actions = serializers.ListField(child=serializers.ChoiceField(choices=ACTIONS))
    form = FormFieldSerializer(many=True, help_text="Die Felder, die `complete` erwartet")


class TaskResultSerializer(serializers.Serializer):
    task = TaskSerializer(help_text="Die Aufgabe nach der Aktion")
    next_tasks = TaskSerializer(many=True, help_text="Die Aufgaben, die daraus folgten (soweit für Sie sichtbar)")


# --- describing a completion form ---------------------------------------------------------------------------------
def _field_type(field: forms.Field) -> str:
    if isinstance(field, forms.ModelChoiceField):
        return "reference"
    if isinstance(field, forms.ChoiceField):
        return "choice"
    if isinstance(field, forms.BooleanField):
        return "boolean"
    if isinstance(field, forms.DateField):
        return "date"
    if isinstance(field, forms.DecimalField):
        return "decimal"
    if isinstance(field, forms.IntegerField):
        return "integer"
    if isinstance(field, forms.FileField):
        return "file"
    if isinstance(field, forms.CharField) and isinstance(field.widget, forms.Textarea):
        return "text"
    return "string"


def _choices(field: forms.Field, with_references: bool) -> list[dict[str, Any]] | None:
    if isinstance(field, forms.ModelChoiceField):
        if not with_references:
            return None
        return [{"value": obj.pk, "label": field.label_from_instance(obj)} for obj in field.queryset]
    if isinstance(field, forms.ChoiceField):
        flat = []
        for value, label in field.choices:
            if isinstance(label, list | tuple):  # an option group
                flat.extend({"value": v, "label": str(sub)} for v, sub in label if v != "")
            elif value != "":
                flat.append({"value": value, "label": str(label)})
        return flat
    return None


def describe_form(fields: dict[str, forms.Field], *, with_references: bool = False) -> list[dict[str, Any]]:
    """The fields a completion form expects (a form's ``fields`` or its class's ``base_fields``): name, label,
    type, required, choices. References (model choices) list their choices only when asked to."""
    return [
        {
            "name": name,
            "label": str(field.label or name),
            "type": _field_type(field),
            "many": isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField),
            "required": field.required,
            "choices": _choices(field, with_references),
            "help_text": str(field.help_text or ""),
        }
        for name, field in fields.items()
    ]


# --- tasks as rows ------------------------------------------------------------------------------------------------
def flow_name(flow_class: type) -> str:
    name = flow_class.__name__
    return (name[: -len("Flow")] if name.endswith("Flow") else name).lower()


class _PrefetchedPermissions:
    """The user, with guardian's object permissions for one page fetched at once.

    The nodes' own ``can_assign`` rules decide (through ``engine.task_actions_for``); only guardian's lookups are
    batched with its ``ObjectPermissionChecker.prefetch_perms`` instead of two queries per row.
    """

    def __init__(self, user: Any, objects: list[Any]):
        self._user = user
        self._checker = ObjectPermissionChecker(user)
        if objects and user.is_active:
            self._checker.prefetch_perms(objects)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._user, name)

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        if obj is None:
            return self._user.has_perm(perm)
        return bool(self._user.is_active) and self._checker.has_perm(perm, obj)


def task_rows(tasks: list[Task], *, user: Any | None, detail: bool = False) -> list[dict[str, Any]]:
    """Tasks as API rows. ``tasks`` should come with ``process``, ``owner`` and ``owner_permission_obj`` loaded.

    Without a ``user`` (webhook payloads) the rows carry no actions and no form."""
    subjects: dict[tuple[int, int], Any] = {}
    by_type: dict[int, set[int]] = {}
    for task in tasks:
        process = task.process
        if process.artifact_content_type_id and process.artifact_object_id:
            by_type.setdefault(process.artifact_content_type_id, set()).add(process.artifact_object_id)
    for ct_id, ids in by_type.items():
        model = ContentType.objects.get_for_id(ct_id).model_class()
        if model is not None:
            for obj in model._default_manager.filter(pk__in=ids):
                subjects[(ct_id, obj.pk)] = obj

    permission_objects = [t.owner_permission_obj for t in tasks if isinstance(t.owner_permission_obj, Municipality)]
    actor = _PrefetchedPermissions(user, permission_objects) if user is not None else None

    rows = []
    for task in tasks:
        node = task.flow_task
        process = task.process
        subject = None
        if process.artifact_content_type_id and process.artifact_object_id:
            obj = subjects.get((process.artifact_content_type_id, process.artifact_object_id))
            subject = {
                "type": ContentType.objects.get_for_id(process.artifact_content_type_id).model,
                "id": process.artifact_object_id,
                "label": str(obj) if obj is not None else None,
            }
        municipality = task.owner_permission_obj if isinstance(task.owner_permission_obj, Municipality) else None
        form_fields: list[dict[str, Any]] = []
        if isinstance(node, BusinessTask) and actor is not None:
            # the list describes the form class (no queries); one task shows its form with the choices
            fields = node.form_for(task).fields if detail else node.form_class.base_fields
            form_fields = describe_form(fields, with_references=detail)
        rows.append(
            {
                "id": task.pk,
                "flow": flow_name(node.flow_class) if node is not None else "",
                "node": node.name if node is not None else "",
                "title": str(task.title or ""),
                "status": str(task.status).lower(),
                "subject": subject,
                "municipality": {"id": municipality.pk, "ags": municipality.ags, "name": municipality.name}
                if municipality is not None
                else None,
                "created": task.created,
                "due": (task.data or {}).get("due"),
                "assignee": task.owner.get_username() if task.owner_id else None,
                "actions": engine.task_actions_for(task=task, user=actor) if actor is not None else [],
                "form": form_fields,
            }
        )
    return rows


def _loaded(queryset):
    return queryset.select_related("process", "owner").prefetch_related("owner_permission_obj")


# --- filters ------------------------------------------------------------------------------------------------------
_identifier = RegexValidator(r"^[a-z][a-z0-9_]*$", _("Nur Kleinbuchstaben, Ziffern und Unterstriche."))


class TaskFilter(django_filters.FilterSet):
    flow = django_filters.CharFilter(
        method="filter_flow", validators=[_identifier], help_text="Ablauf, z. B. case", max_length=60
    )
    node = django_filters.CharFilter(
        method="filter_node", validators=[_identifier], help_text="Schritt, z. B. screening", max_length=60
    )
    municipality = django_filters.NumberFilter(
        method="filter_municipality", help_text="ID der Kommune, für die die Aufgabe gilt"
    )
    status = django_filters.ChoiceFilter(
        method="filter_status",
        choices=[("new", _("offen")), ("assigned", _("übernommen"))],
        help_text="new (offen, übernehmbar) oder assigned (Ihnen zugewiesen)",
    )

    class Meta:
        model = Task
        fields: list[str] = []

    def filter_flow(self, queryset, name, value):
        # stored references look like "workflows/case.CaseFlow.screening"
        return queryset.filter(flow_task__icontains=f".{value}flow.")

    def filter_node(self, queryset, name, value):
        return queryset.filter(flow_task__endswith=f".{value}")

    def filter_municipality(self, queryset, name, value):
        if value != int(value):
            return queryset.none()
        return queryset.filter(
            owner_permission_content_type=ContentType.objects.get_for_model(Municipality),
            owner_permission_obj_pk=str(int(value)),
        )

    def filter_status(self, queryset, name, value):
        return queryset.filter(status={"new": STATUS.NEW, "assigned": STATUS.ASSIGNED}[value])


# --- JSON in, form data out ---------------------------------------------------------------------------------------
_SCALARS = (str, int, float, bool, type(None))


def form_data(task: Task, data: Any) -> Any:
    """The JSON body as the node's form reads it: one value per field, a list only where the field takes many.

    Only the shape is checked here (a form field cannot read a nested object); the form validates the values.
    """
    if isinstance(data, QueryDict):
        return data
    if not isinstance(data, dict):
        raise serializers.ValidationError({"non_field_errors": [_("Bitte die Felder als JSON-Objekt senden.")]})
    node = task.flow_task
    fields = node.form_class.base_fields if isinstance(node, BusinessTask) else {}
    errors = {}
    for name, value in data.items():
        many = isinstance(fields.get(name), forms.MultipleChoiceField | forms.ModelMultipleChoiceField)
        if many and isinstance(value, list) and all(isinstance(v, _SCALARS) for v in value):
            continue
        if not isinstance(value, _SCALARS):
            errors[name] = [
                _("Bitte eine Liste einfacher Werte angeben.") if many else _("Bitte einen einzelnen Wert angeben.")
            ]
    if errors:
        raise serializers.ValidationError(errors)
    return data


# --- views --------------------------------------------------------------------------------------------------------
class TaskListView(generics.ListAPIView):
    """The user's actionable tasks: assigned to the user, or open and claimable by the user. Newest first."""

    serializer_class = TaskSerializer
    pagination_class = Pagination
    filterset_class = TaskFilter

    def get_queryset(self):
        return task_list_for_user(user=self.request.user)

    @extend_schema(
        summary="Meine Aufgaben", tags=["Aufgaben"], responses={200: TaskSerializer(many=True), **errors(400, 401, 404)}
    )
    def get(self, request, *args, **kwargs):
        page = self.paginate_queryset(_loaded(self.filter_queryset(self.get_queryset())))
        rows = task_rows(list(page), user=request.user)
        return self.get_paginated_response(TaskSerializer(rows, many=True).data)


def _one(task: Task, user: Any) -> dict[str, Any]:
    task = _loaded(Task.objects.filter(pk=task.pk)).get()
    return task_rows([task], user=user, detail=True)[0]


class TaskDetailView(APIView):
    @extend_schema(
        summary="Eine Aufgabe",
        tags=["Aufgaben"],
        parameters=[id_parameter("ID der Aufgabe")],
        responses={200: TaskSerializer, **errors(401, 404)},
    )
    def get(self, request, id):
        task = task_for_user(user=request.user, pk=id)
        return Response(TaskSerializer(_one(task, request.user)).data)


class _TaskActionView(APIView):
    def _result(self, request, task: Task, new_tasks: list[Task]) -> Response:
        visible = []
        for new in (t for t in new_tasks if t.flow_task_type == "HUMAN"):
            try:
                visible.append(task_for_user(user=request.user, pk=new.pk))
            except Http404:
                continue
        rows = task_rows(
            list(_loaded(Task.objects.filter(pk__in=[t.pk for t in visible]).order_by("pk"))), user=request.user
        )
        return Response(TaskResultSerializer({"task": _one(task, request.user), "next_tasks": rows}).data)


_ACTION_ERRORS = errors(401, 403, 404, 409)


class TaskAssignView(_TaskActionView):
    @extend_schema(
        summary="Aufgabe übernehmen",
        tags=["Aufgaben"],
        request=None,
        parameters=[id_parameter("ID der Aufgabe")],
        responses={200: TaskResultSerializer, **_ACTION_ERRORS},
    )
    def post(self, request, id):
        task = task_for_user(user=request.user, pk=id)
        engine.task_assign(task=task, user=request.user)
        return self._result(request, task, [])


class TaskUnassignView(_TaskActionView):
    @extend_schema(
        summary="Aufgabe zurückgeben",
        tags=["Aufgaben"],
        request=None,
        parameters=[id_parameter("ID der Aufgabe")],
        responses={200: TaskResultSerializer, **_ACTION_ERRORS},
    )
    def post(self, request, id):
        task = task_for_user(user=request.user, pk=id)
        engine.task_unassign(task=task, user=request.user)
        return self._result(request, task, [])


class TaskCompleteView(_TaskActionView):
    parser_classes = UPLOAD_PARSERS  # JSON; multipart for a form with a file field (its `form` says "file")

    @extend_schema(
        summary="Aufgabe erledigen",
        description="Der Rumpf enthält die Felder des Formulars der Aufgabe (siehe `form` der Aufgabe) als JSON; "
        "sie werden genau wie im Portal geprüft. Eine offene Aufgabe wird dabei übernommen.",
        tags=["Aufgaben"],
        request={"application/json": {"type": "object", "additionalProperties": True}},
        parameters=[id_parameter("ID der Aufgabe")],
        responses={200: TaskResultSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request, id):
        task = task_for_user(user=request.user, pk=id)
        data = form_data(task, request.data)
        new_tasks = engine.task_complete(task=task, user=request.user, data=data, files=request.FILES)
        return self._result(request, task, new_tasks)
