"""Conventions every endpoint of the API shares, implemented once here (see the README's API section).

- ``UpdatedSinceFilter`` (a default filter backend): ``?updated_since=<ISO time>`` on every generic list.
- ``FilterBackend``: django-filter's, with an empty filter value refused (400) rather than ignored.
- ``ConditionalGetMiddleware``: an ``ETag`` on every GET answer of the API; ``If-None-Match`` with it → 304.
- ``JSONRenderer``: times in API answers in UTC (``Z``), whatever the product's local zone.
Idempotency keys are in api/idempotency.py.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast
from django.middleware.http import ConditionalGetMiddleware as DjangoConditionalGetMiddleware
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import renderers
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend

from projects.models import AuditEntry

API_PREFIX = "/api/"


def parse_updated_since(value: str) -> dt.datetime:
    """The time of ``?updated_since=``; an empty or unreadable one is refused (400), not ignored."""
    try:
        moment = parse_datetime(value.strip().replace(" ", "+"))  # a "+" in a query string arrives as a space
    except ValueError:
        moment = None
    if moment is None:
        raise ValidationError(
            {"updated_since": [_("Bitte einen Zeitpunkt nach ISO 8601 angeben, z. B. 2026-01-31T08:00:00Z.")]}
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, dt.UTC)
    return moment


def changed_since(queryset: QuerySet, since: dt.datetime, subject_type: str | None = None) -> QuerySet:
    """Records changed at or after ``since``: by their ``updated_at`` where the model has one, and by the audit trail
    (every state change leaves an entry about its record, so a record without ``updated_at`` is found by it too)."""
    model = queryset.model
    label = subject_type or model._meta.label_lower
    audited = (
        AuditEntry.objects.filter(subject_type=label, created_at__gte=since)
        .annotate(pk_text=Cast("subject_id", CharField(max_length=64)))
        .values("subject_id")
    )
    condition = Q(pk_text__in=audited)
    if any(field.name == "updated_at" for field in model._meta.concrete_fields):
        condition |= Q(updated_at__gte=since)
    return queryset.annotate(pk_text=Cast("pk", CharField(max_length=64))).filter(condition)


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, refusing an empty filter value (``?state=``) with 400 instead of ignoring it: a
    client that sends a filter gets it applied or an error, never the unfiltered list."""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            empty = [name for name in filterset.filters if request.query_params.get(name, None) == ""]
            if empty:
                raise ValidationError({name: [_("Bitte einen Wert angeben.")] for name in empty})
        return filterset


class UpdatedSinceFilter(BaseFilterBackend):
    """``?updated_since=``: only records created or changed since then. A view may name the audit subject of its
    records with ``updated_since_subject`` (default: the model's label, as the audit trail writes it)."""

    def filter_queryset(self, request, queryset, view):
        if "updated_since" not in request.query_params or not isinstance(queryset, QuerySet):
            return queryset
        value = request.query_params["updated_since"]
        return changed_since(queryset, parse_updated_since(value), getattr(view, "updated_since_subject", None))

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "updated_since",
                "required": False,
                "in": "query",
                "description": "Nur Datensätze, die seit diesem Zeitpunkt (ISO 8601 mit Zone) angelegt oder geändert "
                "wurden",
                "schema": {"type": "string", "format": "date-time"},
            }
        ]


class ConditionalGetMiddleware(DjangoConditionalGetMiddleware):
    """Django's ETag and If-None-Match handling, for the API's GET answers only (the pages carry CSRF tokens)."""

    def process_response(self, request, response):
        if not request.path.startswith(API_PREFIX):
            return response
        return super().process_response(request, response)


_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([+-]\d{2}:\d{2}|Z)$")


def _in_utc(data: Any) -> Any:
    if isinstance(data, str):
        if _DATETIME.match(data):
            moment = dt.datetime.fromisoformat(data.replace("Z", "+00:00")).astimezone(dt.UTC)
            return moment.isoformat().replace("+00:00", "Z")
        return data
    if isinstance(data, dict):
        return {key: _in_utc(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [_in_utc(value) for value in data]
    return data


class JSONRenderer(renderers.JSONRenderer):
    """Times in API answers are in UTC with the zone given (``2026-03-01T07:30:00Z``): the serializers write the
    product's zone (Europe/Berlin), this renderer turns every time with an offset into the same instant in UTC.
    Only answers change: rules that ask for today's date keep the product's zone."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return super().render(_in_utc(data), accepted_media_type, renderer_context)
