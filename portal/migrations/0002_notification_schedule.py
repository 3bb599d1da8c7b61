"""Celery beat (DatabaseScheduler) entries for the portal's periodic jobs: task reminders and the daily digest."""

from django.db import migrations

JOBS = [
    ("Aufgaben: Erinnerungen und Fristüberschreitungen", "portal.tasks.send_task_reminders", {"minute": "15", "hour": "*/2"}),
    ("Benachrichtigungen: tägliche Zusammenfassung", "portal.tasks.send_daily_digests", {"minute": "0", "hour": "7"}),
]


def install(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, cron in JOBS:
        schedule, _ = CrontabSchedule.objects.get_or_create(
            minute=cron["minute"], hour=cron["hour"], day_of_week="*", day_of_month="*", month_of_year="*",
            timezone="Europe/Berlin",
        )
        PeriodicTask.objects.update_or_create(name=name, defaults={"task": task, "crontab": schedule, "enabled": True})


def remove(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, _task, _cron in JOBS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, remove)]
