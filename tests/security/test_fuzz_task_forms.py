"""Task forms fuzzed through the task page as a user who may complete the task (hypothesis).

One open task per business step is taken from the demo world. Values are hostile text, numbers, dates and, for
choice fields, sometimes a valid choice, so that the examples reach the form's and the domain service's own checks.
Expected: never 5xx; a refused completion writes nothing (task still open, no audit entry) and answers in German;
no script is echoed unescaped.
"""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.auth import get_user_model
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st
from viewflow.workflow import STATUS
from viewflow.workflow.models import Task

from projects.models import AuditEntry
from tests.security.test_hostile_input import ANY_VALUE, ENGLISH, FUZZ, GERMAN, _rolled_back
from workflows.case import CaseFlow
from workflows.funding import FundingFlow
from workflows.nodes import BusinessTask
from workflows.procurement import ProcurementFlow

pytestmark = pytest.mark.django_db

FLOWS = (CaseFlow, ProcurementFlow, FundingFlow)
STEPS = sorted(
    (flow_class.__name__, node.name)
    for flow_class in FLOWS
    for node in flow_class.instance.nodes()
    if isinstance(node, BusinessTask)
)


def _open_task(flow_name: str, step: str) -> Task | None:
    flow_class = next(f for f in FLOWS if f.__name__ == flow_name)
    node = getattr(flow_class.instance, step)
    return (
        Task.objects.filter(flow_task=node, status=STATUS.NEW, flow_task_type="HUMAN")
        .select_related("process")
        .order_by("pk")
        .first()
    )


def _who_may_complete(task: Task):
    """A demo user holding the task's capability on the task's municipality (guardian group rows)."""
    app_label, codename = task.owner_permission.split(".", 1)
    candidates = (
        get_user_model()
        .objects.filter(
            is_active=True,
            groups__groupobjectpermission__permission__codename=codename,
            groups__groupobjectpermission__permission__content_type__app_label=app_label,
            groups__groupobjectpermission__object_pk=str(task.owner_permission_obj_pk),
        )
        .order_by("username")
        .distinct()
    )
    return next((user for user in candidates if task.flow_task.can_assign(user, task)), None)


def _value_for(field: forms.Field):
    """Hostile values for any field, plus valid ones where the field offers choices."""
    strategies = [ANY_VALUE]
    choices = [str(value) for value, _label in getattr(field, "choices", []) or [] if value not in ("", None)]
    if choices:
        strategies.append(st.sampled_from(choices))
    if isinstance(field, forms.BooleanField):
        strategies.append(st.sampled_from(["on", "true", "1"]))
    if isinstance(field, (forms.IntegerField, forms.DecimalField)):
        strategies.append(st.one_of(st.integers(-(10**12), 10**12), st.decimals(allow_nan=True)).map(str))
    return st.one_of(strategies)


def _fuzz_page(task: Task) -> None:
    user = _who_may_complete(task)
    assert user is not None, f"nobody in the demo world may complete {task.flow_task.name}"
    form = task.flow_task.form_for(task)
    fields = {name: _value_for(field) for name, field in form.fields.items() if not isinstance(field, forms.FileField)}
    client = Client(raise_request_exception=False)
    client.force_login(user)

    @FUZZ
    @given(data=st.fixed_dictionaries({}, optional=fields))
    def attempt(data):
        def post():
            entries = AuditEntry.objects.count()
            response = client.post(f"/portal/aufgaben/{task.pk}/", data)
            assert response.status_code < 500, (response.status_code, data)
            status = Task.objects.get(pk=task.pk).status
            text = response.content.decode("utf-8", "replace")
            if status != STATUS.DONE:  # refused: nothing written, the task open, the answer German
                assert status in (STATUS.NEW, STATUS.ASSIGNED), status
                assert AuditEntry.objects.count() == entries
                if response.status_code == 400:
                    assert any(word in text for word in GERMAN), text[:800]
                    assert not any(word in text for word in ENGLISH), text[:800]
            assert "<script>alert(1)</script>" not in text

        _rolled_back(post)

    attempt()


def test_every_task_page_of_the_demo_world_never_fails_with_5xx_or_writes_half():
    """Each business step with an open demo task, through its page. The other steps are fuzzed on the walks of the
    flows' end-to-end tests (tests/*/test_fuzz_steps.py), through the same engine call."""
    tasks = {step: task for step in STEPS if (task := _open_task(*step)) is not None}
    assert tasks, "the demo world offers no open task at all"
    for task in tasks.values():
        _fuzz_page(task)
