"""Fuzzing every business step on the way through a flow (the walks of the end-to-end tests).

:class:`StepFuzzer` stands in for ``workflows.engine.task_complete``. Before each real completion it tries the same
step as the same user with hostile data (hypothesis): the valid data with some fields replaced by hostile values,
or the form's fields filled with them. Every attempt runs in a savepoint that is rolled back. Expected of each:

- it completes (the hostile value was acceptable text), or it is refused with ``ValidationError`` (German messages),
  ``PermissionDenied`` or a ``TaskConflict``; no other exception;
- a refusal writes nothing: the task is still open and no audit entry was added.

Then the real completion runs with the valid data, and the walk goes on.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from viewflow.workflow import STATUS
from viewflow.workflow.models import Task

from projects.models import AuditEntry
from tests.security.test_hostile_input import ANY_VALUE, ENGLISH

STEP_FUZZ = settings(
    max_examples=12,
    deadline=None,
    database=None,  # examples depend on the walk's state: nothing to replay from a previous run
    suppress_health_check=list(HealthCheck),
)


def _hostile_for(field: forms.Field | None):
    strategies = [ANY_VALUE, st.just(""), st.just(None)]
    if field is not None:
        choices = [str(v) for v, _label in getattr(field, "choices", []) or [] if v not in ("", None)]
        if choices:
            strategies.append(st.sampled_from(choices))
        if isinstance(
            field, (forms.DateField, forms.DateTimeField)
        ):  # the calendar's edges: deadlines computed from them
            strategies.append(st.sampled_from(["9999-12-31", "0001-01-01", "9999-12-31 23:59", "1900-02-28"]))
        if isinstance(field, (forms.IntegerField, forms.DecimalField)):
            strategies.append(st.one_of(st.integers(-(10**15), 10**15), st.decimals(allow_nan=True)).map(str))
    return st.one_of(strategies)


class StepFuzzer:
    def __init__(self, real_complete):
        self.real_complete = real_complete
        self.steps: set[str] = set()
        self.outcomes: dict[str, set[str]] = {}
        self.with_required_fields: set[str] = set()

    def never_refused(self) -> list[str]:
        """Steps with a required field that no hostile example was refused at (the fuzzing did not bite)."""
        return sorted(s for s in self.with_required_fields if "refused" not in self.outcomes.get(s, set()))

    def __call__(self, *, task: Task, user: Any, data: dict[str, Any], files=None):
        self.fuzz(task=task, user=user, valid=dict(data or {}))
        return self.real_complete(task=task, user=user, data=data, files=files)

    def fuzz(self, *, task: Task, user: Any, valid: dict[str, Any]) -> None:
        node = task.flow_task
        step = f"{type(node.flow_class.instance).__name__}.{node.name}"
        fields = {name: f for name, f in node.form_for(task).fields.items() if not isinstance(f, forms.FileField)}
        names = sorted(set(fields) | set(valid))
        self.steps.add(step)
        if any(f.required for f in fields.values()):
            self.with_required_fields.add(step)
        seen = self.outcomes.setdefault(step, set())

        mutated = st.fixed_dictionaries({}, optional={name: _hostile_for(fields.get(name)) for name in names})

        @STEP_FUZZ
        @given(replacements=mutated, keep_valid=st.booleans())
        def attempt(replacements, keep_valid):
            data = {**(valid if keep_valid else {}), **replacements}
            data = {k: v for k, v in data.items() if v is not None}
            seen.add(self._try(task=task, user=user, data=data, step=step))

        attempt()

    def _try(self, *, task: Task, user: Any, data: dict[str, Any], step: str) -> str:
        from workflows import engine

        with transaction.atomic():
            entries = AuditEntry.objects.count()
            fresh = Task.objects.get(pk=task.pk)
            try:
                self.real_complete(task=fresh, user=user, data=data)
                outcome = "completed"
            except ValidationError as exc:
                text = " ".join(exc.messages)
                assert text, (step, data)
                assert not any(word in text for word in ENGLISH), (step, text, data)
                outcome = "refused"
            except (PermissionDenied, engine.TaskConflict):
                outcome = "refused"
            if outcome == "refused":
                assert Task.objects.get(pk=task.pk).status in (STATUS.NEW, STATUS.ASSIGNED), (step, data)
                assert AuditEntry.objects.count() == entries, (step, data)
            transaction.set_rollback(True)
        return outcome
