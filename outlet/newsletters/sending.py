"""Sending an issue: Delivery rows first, then workers claim them a batch at a time and send through one SMTP
connection per batch, at NEWSLETTER_SEND_RATE emails a second across the send's workers.

A row moves pending → claimed (in a worker's batch; `claimed_by`, `claimed_at`) → sending (this one message is
being handed to the mail server) → sent / failed / skipped. Each move is a conditional UPDATE on the row's current
state and owner, so two workers never both move the same row, and each commits on its own (no transaction spans a
network call).

What a worker killed with SIGKILL leaves, and what happens to it (no one skipped, no one twice but one):

- **claimed** rows never reached the mail server. After NEWSLETTER_CLAIM_TIMEOUT another worker reclaims and sends
  them: no skip, no double.
- **sending**: at most ONE row per dead worker, the message in flight. Whether the server accepted it before the
  kill cannot be known (plain SMTP keeps no record we could ask). We chose **at least once**: the row is reclaimed
  (its `attempts` counts the retry, its error says why) and sent again, with the same Message-ID, which mail
  clients that merge by Message-ID show once. So a kill -9 can cause at most one duplicate per killed worker, and
  never a skip. (Mark-after-send in a transaction, as `_send_once` does for single emails, would hold a row lock
  across the network call for every message of a 100,000-recipient send; it gives the same bound.)
- **sent** is written right after the server accepted the message; a row is never sent while it is sent.

The claim timeout must exceed EMAIL_TIMEOUT plus one message's pacing, so a slow but live worker's row is never
taken over (its claimed rows are also checked, one by one, as it reaches them: a row another worker took is
left alone)."""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import Case, CharField, Count, F, PositiveSmallIntegerField, Q, Value, When
from django.utils import timezone

from outlet.newsletters import audience, rendering
from outlet.newsletters.models import Delivery, NewsletterSend

logger = logging.getLogger(__name__)

UNFINISHED = (Delivery.Status.PENDING, Delivery.Status.CLAIMED, Delivery.Status.SENDING)
MAX_ATTEMPTS = 3
MATERIALISE_BATCH = 2000


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:80]


def _claim_timeout() -> timedelta:
    return timedelta(seconds=settings.NEWSLETTER_CLAIM_TIMEOUT)


def _touch(send_id: int) -> None:
    NewsletterSend.objects.filter(pk=send_id).update(last_progress_at=timezone.now())


# --- 1. The audience, as rows ---------------------------------------------------------------------------------


def materialise(send: NewsletterSend, *, size: int = MATERIALISE_BATCH) -> int:
    """One Delivery row per recipient, a batch at a time, all in one transaction that holds the issue's row: a
    second task finds it locked and waits, so no worker can see half an audience, finish the issue and leave the
    rest unsent; a crash rolls it back whole and the next task starts again (rows already there are kept by the
    unique constraint). Returns how many rows it added."""
    with transaction.atomic():
        mine = list(
            NewsletterSend.objects.select_for_update(skip_locked=True)
            .filter(pk=send.pk, materialised_at=None)
            .values_list("pk", flat=True)
        )
        if not mine:
            return 0  # made already, or being made by another worker
        before = Delivery.objects.filter(send=send).count()
        for batch in audience.recipient_batches(send.newsletter, size=size):
            rows = [Delivery(send=send, address=r.address, user_id=r.user_id, variant=r.variant) for r in batch]
            Delivery.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
        total = Delivery.objects.filter(send=send).count()
        now = timezone.now()
        NewsletterSend.objects.filter(pk=send.pk).update(
            materialised_at=now, recipients_count=total, last_progress_at=now
        )
    return total - before


# --- 2. Claiming ----------------------------------------------------------------------------------------------


