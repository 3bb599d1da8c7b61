"""The flow records in the Django admin: shown, never changed. A task's data is the decision taken in it, its owner
and permission decide who acts; they change only through the flow (engine and step services, with their checks)."""

from __future__ import annotations

from django.contrib import admin
from viewflow.workflow.admin import ProcessAdmin, TaskAdmin
from viewflow.workflow.models import Process, Task

from projects.admin_mixins import ReadOnlyAdminMixin


class ReadOnlyProcessAdmin(ReadOnlyAdminMixin, ProcessAdmin):
    pass


class ReadOnlyTaskAdmin(ReadOnlyAdminMixin, TaskAdmin):
    pass


for model, model_admin in ((Process, ReadOnlyProcessAdmin), (Task, ReadOnlyTaskAdmin)):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
