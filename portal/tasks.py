"""Celery tasks of the portal: notification e-mails, the daily digest, task reminders. Safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from portal.models import Notification, NotificationPreference


def _absolute(url: str) -> str:
    base = (getattr(settings, "SITE_URL", "") or "").rstrip("/")
    return f"{base}{url}" if url else base


def _send(*, user, subject: str, template: str, context: dict) -> None:
    with override("de"):
        context = {**context, "user": user, "base_url": _absolute("")}
        text = render_to_string(f"portal/email/{template}.txt", context)
        html = render_to_string(f"portal/email/{template}.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[user.email])
    message.attach_alternative(html, "text/html")
    message.send()


@shared_task(name="portal.tasks.send_notification_email", ignore_result=True)
def send_notification_email(notification_pk: int) -> bool:
    """Send one notification by e-mail (once: a redelivered message finds it already sent)."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update().select_related("user").filter(pk=notification_pk).first()
        )
        if notification is None or notification.emailed_at is not None or not notification.user.email:
            return False
        with override("de"):
            subject = f"[{_('IKZ-Engine')}] {notification.title}"
        _send(
            user=notification.user,
            subject=subject,
            template="notification",
            context={"notification": notification, "link": _absolute(notification.url)},
        )
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return True


@shared_task(name="portal.tasks.send_daily_digests", ignore_result=True)
def send_daily_digests() -> int:
    """One e-mail per person who chose the daily digest, with everything not yet mailed."""
    users = (
        get_user_model()
        .objects.filter(
            notification_preference__delivery=NotificationPreference.Delivery.DIGEST,
            notifications__emailed_at__isnull=True,
            is_active=True,
        )
        .distinct()
    )
    sent = 0
    for user in users:
        if not user.email:
            continue
        with transaction.atomic():
            items = list(
                Notification.objects.select_for_update()
                .filter(user=user, emailed_at__isnull=True)
                .order_by("created_at")
            )
            if not items:
                continue
            with override("de"):
                subject = _("[IKZ-Engine] Ihre tägliche Zusammenfassung (%(n)d Meldungen)") % {"n": len(items)}
            _send(
                user=user,
                subject=subject,
                template="digest",
                context={"items": [(n, _absolute(n.url)) for n in items]},
            )
            Notification.objects.filter(pk__in=[n.pk for n in items]).update(emailed_at=timezone.now())
            sent += 1
    return sent


@shared_task(name="portal.tasks.send_task_reminders", ignore_result=True)
def send_task_reminders() -> int:
    """Reminders before the due date of open tasks and notices once they are overdue."""
    from portal.notifications import task_reminders_send

    return task_reminders_send()


# --- fan-out of notifications: enqueued after the commit of the business step, so the step's request never waits
# for recipient look-ups and mails. Each is idempotent (notifications carry a dedupe key).
@shared_task(name="portal.tasks.notify_new_task", ignore_result=True)
def notify_new_task_job(task_pk: int) -> int:
    """One new task (the job before new tasks were batched per commit; kept for messages still queued)."""
    from portal.notifications import notify_new_task

    return notify_new_task(task_pk)


@shared_task(name="portal.tasks.notify_new_tasks", ignore_result=True)
def notify_new_tasks_job(task_pks: list[int]) -> int:
    """The new tasks of one committed step (a split creates many): one job for all of them."""
    from portal.notifications import notify_new_tasks

    return notify_new_tasks(task_pks)


@shared_task(name="portal.tasks.notify_decision", ignore_result=True)
def notify_decision_job(case_pk: int, stage: str, by_pk: int | None) -> int:
    from portal.notifications import notify_decision

    return notify_decision(case_pk, stage, by_pk)


@shared_task(name="portal.tasks.notify_mentions", ignore_result=True)
def notify_mentions_job(comment_pk: int, user_pks: list[int]) -> int:
    from portal.notifications import notify_mentions

    return notify_mentions(comment_pk, user_pks)


@shared_task(name="portal.tasks.notify_deadline", ignore_result=True)
def notify_deadline_job(case_pk: int, municipality_pk: int | None, kind: str, due_iso: str, topic: str) -> int:
    from portal.notifications import notify_deadline

    return notify_deadline(case_pk, municipality_pk, kind, due_iso, topic)


@shared_task(name="portal.tasks.apply_absences", ignore_result=True)
def apply_absences() -> int:
    from django.utils import timezone

    from portal.services import absences_apply

    return absences_apply(today=timezone.localdate())
