"""The payment pipeline: store what a provider tells us, process it once, heal what got lost, and keep the
payment rows every product (memberships, donations) builds on."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from outlet.common.batches import in_batches
from outlet.common.money import format_money
from outlet.payments import registry, waiting
from outlet.payments.group_commit import GroupCommit, insert_new
from outlet.payments.models import Payment, ProviderCustomer, ReconciliationCursor, WebhookEvent
from outlet.payments.providers import PROVIDER_IDS, get_provider
from outlet.payments.providers.base import (
    CheckoutCompleted,
    DomainEvent,
    PaymentDisputed,
    PaymentFailed,
    PaymentProvider,
    PaymentRefunded,
    PaymentSucceeded,
    ProviderError,
    ProviderEvent,
    SubscriptionChanged,
)
from outlet.payments.storable import UnstorableEvent, storable

logger = logging.getLogger(__name__)

# Stripe keeps events about 30 days; asking for more returns nothing older anyway.
PROVIDER_EVENT_RETENTION = timedelta(days=30)
# An event may be listed by the provider slightly after events created later; re-reading this overlap is free
# because ingestion is idempotent.
RECONCILIATION_OVERLAP = timedelta(minutes=10)
MAX_PROCESSING_ATTEMPTS = 10
# Statuses a worker may still process: new, failed (retried), or waiting for the payment it names.
PROCESSABLE = (WebhookEvent.Status.RECEIVED, WebhookEvent.Status.FAILED, WebhookEvent.Status.WAITING)
# While one event is processed, every product's handler may ask which payment a refund names: the provider is
# asked for the payment's other ids once per event, not once per handler.
_related_refs_asked: ContextVar[dict[tuple[str, tuple[str, ...]], tuple[str, ...]] | None] = ContextVar(
    "related_refs_asked", default=None
)


def ingest_event(*, provider_id: str, event: ProviderEvent, via: str = WebhookEvent.Via.WEBHOOK) -> tuple[str, bool]:
    """Store an event once and queue its processing after commit: (its id as stored, whether it is new). A duplicate
    delivery changes nothing. Raises UnstorableEvent (answered 400) for one no database column could hold: nothing of
    it is stored. Outside a transaction (the webhook view) the event is committed before this returns, in one commit
    with the events other requests of this process are storing at the same moment (outlet/payments/group_commit.py)."""
    event = storable(event)
    row = WebhookEvent(
        provider=provider_id,
        event_id=event.id,
        type=event.type,
        created_at_provider=event.created,
        payload=event.payload,
        livemode=event.livemode,
        via=via,
    )
    if not transaction.get_connection().in_atomic_block:
        return event.id, _events_stored_together.store(row)
    # Inside a caller's transaction (reconciliation, the sandbox's checkout): part of it, queued when it commits.
    # ON CONFLICT DO NOTHING raises nothing on a duplicate, so the caller's transaction is never broken by one.
    created = bool(insert_new([row]))
    if created:
        transaction.on_commit(lambda: queue_event_processing(row.pk))
    return event.id, created


def queue_event_processing(webhook_event_pk: int) -> None:
    """Hand a stored event to the broker. Never raises: a hand-off lost to a broker outage is redone by the sweep
    (requeue_stuck_events), which is why tests may replace this to keep events waiting in the intake."""
    from outlet.payments.tasks import process_webhook_event

    try:
        process_webhook_event.delay(webhook_event_pk)
    except Exception:  # broker down: the event is stored; requeue_stuck_events picks it up later
        logger.warning("could not enqueue webhook event %s; the sweep will retry it", webhook_event_pk, exc_info=True)


def queue_events_processing(webhook_event_pks: list[int]) -> None:
    """Hand the events one commit stored to the broker in one message (one Redis round trip for the batch). One event
    goes as queue_event_processing sends it. Never raises: what a broker outage loses, the sweep queues again."""
    if len(webhook_event_pks) == 1:
        queue_event_processing(webhook_event_pks[0])
        return
    from outlet.payments.tasks import process_webhook_events

    try:
        process_webhook_events.delay(webhook_event_pks)
    except Exception:  # broker down: the events are stored; requeue_stuck_events picks them up later
        logger.warning(
            "could not enqueue webhook events %s; the sweep will retry them", webhook_event_pks, exc_info=True
        )


# One per process: the webhook requests of its threads share commits (see ingest_event).
_events_stored_together = GroupCommit(after_commit=lambda pks: queue_events_processing(pks))


def process_webhook_event(*, webhook_event_pk: int) -> str:
    """Translate and dispatch one stored event, exactly once. Returns the final status.

    What processing needs from the provider is asked first, with no lock held: a slow provider then holds one
    worker, never the event's row and an open transaction. The work itself runs under the row lock, re-checking the
    status, so two workers given the same event apply it once."""
    asked = _related_refs_asked.set({})
    try:
        found = WebhookEvent.objects.filter(pk=webhook_event_pk).first()
        if found is None:
            return "missing"
        if found.status not in PROCESSABLE:
            return found.status
        domain_events = get_provider(found.provider).translate(
            ProviderEvent(
                id=found.event_id,
                type=found.type,
                created=found.created_at_provider,
                payload=found.payload,
                livemode=found.livemode,
            )
        )
        _ask_provider_first(found, domain_events)
        with transaction.atomic():
            stored = WebhookEvent.objects.select_for_update().defer("payload").filter(pk=webhook_event_pk).first()
            if stored is None:
                return "missing"
            if stored.status not in PROCESSABLE:
                return stored.status
            return _apply(stored, domain_events)
    except Exception as exc:
        logger.exception("processing webhook event %s failed", webhook_event_pk)
        WebhookEvent.objects.filter(pk=webhook_event_pk).update(
            status=WebhookEvent.Status.FAILED,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            attempts=F("attempts") + 1,
        )
        raise
    finally:
        _related_refs_asked.reset(asked)


def _ask_provider_first(stored: WebhookEvent, domain_events: list[DomainEvent]) -> None:
    """Fill find_payment's per-event answers before the row is locked: the provider's other ids for each refund or
    dispute whose payment our ids do not find. An event that already waited asked on its first check; the ids it
    got then are kept on it and are not asked for again on every check."""
    answers = _related_refs_asked.get()
    if answers is None:
        return
    asked_before = waiting.decode(stored.waiting_for)
    for domain_event in domain_events:
        refs = waiting.payment_refs(domain_event)
        key = (stored.provider, refs)
        if not any(refs) or key in answers or _payment_by_refs(stored.provider, refs) is not None:
            continue
        if asked_before:
            answers[key] = tuple(ref for ref in asked_before if ref not in refs)
        else:
            answers[key] = get_provider(stored.provider).related_payment_refs(refs=refs)


def _apply(stored: WebhookEvent, domain_events: list[DomainEvent]) -> str:
    """Dispatch under the row lock and record the outcome: processed, ignored, not ours, or waiting for the payment
    a refund or dispute names. A payment recorded here wakes the refunds and disputes waiting for it."""
    now = timezone.now()
    status: str
    if not domain_events:
        status = WebhookEvent.Status.IGNORED
    else:
        ours = False
        for domain_event in domain_events:
            ours = apply_domain_event(domain_event, webhook_event=stored) or ours
        if not ours and (missing := _unmatched_refs(stored.provider, domain_events)):
            status = waiting.settle_unmatched(stored, domain_events=domain_events, refs=missing, now=now)
            if status == WebhookEvent.Status.WAITING:
                # Its payment may be committed by another worker after this check and before this commit, too late
                # to wake it: look once more when this commits (the payment's own wake runs after its commit).
                transaction.on_commit(lambda: _check_again_if_recorded(stored.pk, stored.provider, missing))
            return status
        status = WebhookEvent.Status.PROCESSED if ours else WebhookEvent.Status.NOT_OURS
    stored.status = status
    stored.processed_at = now
    stored.attempts += 1
    stored.last_error = ""
    stored.retry_at = None
    stored.save(update_fields=["status", "processed_at", "attempts", "last_error", "retry_at"])
    if status == WebhookEvent.Status.PROCESSED and (recorded := waiting.recorded_refs(domain_events)):
        # After commit, so a refund settling as waiting at this moment is either seen here or sees the payment.
        transaction.on_commit(
            lambda: waiting.wake_events_waiting_for(
                provider_id=stored.provider, refs=recorded, enqueue=queue_event_processing
            )
        )
    return status


def apply_domain_event(event: DomainEvent, *, webhook_event: WebhookEvent | None = None) -> bool:
    """What one translated event changes, in the caller's transaction; True when it was ours.

    The pipeline owns the payment facts: it links the provider's customer to the reader the product names, records
    the payment, its refund or its dispute, and tells the listeners (the receipt) before handing the single owning
    product only its own meaning of the event. A refund or
    dispute belongs to whoever owns the payment it names; anything else to the product that claims it."""
    with transaction.atomic():  # a savepoint under the event's row lock; its own transaction when called alone
        return _apply_domain_event(event, webhook_event=webhook_event)


def _apply_domain_event(event: DomainEvent, *, webhook_event: WebhookEvent | None) -> bool:
    if isinstance(event, PaymentRefunded | PaymentDisputed):
        return _apply_to_recorded_payment(event, webhook_event=webhook_event)
    owner = registry.owner_of(event)
    if owner is None:
        return False
    product, claim = owner
    # Whose provider customer this is, so later checkouts and the card portal reuse it (first link wins).
    link_customer(provider_id=event.provider, customer_id=getattr(event, "customer_id", None), user_id=claim.user_id)
    if isinstance(event, PaymentSucceeded):
        payment, created = record_payment(event=event, purpose=product.purpose, user_id=claim.user_id)
        for listener in registry.listeners():  # idempotent: a replay also re-requests a lost receipt
            listener.payment_recorded(payment_id=payment.pk)
        product.payment_succeeded(event, claim=claim, payment=payment, created=created, webhook_event=webhook_event)
    elif isinstance(event, CheckoutCompleted):
        product.checkout_completed(event, claim=claim, webhook_event=webhook_event)
    elif isinstance(event, SubscriptionChanged):
        product.subscription_changed(event, claim=claim, webhook_event=webhook_event)
    elif isinstance(event, PaymentFailed):
        product.payment_failed(event, claim=claim, webhook_event=webhook_event)
    return True


def _apply_to_recorded_payment(event: PaymentRefunded | PaymentDisputed, *, webhook_event: WebhookEvent | None) -> bool:
    payment = find_payment(provider_id=event.provider, refs=event.payment_refs)
    if payment is None:
        return False  # not ours, or ours and not recorded yet: _apply decides whether it waits
    product = registry.product_for(payment.purpose)
    if isinstance(event, PaymentRefunded):
        refunded_before = payment.amount_refunded_minor
        payment = apply_refund(payment=payment, event=event)
        for listener in registry.listeners():
            listener.refund_recorded(payment_id=payment.pk)
        if product is not None:
            product.payment_refunded(
                event, payment=payment, refunded_before=refunded_before, webhook_event=webhook_event
            )
    else:
        was_disputed = payment.status == Payment.Status.DISPUTED
        payment = apply_dispute(payment=payment, event=event)
        if product is not None:
            product.payment_disputed(event, payment=payment, was_disputed=was_disputed, webhook_event=webhook_event)
    return True


def _check_again_if_recorded(webhook_event_pk: int, provider_id: str, refs: tuple[str, ...]) -> None:
    if _payment_by_refs(provider_id, refs) is not None:
        waiting.wake(webhook_event_pks=[webhook_event_pk], enqueue=queue_event_processing)


def _unmatched_refs(provider_id: str, domain_events: list[DomainEvent]) -> tuple[str, ...]:
    """The ids (ours and the provider's other ones) of payments that refunds or disputes here name and we do not
    hold."""
    answers = _related_refs_asked.get() or {}
    missing: list[str] = []
    for domain_event in domain_events:
        refs = waiting.payment_refs(domain_event)
        named = (*refs, *answers.get((provider_id, refs), ()))
        if any(refs) and _payment_by_refs(provider_id, named) is None:
            missing += named
    return tuple(dict.fromkeys(ref for ref in missing if ref))


def requeue_stuck_events(*, now: datetime | None = None) -> int:
    """Queue again every event that should have been processed by now (lost enqueue, broker outage, crash)."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.WEBHOOK_REQUEUE_AFTER_MINUTES)
    stuck = list(
        WebhookEvent.objects.filter(received_at__lt=cutoff, attempts__lt=MAX_PROCESSING_ATTEMPTS)
        .filter(status__in=[WebhookEvent.Status.RECEIVED, WebhookEvent.Status.FAILED])
        .filter(Q(requeued_at__isnull=True) | Q(requeued_at__lt=cutoff))
        .order_by("created_at_provider")
        .values_list("pk", flat=True)[:1000]
    )
    WebhookEvent.objects.filter(pk__in=stuck).update(requeued_at=now)
    # Refunds and disputes waiting for their payment are checked when their own time comes, however old they are,
    # and not when it has not: never given up by the bound on failures, never re-run in a loop.
    stuck += waiting.due_for_a_check(now=now, lease=timedelta(minutes=settings.WEBHOOK_REQUEUE_AFTER_MINUTES))
    for pk in stuck:
        queue_event_processing(pk)
    return len(stuck)


def events_needing_staff() -> dict[str, int]:
    """What the pipeline gave up on, for the health check and the admin: refunds and disputes of ours whose payment
    never arrived, and events that failed every attempt. Both stay until staff or a late payment settle them."""
    return {
        "unmatched": WebhookEvent.objects.filter(status=WebhookEvent.Status.UNMATCHED).count(),
        "failed": WebhookEvent.objects.filter(
            status=WebhookEvent.Status.FAILED, attempts__gte=MAX_PROCESSING_ATTEMPTS
        ).count(),
    }


def set_aside_unmatched(*, webhook_event_pks: list[int], staff_user_id: int, note: str = "") -> int:
    """Staff settled refunds or disputes whose payment never arrived (by hand, with the provider): they stop being
    flagged. Still woken if the payment is ever recorded, so the money is never left half applied."""
    reason = f"Set aside by staff user {staff_user_id}" + (f": {note.strip()}" if note.strip() else ".")
    return WebhookEvent.objects.filter(pk__in=webhook_event_pks, status=WebhookEvent.Status.UNMATCHED).update(
        status=WebhookEvent.Status.NOT_OURS, last_error=reason[:2000]
    )


def reconcile_provider_events(*, provider_id: str | None = None, now: datetime | None = None) -> int:
    """Ingest events the provider holds that never reached us by webhook. Returns how many were new."""
    provider = get_provider(provider_id)
    now = now or timezone.now()
    cursor = ReconciliationCursor.objects.filter(provider=provider.id).first()
    since = max(cursor.synced_until - RECONCILIATION_OVERLAP, now - PROVIDER_EVENT_RETENTION) if cursor else None
    newest = cursor.synced_until if cursor else None
    ingested = 0
    for event in provider.events_since(created_after=since):
        try:
            _, created = ingest_event(provider_id=provider.id, event=event, via=WebhookEvent.Via.RECONCILIATION)
        except UnstorableEvent as exc:  # refused at the webhook too; one such event must not stop the others
            logger.warning("reconciliation skipped %s event %s: %s", provider.id, event.id[:80], exc)
            created = False
        ingested += int(created)
        newest = max(newest, event.created) if newest else event.created
    if newest is not None:
        ReconciliationCursor.objects.update_or_create(
            provider=provider.id,
            defaults={"synced_until": newest, "last_run_ingested": ingested},
        )
    return ingested


# --- Payments and customers ---------------------------------------------------------------------------------


def link_customer(*, provider_id: str, customer_id: str | None, user_id: int | None) -> None:
    """Remember whose customer this is, so later checkouts and the card portal reuse it."""
    if not customer_id or not user_id:
        return
    if ProviderCustomer.objects.filter(provider=provider_id, customer_id=customer_id).exists():
        return
    if ProviderCustomer.objects.filter(provider=provider_id, user_id=user_id).exists():
        return  # keep the first; a second customer for one reader changes nothing we rely on
    try:
        with transaction.atomic():
            ProviderCustomer.objects.create(provider=provider_id, customer_id=customer_id, user_id=user_id)
    except IntegrityError:
        pass


def link_customers(*, provider_id: str, user_id_by_customer: Mapping[str, int]) -> int:
    """link_customer for many customers at once (a member import): the same rules (the first link of a customer and
    of a user wins), in a few queries per 2,000 instead of three each. Returns how many links were made."""
    wanted = {customer_id: user_id for customer_id, user_id in user_id_by_customer.items() if customer_id and user_id}
    customers, users = sorted(wanted), sorted(set(wanted.values()))
    taken = {
        c
        for i in range(0, len(customers), 2000)
        for c in ProviderCustomer.objects.filter(
            provider=provider_id, customer_id__in=customers[i : i + 2000]
        ).values_list("customer_id", flat=True)
    }
    linked_users = {
        u
        for i in range(0, len(users), 2000)
        for u in ProviderCustomer.objects.filter(provider=provider_id, user_id__in=users[i : i + 2000]).values_list(
            "user_id", flat=True
        )
    }
    new = []
    for customer_id, user_id in wanted.items():
        if customer_id in taken or user_id in linked_users:
            continue
        linked_users.add(user_id)
        new.append(ProviderCustomer(provider=provider_id, customer_id=customer_id, user_id=user_id))
    ProviderCustomer.objects.bulk_create(new, batch_size=500, ignore_conflicts=True)
    return len(new)


def ensure_customer(*, provider: PaymentProvider, user_id: int, email: str) -> str:
    """The reader's customer at this provider, created (with our user id in its metadata) the first time."""
    existing = customer_id_for(provider_id=provider.id, user_id=user_id)
    if existing:
        return existing
    customer_id = provider.create_customer(
        email=email,
        metadata={"outlet_user": str(user_id)},
        idempotency_key=f"customer-for-user-{user_id}",
    )
    link_customer(provider_id=provider.id, customer_id=customer_id, user_id=user_id)
    return customer_id


def customer_id_for(*, provider_id: str, user_id: int) -> str | None:
    return (
        ProviderCustomer.objects.filter(provider=provider_id, user_id=user_id)
        .values_list("customer_id", flat=True)
        .first()
    )


def user_id_for_customer(*, provider_id: str, customer_id: str | None) -> int | None:
    if not customer_id:
        return None
    return (
        ProviderCustomer.objects.filter(provider=provider_id, customer_id=customer_id)
        .values_list("user_id", flat=True)
        .first()
    )


def record_payment(*, event: PaymentSucceeded, purpose: str, user_id: int | None) -> tuple[Payment, bool]:
    """The Payment row for a succeeded payment, created once however often the event arrives."""
    existing = Payment.objects.filter(provider=event.provider, provider_ref=event.payment_ref).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                provider=event.provider,
                provider_ref=event.payment_ref,
                other_refs=" ".join(event.other_refs),
                purpose=purpose,
                user_id=user_id,
                email=event.email,
                customer_id=event.customer_id or "",
                subscription_id=event.subscription_id or "",
                amount_minor=event.amount_minor,
                currency=event.currency.upper(),
                description=event.description[:200],
                paid_at=event.occurred_at,
                provider_receipt_url=event.provider_receipt_url,
                metadata=dict(event.metadata),
            )
    except IntegrityError:
        return Payment.objects.get(provider=event.provider, provider_ref=event.payment_ref), False
    return payment, True


