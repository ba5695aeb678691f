"""The year-end statements' schedule, as data: a django-celery-beat PeriodicTask staff can see and change under
"Periodic tasks" in the admin (06:00 on 10 January, for the year just ended). No schema change."""

from django.conf import settings
from django.db import migrations

TASK_NAME = "Year-end donation statements"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    if PeriodicTask.objects.filter(name=TASK_NAME).exists():
        return
    schedule, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="6", day_of_week="*", day_of_month="10", month_of_year="1", timezone=settings.TIME_ZONE,
    )
    PeriodicTask.objects.create(
        name=TASK_NAME, task="donations.tasks.send_year_end_statements", crontab=schedule, args="[]", kwargs="{}",
        description="Emails each donor a PDF summary of last year's gifts (once per donor and year).", enabled=True,
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("donations", "0001_campaigns_donations_receipts"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
