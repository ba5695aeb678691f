"""Settings for bench/scale_out.py: the real settings, the bare reference view, and receipts on a queue of their
own, so the two workers serve separate queues as a deployment that keeps PDF rendering away from webhook processing
would run them."""

from outlet.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
# Receipts, their emails and statements (tasks named donations.tasks.*) go to "receipts"; everything else to the
# default queue.
CELERY_TASK_ROUTES = {"donations.tasks.*": {"queue": "receipts"}}