def find_payment(*, provider_id: str, refs: tuple[str, ...]) -> Payment | None:
    """The payment a refund or dispute is about; asks the provider for its other ids when ours do not match."""
    payment = _payment_by_refs(provider_id, refs)
    if payment is None and refs:
        asked = _related_refs_asked.get()
        key = (provider_id, refs)
        if asked is None or key not in asked:
            related = get_provider(provider_id).related_payment_refs(refs=refs)
            if asked is not None:
                asked[key] = related
        else:
            related = asked[key]
        payment = _payment_by_refs(provider_id, related)
    return payment


def _payment_by_refs(provider_id: str, refs: tuple[str, ...]) -> Payment | None:
    refs = tuple(ref for ref in refs if ref)
    if not refs:
        return None
    query = Q(provider_ref__in=refs)
    for ref in refs:
        query |= Q(other_refs__contains=ref)
    return Payment.objects.filter(provider=provider_id).filter(query).first()


# A provider's id as staff paste it: "pi_3Nx…", "ch_…", "in_…", "sub_…", "sbx_ch_…".
PROVIDER_ID = re.compile(r"[a-z]{2,5}(?:_[a-z]{2,5})?_[A-Za-z0-9]{6,}")


def payment_ids_for_ref(*, ref: str, limit: int = 1000) -> list[int]:
    """The payments a provider id names, for staff search: our recorded id (on the (provider, provider_ref) unique
    index, so the providers are named), else a subscription's payments (indexed), else a charge or payment intent
    among the other ids (a scan: 0.2 s over a million payments at the bench)."""
    providers = sorted({*PROVIDER_IDS, settings.PAYMENT_PROVIDER})
    for lookup in (
        {"provider__in": providers, "provider_ref": ref},
        {"subscription_id": ref},
        {"other_refs__contains": ref},
    ):
        found = list(Payment.objects.filter(**lookup).order_by().values_list("pk", flat=True)[:limit])
        if found:
            return found
    return []