def claim_batch(send_id: int, *, worker: str, size: int, now: datetime | None = None) -> list[Delivery]:
    """Up to `size` rows nobody holds (pending, or held by a worker whose claim went stale), now this worker's.
    SKIP LOCKED lets several workers claim side by side without waiting for each other."""
    now = now or timezone.now()
    stale = now - _claim_timeout()
    claimable = Q(status=Delivery.Status.PENDING) | Q(
        status__in=(Delivery.Status.CLAIMED, Delivery.Status.SENDING), claimed_at__lt=stale
    )
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(claimable, send_id=send_id)
            .order_by("pk")
            .values_list("pk", flat=True)[:size]
        )
        if not ids:
            return []
        Delivery.objects.filter(pk__in=ids).update(
            # The in-flight row of a dead worker: its message may have gone; it is sent again (see the docstring).
            attempts=Case(
                When(status=Delivery.Status.SENDING, then=F("attempts") + 1),
                default=F("attempts"),
                output_field=PositiveSmallIntegerField(),
            ),
            error=Case(
                When(status=Delivery.Status.SENDING, then=Value("Sent again: a worker stopped while sending it.")),
                default=F("error"),
                output_field=CharField(),
            ),
            status=Delivery.Status.CLAIMED,
            claimed_by=worker,
            claimed_at=now,
        )
    return list(Delivery.objects.filter(pk__in=ids, claimed_by=worker).order_by("pk"))


def _release(rows: list[Delivery], worker: str) -> None:
    Delivery.objects.filter(pk__in=[r.pk for r in rows], status=Delivery.Status.CLAIMED, claimed_by=worker).update(
        status=Delivery.Status.PENDING, claimed_by="", claimed_at=None
    )


# --- 3. Sending a batch ---------------------------------------------------------------------------------------


class Pacer:
    """At most `rate` calls a second, evenly spaced (a burst would trip the provider's limit)."""

    def __init__(
        self, rate: float, *, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.clock, self.sleep = clock, sleep
        self.next_at = clock()

    def wait(self) -> None:
        now = self.clock()
        if self.next_at > now:
            self.sleep(self.next_at - now)
        self.next_at = max(self.next_at, now) + self.interval


class TransientSendError(Exception):
    """The mail server went away mid-batch: the batch's unsent rows were put back; try again later."""


_PERMANENT = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused)


def _is_permanent(error: Exception) -> bool:
    if isinstance(error, _PERMANENT):
        return True
    return isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500


def send_batch(
    send: NewsletterSend, rows: list[Delivery], *, worker: str, parts: dict[str, rendering.Parts], pacer: Pacer
) -> None:
    # Who unsubscribed, was suppressed or stopped being a member since the rows were made is skipped now.
    still = {r.address for r in audience.decide(send.newsletter, [row.address for row in rows])}
    skipped = [row.pk for row in rows if row.address not in still]
    if skipped:
        Delivery.objects.filter(pk__in=skipped, status=Delivery.Status.CLAIMED, claimed_by=worker).update(
            status=Delivery.Status.SKIPPED, error="No longer wants it, or no longer in the audience."
        )
    todo = [row for row in rows if row.address in still]
    if not todo:
        return
    connection = get_connection()
    try:
        connection.open()
    except Exception as error:
        _release(todo, worker)
        raise TransientSendError(f"mail server: {error}") from error
    try:
        for index, row in enumerate(todo):
            if row.variant not in parts:
                parts[row.variant] = rendering.render_parts(send, row.variant)
            message = rendering.compose_issue(
                send, parts[row.variant], to=row.address, delivery_id=row.pk, connection=connection
            )
            pacer.wait()
            taken = Delivery.objects.filter(pk=row.pk, status=Delivery.Status.CLAIMED, claimed_by=worker).update(
                status=Delivery.Status.SENDING, claimed_at=timezone.now()
            )
            if not taken:
                continue  # another worker took it over (this one was too slow): it is theirs now
            try:
                connection.send_messages([message])
            except Exception as error:
                if not _is_permanent(error):
                    _give_back(row, worker, error)
                    _release(todo[index + 1 :], worker)
                    raise TransientSendError(str(error)) from error
                Delivery.objects.filter(pk=row.pk, status=Delivery.Status.SENDING, claimed_by=worker).update(
                    status=Delivery.Status.FAILED, error=str(error)[:300], attempts=F("attempts") + 1
                )
                continue
            Delivery.objects.filter(pk=row.pk, status=Delivery.Status.SENDING, claimed_by=worker).update(
                status=Delivery.Status.SENT, sent_at=timezone.now(), attempts=F("attempts") + 1
            )
    finally:
        try:
            connection.close()
        except Exception:  # a server that went away cannot be told goodbye
            logger.info("newsletter %s: the mail connection closed badly", send.pk)


