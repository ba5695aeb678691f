"""The payment pipeline's domain events, as they concern donations. Registered in DonationsConfig.ready().

Each handler answers "was this ours?". Donations are recognised by our metadata (outlet_purpose=donation and the
checkout reference) or by a monthly gift's subscription we already follow."""

from __future__ import annotations

from donations import abuse, services
from donations.models import RecurringDonation
from outlet.payments import registry
from outlet.payments.providers.base import (
    OUR_MARKER,
    CheckoutCompleted,
    DomainEvent,
    PaymentDisputed,
    PaymentFailed,
    PaymentRefunded,
    PaymentSucceeded,
    SubscriptionChanged,
)
from outlet.receipts import services as receipts


def _is_donation(event: DomainEvent, *, subscription_id: str | None = None) -> bool:
    if event.metadata.get(OUR_MARKER) == services.DONATION:
        return True
    if event.metadata.get(OUR_MARKER) is None and subscription_id:
        return RecurringDonation.objects.filter(provider=event.provider, subscription_id=subscription_id).exists()
    return False


def on_checkout_completed(event: CheckoutCompleted, *, webhook_event) -> bool:
    # The donation itself is recorded from PaymentSucceeded; completing the checkout only proves it was ours.
    return _is_donation(event)


def on_subscription_changed(event: SubscriptionChanged, *, webhook_event) -> bool:
    if not _is_donation(event, subscription_id=event.subscription_id):
        return False
    services.apply_recurring_state(event=event)
    return True


def on_payment_succeeded(event: PaymentSucceeded, *, webhook_event) -> bool:
    if not _is_donation(event, subscription_id=event.subscription_id):
        return False
    donation, created = services.record_donation(event=event)
    if donation is not None:
        receipts.request_receipt(payment_id=donation.payment_id)  # idempotent: also re-requests a lost one
    return donation is not None


def on_payment_failed(event: PaymentFailed, *, webhook_event) -> bool:
    if not _is_donation(event, subscription_id=event.subscription_id):
        return False
    if (
        event.subscription_id is None
    ):  # a card declined at checkout; a monthly gift's failed renewal is not card testing
        abuse.record_decline(
            occurred_at=event.occurred_at,
            reference=event.payment_ref,
            card_fingerprint=event.card_fingerprint,
            checkout_reference=event.metadata.get("outlet_checkout"),
        )
    return True


def on_payment_refunded(event: PaymentRefunded, *, webhook_event) -> bool:
    donation = services.refund_donation(event=event)
    if donation is None:
        return False
    receipts.reflect_refund(payment_id=donation.payment_id)
    return True


def on_payment_disputed(event: PaymentDisputed, *, webhook_event) -> bool:
    return services.dispute_donation(event=event) is not None


def register_handlers() -> None:
    registry.register(CheckoutCompleted, on_checkout_completed)
    registry.register(SubscriptionChanged, on_subscription_changed)
    registry.register(PaymentSucceeded, on_payment_succeeded)
    registry.register(PaymentFailed, on_payment_failed)
    registry.register(PaymentRefunded, on_payment_refunded)
    registry.register(PaymentDisputed, on_payment_disputed)
