"""Tasks that must run once a transaction commits, even if the broker is down at that moment.

`enqueue_after_commit` writes an OutboxTask row in the caller's transaction and hands the task to the broker after
commit; the task calls `mark_done` when it has done its work; `sweep` (celery beat) hands again whatever is not done
after a while. Tasks sent this way must be safe to run twice (ours are keyed: an email goes out once per key)."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from importlib import import_module

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError

from outlet.common.models import OutboxTask

logger = logging.getLogger(__name__)

RESEND_AFTER = timedelta(minutes=5)  # a task handed over but not done by then was lost with the broker or a worker
GIVE_UP_AFTER_ATTEMPTS = 20  # about a day and a half of sweeps; then staff find it waiting in the admin
SWEEP_BATCH = 500


def enqueue_after_commit(*, task: str, args: list, key: str) -> None:
    """Ask for `task(*args)` once this transaction commits. The same key again is the same task: asked once."""
    _, created = OutboxTask.objects.get_or_create(key=key, defaults={"task": task, "args": list(args)})
    if created:
        transaction.on_commit(lambda: _hand_to_broker(key))


def mark_done(key: str | None) -> None:
    if key:
        OutboxTask.objects.filter(key=key, done_at=None).update(done_at=timezone.now())


# After the broker fails a hand-over, requests stop trying for this long: a hung broker (each attempt waiting for
# its timeout) must not slow every request that asks for an email; the rows wait for the sweep instead.
BROKER_REST_SECONDS = 10.0
_broker_failed_at = 0.0


def _hand_to_broker(key: str) -> bool:
    global _broker_failed_at
    from outlet.celery import app

    if time.monotonic() - _broker_failed_at < BROKER_REST_SECONDS:
        return False
    row = OutboxTask.objects.filter(key=key, done_at=None).first()
    if row is None:
        return False
    OutboxTask.objects.filter(pk=row.pk).update(sent_at=timezone.now(), attempts=F("attempts") + 1)
    import_module(row.task.rsplit(".", 1)[0])  # registers the task in this process (the worker autodiscovers)
    try:
        app.tasks[row.task].apply_async(args=row.args)
    except (OperationalError, OSError):  # the broker is down: the sweep sends it again when it is back
        _broker_failed_at = time.monotonic()
        logger.warning("could not hand %s [%s] to the broker; the outbox sweep will", row.task, key)
        return False
    return True


def sweep(*, now=None) -> int:
    """Hand again what was asked for and not done: never sent (broker down at commit) or sent and lost."""
    global _broker_failed_at
    _broker_failed_at = 0.0  # the sweep runs because the broker delivered it: try again
    now = now or timezone.now()
    due = (
        OutboxTask.objects.filter(done_at=None, created_at__lte=now - RESEND_AFTER, attempts__lt=GIVE_UP_AFTER_ATTEMPTS)
        .exclude(sent_at__gt=now - RESEND_AFTER)
        .order_by("created_at")
        .values_list("key", flat=True)[:SWEEP_BATCH]
    )
    return sum(_hand_to_broker(key) for key in list(due))


def completes_outbox_task(func):
    """For a task enqueued through the outbox whose last argument is its key: when it returns (sent, or found
    nothing left to do), the row is done; when it raises, the row stays, for Celery's retry or the sweep."""
    from functools import wraps

    @wraps(func)
    def run(*args, **kwargs):
        result = func(*args, **kwargs)
        mark_done(kwargs.get("key", args[-1] if args else None))
        return result

    return run
