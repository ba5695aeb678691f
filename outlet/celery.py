"""The Celery app: Redis broker when REDIS_URL is set, a filesystem broker otherwise (see settings)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outlet.settings")

app = Celery("outlet")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.conf.beat_schedule = {
    "publish-due-articles": {"task": "outlet.tasks.publish_due_articles", "schedule": 60.0},
}
