"""Refunds and disputes that arrive before their payment.

A provider delivers events in no particular order, and a payment's event may be late or lost (our endpoint was
down, a retry is pending, reconciliation has not run yet). A refund or dispute naming a payment we do not hold is
therefore not "not ours" yet: it waits, is checked again with growing pauses (1 minute, doubling, at most an hour)
and at once when the payment is recorded, for wait_for_payment() after it was received. Then it is given up: flagged
for staff (UNMATCHED) when anything in it is ours, else marked not ours. Either way it stays woken by its payment:
if that is recorded later still, the refund or dispute is applied then.

Waiting checks do not count as processing attempts: the bound on attempts is for failures, and an event that
waited a day must not be abandoned by its first failure after that."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from outlet.payments import event_owners
from outlet.payments.models import WebhookEvent
from outlet.payments.providers.base import DomainEvent, PaymentDisputed, PaymentRefunded, PaymentSucceeded

Status = WebhookEvent.Status
FIRST_PAUSE = timedelta(minutes=1)
LONGEST_PAUSE = timedelta(hours=1)
# Statuses a payment being recorded wakes: still waiting, or given up (it was ours after all).
WAKEABLE = (Status.WAITING, Status.UNMATCHED, Status.NOT_OURS)


def wait_for_payment() -> timedelta:
    """How long a refund or dispute waits for its payment: a day covers the provider's own retries of a failed
    delivery many times over and a reconciliation run every 15 minutes."""
    return timedelta(hours=getattr(settings, "WEBHOOK_WAIT_FOR_PAYMENT_HOURS", 24))


def payment_refs(domain_event: DomainEvent) -> tuple[str, ...]:
    """The ids of the payment a refund or dispute is about, as find_payment is asked for them; () for every other
    event."""
    if isinstance(domain_event, PaymentRefunded | PaymentDisputed):
        return tuple(domain_event.payment_refs)
    return ()


def recorded_refs(domain_events: Iterable[DomainEvent]) -> set[str]:
    """Every id a succeeded payment in these events may be named by later."""
    return {
        ref
        for event in domain_events
        if isinstance(event, PaymentSucceeded)
        for ref in (event.payment_ref, *event.other_refs)
        if ref
    }


def encode(refs: Iterable[str]) -> str:
    limit = WebhookEvent._meta.get_field("waiting_for").max_length or 0
    kept: list[str] = []
    for ref in dict.fromkeys(ref for ref in refs if ref):
        if len(" ".join([*kept, ref])) + 2 > limit:
            break
        kept.append(ref)
    return f" {' '.join(kept)} " if kept else ""


def decode(waiting_for: str) -> tuple[str, ...]:
    return tuple(waiting_for.split())


def settle_unmatched(
    stored: WebhookEvent, *, domain_events: list[DomainEvent], refs: tuple[str, ...], now: datetime
) -> str:
    """A refund or dispute whose payment we do not hold: wait for it within the bound, else give it up. Saves the
    event (the caller holds its row lock) and returns its new status."""
    stored.waiting_for = encode(refs)
    bound = wait_for_payment()
    waited = now - stored.received_at
    what = _what(domain_events)
    named = ", ".join(refs)
    if waited < bound:
        pause = min(max(waited, FIRST_PAUSE), LONGEST_PAUSE)
        stored.status = Status.WAITING
        stored.retry_at = min(now + pause, stored.received_at + bound)
        stored.last_error = (
            f"This {what} names a payment we have not recorded yet ({named}). It waits for that payment: "
            f"checked again with growing pauses, and at once when the payment arrives, for "
            f"{_hours(bound)} after it was received."
        )
        stored.save(update_fields=["status", "waiting_for", "retry_at", "last_error"])
        return stored.status
    owner = event_owners.owner_of(stored)
    stored.retry_at = None
    stored.processed_at = now
    stored.attempts += 1
    if owner.is_ours:
        stored.status = Status.UNMATCHED
        stored.last_error = (
            f"No payment named {named} arrived within {_hours(bound)}, so this {what} was never applied "
            f"({owner.label}: {owner.reason}). It is applied by itself if that payment is recorded later; "
            f"otherwise compare with the provider's dashboard."
        )
    else:
        stored.status = Status.NOT_OURS
        stored.last_error = (
            f"No payment named {named} arrived within {_hours(bound)}, and nothing in this {what} is ours: "
            f"taken to be another product's. It is applied by itself if that payment is ever recorded."
        )
    stored.save(update_fields=["status", "waiting_for", "retry_at", "processed_at", "attempts", "last_error"])
    return stored.status


def wake_events_waiting_for(*, provider_id: str, refs: set[str], enqueue: Callable[[int], object]) -> list[int]:
    """Check again at once every refund or dispute waiting for one of these (just recorded) payment ids. Called after
    the payment's transaction commits."""
    names = Q()
    for ref in refs:
        names |= Q(waiting_for__contains=f" {ref} ")
    waiting = (
        WebhookEvent.objects.filter(provider=provider_id, status__in=WAKEABLE).exclude(waiting_for="").filter(names)
    )
    return wake(
        webhook_event_pks=list(waiting.order_by("created_at_provider").values_list("pk", flat=True)), enqueue=enqueue
    )


def wake(*, webhook_event_pks: list[int], enqueue: Callable[[int], object]) -> list[int]:
    """Make these events due now and queue them (outside any transaction: the queue must find them committed)."""
    woken = [
        pk
        for pk in webhook_event_pks
        if WebhookEvent.objects.filter(pk=pk, status__in=WAKEABLE).update(
            status=Status.WAITING, retry_at=timezone.now()
        )
    ]
    for pk in woken:
        enqueue(pk)
    return woken


def due_for_a_check(*, now: datetime, lease: timedelta, limit: int = 1000) -> list[int]:
    """Waiting events whose next check has come, leased for `lease` so a slow queue is not flooded with copies;
    processing sets the real next check."""
    due = list(
        WebhookEvent.objects.filter(status=Status.WAITING)
        .filter(Q(retry_at__isnull=True) | Q(retry_at__lte=now))
        .order_by("created_at_provider")
        .values_list("pk", flat=True)[:limit]
    )
    WebhookEvent.objects.filter(pk__in=due, status=Status.WAITING).update(retry_at=now + lease, requeued_at=now)
    return due


def _what(domain_events: list[DomainEvent]) -> str:
    return "dispute" if any(isinstance(event, PaymentDisputed) for event in domain_events) else "refund"


def _hours(span: timedelta) -> str:
    hours = int(span.total_seconds() // 3600)
    return f"{hours} hour{'s' if hours != 1 else ''}" if hours else f"{int(span.total_seconds() // 60)} minutes"
