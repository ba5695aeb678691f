"""The Celery app: Redis broker when REDIS_URL is set, a filesystem broker otherwise (see settings)."""

import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outlet.settings")

app = Celery("outlet")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["outlet.dashboard"])  # not a Django app (it has no models), so named here


@task_prerun.connect
@task_postrun.connect
def check_database_connections(sender=None, **kwargs) -> None:
    """Between tasks, what Django does between requests: a connection past CONN_MAX_AGE, left broken by an error or
    failing its health check is closed, and the next query opens a new one (settings.CELERY_DB_REUSE_MAX keeps
    Celery from closing every connection after every task). Not for a task run eagerly inside a request or a test:
    that connection is the caller's, possibly mid-transaction."""
    if sender is None or getattr(sender.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


# outlet.tasks.* are the names the publish and outbox tasks kept when they moved to outlet/publishing/tasks.py and
# outlet/common/tasks.py: rows in django-celery-beat and messages already queued name them.
app.conf.beat_schedule = {
    "publish-due-articles": {"task": "outlet.tasks.publish_due_articles", "schedule": 60.0},
    # A webhook stored but never processed (broker outage, crashed worker) is queued again.
    "requeue-stuck-webhook-events": {"task": "outlet.payments.tasks.requeue_stuck_events", "schedule": 120.0},
    # Events the provider holds that no webhook delivered are fetched and ingested.
    "reconcile-provider-events": {"task": "outlet.payments.tasks.reconcile_provider_events", "schedule": 900.0},
    # Work asked for in a transaction whose hand-over to the broker failed (or was lost) is handed over again.
    "sweep-outbox": {"task": "outlet.tasks.sweep_outbox", "schedule": 300.0},
    "lapse-ended-memberships": {"task": "members.tasks.lapse_ended_memberships", "schedule": 900.0},
    # The revenue dashboard's figures, made again after a change, so staff seldom wait ~100 ms for them. A run still
    # queued when the next is due is dropped (a busy worker does not work through a pile of them).
    "keep-dashboard-figures-fresh": {
        "task": "outlet.dashboard.tasks.keep_figures_fresh",
        "schedule": 60.0,
        "options": {"expire_seconds": 55},  # django-celery-beat's name for Celery's `expires`
    },
    # Imported Ghost members whose subscriptions the provider has not yet confirmed are asked about again.
    "requeue-pending-ghost-syncs": {"task": "members.ghost_sync.requeue_pending_ghost_syncs", "schedule": 900.0},
    # A payment with no receipt, a refund not reflected or a receipt never emailed (lost enqueue) is queued again.
    "sweep-receipts": {"task": "donations.tasks.sweep_receipts", "schedule": 300.0},
    # Newsletter issues whose moment came are started; an issue whose sending stalled (lost task, dead worker) is
    # handed to a worker again.
    "dispatch-due-newsletters": {"task": "outlet.newsletters.tasks.dispatch_due_sends", "schedule": 60.0},
    # Year-end statements whose tasks were lost to a broker outage are sent in the weeks after the yearly run.
    "catch-up-year-end-statements": {
        "task": "donations.tasks.catch_up_year_end_statements",
        "schedule": crontab(hour=7, minute=15),
    },
    # Donor personal data past the retention period is blanked (batched, idempotent).
    "anonymise-expired-donor-data": {
        "task": "donations.tasks.anonymise_expired_donor_data",
        "schedule": crontab(hour=3, minute=40),
    },
    # Data exports past their download period lose their file (outlet.privacy).
    "expire-data-exports": {"task": "outlet.privacy.tasks.expire_exports", "schedule": crontab(hour=3, minute=50)},
    # Stored provider events older than WEBHOOK_PAYLOAD_RETENTION_DAYS have their payer details blanked (batched).
    "scrub-old-webhook-payloads": {
        "task": "outlet.privacy.tasks.scrub_old_webhook_payloads",
        "schedule": crontab(hour=4, minute=10),
    },
    # (The year-end statements run from a crontab PeriodicTask made by donations' migration 0002, which staff can
    # see and change in the admin; entries here would be reset on every beat start.)
}
