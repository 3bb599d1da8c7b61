"""Events of human tasks: created (a task waits for someone) and completed (someone decided).

``task_created`` is sent for every new human task of any flow, whoever created it (a completed task, the start
of a flow, a timer): viewflow has no creation signal, so the first save of a HUMAN task row is bridged here.
``task_completed`` is sent by ``workflows.engine.task_complete`` inside its transaction. Receivers must defer
their work with ``transaction.on_commit``.
"""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import Signal, receiver
from viewflow.workflow.models import Task

# kwargs: task
task_created = Signal()

# kwargs: task, user
task_completed = Signal()


@receiver(post_save, sender=Task, dispatch_uid="workflows.signals.task_created_bridge")
def _task_created_bridge(sender, instance: Task, created: bool, **kwargs) -> None:
    if created and instance.flow_task_type == "HUMAN":
        task_created.send(sender=Task, task=instance)