def apply_refund(*, payment: Payment, event: PaymentRefunded) -> Payment:
    """Record the provider's cumulative refunded amount; a replay or an older event never lowers it."""
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    refunded = min(max(payment.amount_refunded_minor, event.amount_refunded_minor), payment.amount_minor)
    if refunded == payment.amount_refunded_minor:
        return payment
    payment.amount_refunded_minor = refunded
    if payment.status != Payment.Status.DISPUTED:
        full = event.fully_refunded or refunded >= payment.amount_minor
        payment.status = Payment.Status.REFUNDED if full else Payment.Status.PARTIALLY_REFUNDED
    payment.save(update_fields=["amount_refunded_minor", "status"])
    return payment


def apply_dispute(*, payment: Payment, event: PaymentDisputed) -> Payment:
    Payment.objects.filter(pk=payment.pk).exclude(status=Payment.Status.DISPUTED).update(status=Payment.Status.DISPUTED)
    payment.refresh_from_db()
    return payment


class RefundRefused(Exception):
    """A refund staff asked for that we will not send to the provider, with a message for them."""


def request_refund(
    *,
    payment_id: int,
    amount_minor: int | None = None,
    staff_user_id: int | None = None,
    expected_refunded_minor: int | None = None,
) -> str:
    """Ask the provider to refund (all that is left when amount_minor is None). Nothing changes here: the payment,
    the gift or membership and the receipt change when the provider's refund event comes back through the intake.
    The idempotency key names the refunded level at the time of asking, so a double-click or a retried request
    refunds once, while a later, deliberate second partial refund gets its own key.

    expected_refunded_minor is the refunded amount staff saw when they confirmed: if a refund has been applied since
    (a second click after the first one's event came back), the request is refused instead of refunding again."""
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None:
        raise RefundRefused("This payment no longer exists.")
    remaining = payment.amount_minor - payment.amount_refunded_minor
    if remaining <= 0:
        raise RefundRefused("This payment has already been refunded in full.")
    if expected_refunded_minor is not None and expected_refunded_minor != payment.amount_refunded_minor:
        raise RefundRefused(
            "This payment was refunded while you were deciding "
            f"({format_money(payment.amount_refunded_minor, payment.currency)} "
            "refunded so far). Nothing more was refunded; check the amounts and try again if more is needed."
        )
    amount = remaining if amount_minor is None else amount_minor
    if amount <= 0 or amount > remaining:
        raise RefundRefused(
            "The refund must be more than 0 and at most what is left to refund "
            f"({format_money(remaining, payment.currency)})."
        )
    level = payment.amount_refunded_minor if expected_refunded_minor is None else expected_refunded_minor
    key = f"refund-{payment.provider}-{payment.provider_ref}-from-{level}-by-{amount}"
    try:
        refund_id = get_provider(payment.provider).refund(
            payment_ref=payment.provider_ref, amount_minor=amount, idempotency_key=key
        )
    except ProviderError as exc:
        raise RefundRefused(f"The payment provider refused the refund: {exc}") from exc
    logger.info(
        "staff user %s asked for refund %s of %s %s on payment %s",
        staff_user_id,
        refund_id,
        amount,
        payment.currency,
        payment.pk,
    )
    return refund_id


