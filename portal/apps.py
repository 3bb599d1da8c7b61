from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed

        from portal import notifications
        from projects.models import CaseComment
        from projects.services.deadlines import deadline_notice
        from projects.signals import case_stage_changed
        from workflows.signals import task_created

        task_created.connect(notifications.on_task_created, dispatch_uid="portal.notify_new_task")
        case_stage_changed.connect(notifications.on_case_stage_changed, dispatch_uid="portal.notify_decision")
        deadline_notice.connect(notifications.on_deadline_notice, dispatch_uid="portal.notify_deadline")
        m2m_changed.connect(
            notifications.on_mentions_changed,
            sender=CaseComment.mentions.through,
            dispatch_uid="portal.notify_mentions",
        )