def _give_back(row: Delivery, worker: str, error: Exception) -> None:
    """A connection error: the server most likely has not taken the message. Pending again, or failed for good
    after MAX_ATTEMPTS."""
    failed = row.attempts + 1 >= MAX_ATTEMPTS
    Delivery.objects.filter(pk=row.pk, status=Delivery.Status.SENDING, claimed_by=worker).update(
        status=Delivery.Status.FAILED if failed else Delivery.Status.PENDING,
        claimed_by="",
        claimed_at=None,
        attempts=F("attempts") + 1,
        error=str(error)[:300],
    )


# --- 4. A task's share of the work ----------------------------------------------------------------------------


def progress(send: NewsletterSend) -> dict[str, int]:
    counts = dict(
        Delivery.objects.filter(send=send).values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    remaining = sum(counts.get(status, 0) for status in UNFINISHED)
    return {
        "sent": counts.get(Delivery.Status.SENT, 0),
        "failed": counts.get(Delivery.Status.FAILED, 0),
        "skipped": counts.get(Delivery.Status.SKIPPED, 0),
        "remaining": remaining,
        "total": sum(counts.values()),
    }


def finish_if_done(send: NewsletterSend) -> bool:
    if send.materialised_at is None:
        return False
    if Delivery.objects.filter(send=send, status__in=UNFINISHED).exists():
        return False
    counts = progress(send)
    return bool(
        NewsletterSend.objects.filter(pk=send.pk, status=NewsletterSend.Status.SENDING).update(
            status=NewsletterSend.Status.SENT,
            finished_at=timezone.now(),
            recipients_count=counts["total"],
            sent_count=counts["sent"],
            failed_count=counts["failed"],
            skipped_count=counts["skipped"],
        )
    )


DONE, MORE, WAIT = "done", "more", "wait"


def run(send_id: int, *, seconds: float | None = None, worker: str | None = None) -> str:
    """Send for up to `seconds`; say whether the send is done, has more for a fresh task, or waits for rows other
    workers hold (sent by them, or reclaimed once their claims go stale)."""
    worker = worker or worker_id()
    budget_ends = time.monotonic() + (settings.NEWSLETTER_TASK_SECONDS if seconds is None else seconds)
    send = NewsletterSend.objects.select_related("newsletter").filter(pk=send_id).first()
    if send is None or send.status != NewsletterSend.Status.SENDING:
        return DONE
    if send.materialised_at is None:
        materialise(send)
        send.refresh_from_db()
        if send.materialised_at is None:
            return WAIT  # another worker is making the rows
    rate = settings.NEWSLETTER_SEND_RATE / max(1, settings.NEWSLETTER_SEND_WORKERS)
    pacer = Pacer(rate)
    parts: dict[str, rendering.Parts] = {}
    while time.monotonic() < budget_ends:
        if NewsletterSend.objects.filter(pk=send_id, status=NewsletterSend.Status.CANCELLED).exists():
            return DONE
        rows = claim_batch(send_id, worker=worker, size=settings.NEWSLETTER_CLAIM_BATCH)
        if not rows:
            return DONE if finish_if_done(send) or _finished(send_id) else WAIT
        send_batch(send, rows, worker=worker, parts=parts, pacer=pacer)
        _touch(send_id)
    return MORE


def _finished(send_id: int) -> bool:
    return not NewsletterSend.objects.filter(pk=send_id, status=NewsletterSend.Status.SENDING).exists()