def reprocess_events(*, webhook_event_pks: list[int]) -> int:
    """Staff's "process again": mark the events received and queue them. Handlers are idempotent, so an event
    that was already applied changes nothing; one that failed or was handled by older code is applied now."""
    updated = WebhookEvent.objects.filter(pk__in=webhook_event_pks).update(
        status=WebhookEvent.Status.RECEIVED, last_error=""
    )
    for pk in webhook_event_pks:

        def queue(pk: int = pk) -> None:  # a def, not a lambda: mypy cannot infer a lambda with a default argument
            queue_event_processing(pk)

        transaction.on_commit(queue)
    return updated


# --- Retention ----------------------------------------------------------------------------------------------


def forget_payer_emails(*, purpose: str, paid_before: datetime, batch_size: int = 2000) -> int:
    """Blank the payer's email on payments older than the product's retention period. Amounts, ids and refund
    state stay, so receipts' numbers, refunds and totals still reconcile."""
    return in_batches(
        Payment.objects.filter(purpose=purpose, paid_at__lt=paid_before).exclude(email=""),
        lambda ids: Payment.objects.filter(pk__in=ids).update(email=""),
        batch_size=batch_size,
    )


def prune_webhook_events(*, received_before: datetime, batch_size: int = 2000) -> int:
    """Delete stored provider events (their raw payloads name payers) older than any retention period: the
    provider keeps nothing that old to reconcile against, and the state they built is in our own rows."""
    return in_batches(
        WebhookEvent.objects.filter(received_at__lt=received_before),
        lambda ids: WebhookEvent.objects.filter(pk__in=ids).delete()[0],
        batch_size=batch_size,
    )
