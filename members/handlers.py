"""The payment pipeline's domain events, as they concern memberships. Registered in MembersConfig.ready().

Each handler answers "was this ours?": an event whose object carries none of our metadata and names no
subscription or payment we know belongs to another product on the same provider account."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from members import lifecycle, services
from members.models import MemberEvent, Membership
from outlet.common.money import format_money
from outlet.payments import registry
from outlet.payments import services as payments
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

MEMBERSHIP = "membership"


def _user_id(event: DomainEvent, *, customer_id: str | None = None, subscription_id: str | None = None) -> int | None:
    """Whose event this is: our metadata first, then the customer or subscription we already know."""
    if event.metadata.get(OUR_MARKER) not in (None, MEMBERSHIP):
        return None
    raw = event.metadata.get("outlet_user", "")
    if raw.isdigit() and get_user_model().objects.filter(pk=int(raw)).exists():
        return int(raw)  # (an account deleted since is nobody's: the event is stored and changes nothing)
    if subscription_id:
        user_id = (
            Membership.objects.filter(provider=event.provider, provider_subscription_id=subscription_id)
            .values_list("user_id", flat=True)
            .first()
        )
        if user_id:
            return user_id
    if event.metadata.get(OUR_MARKER) == MEMBERSHIP:
        return payments.user_id_for_customer(provider_id=event.provider, customer_id=customer_id)
    return None


def on_checkout_completed(event: CheckoutCompleted, *, webhook_event) -> bool:
    if event.metadata.get(OUR_MARKER) != MEMBERSHIP:
        return False
    user_id = _user_id(event)
    if user_id is None:
        return False
    payments.link_customer(provider_id=event.provider, customer_id=event.customer_id, user_id=user_id)
    lifecycle.mark_checkout_completed(
        reference=event.reference or event.metadata.get("outlet_checkout", ""),
        user_id=user_id,
        occurred_at=event.occurred_at,
        webhook_event=webhook_event,
    )
    return True


def on_subscription_changed(event: SubscriptionChanged, *, webhook_event) -> bool:
    user_id = _user_id(event, customer_id=event.customer_id, subscription_id=event.subscription_id)
    if user_id is None:
        return False
    payments.link_customer(provider_id=event.provider, customer_id=event.customer_id, user_id=user_id)
    tier = services.tier_for_lookup_key(event.price_lookup_key) or services.tier_by_slug(
        event.metadata.get("outlet_tier")
    )
    lifecycle.apply_subscription_state(user_id=user_id, reported=event, tier=tier, webhook_event=webhook_event)
    return True


def subscription_implied_by(invoice: PaymentSucceeded) -> SubscriptionChanged:
    """What a paid invoice says of a subscription we have not heard of yet: active, at this price, paid until the
    invoice's period end. Ranked -1, below every real subscription event, so the provider's own view replaces it."""
    return SubscriptionChanged(
        provider=invoice.provider,
        event_id=invoice.event_id,
        occurred_at=invoice.occurred_at,
        metadata=invoice.metadata,
        subscription_id=invoice.subscription_id or "",
        customer_id=invoice.customer_id or "",
        status="active",
        amount_minor=invoice.amount_minor,
        currency=invoice.currency,
        current_period_end=invoice.period_end,
        sequence_rank=-1,
    )


def on_payment_succeeded(event: PaymentSucceeded, *, webhook_event) -> bool:
    if not event.subscription_id and event.metadata.get(OUR_MARKER) != MEMBERSHIP:
        return False  # a one-time payment: a donation, or not ours
    user_id = _user_id(event, customer_id=event.customer_id, subscription_id=event.subscription_id)
    if user_id is None:
        return False
    payments.link_customer(provider_id=event.provider, customer_id=event.customer_id, user_id=user_id)
    payment, created = payments.record_payment(event=event, purpose=MEMBERSHIP, user_id=user_id)
    receipts.request_receipt(payment_id=payment.pk)  # idempotent: a replay also re-requests a lost one
    if not created:
        return True
    membership = Membership.objects.filter(user_id=user_id).first()
    if membership is not None and membership.provider_subscription_id not in ("", event.subscription_id):
        membership = None  # a payment for a subscription we no longer follow: recorded, changes no access
    if membership is None and event.subscription_id:
        # The invoice arrived before the subscription event: its metadata is the subscription's, so join now.
        lifecycle.apply_subscription_state(
            user_id=user_id,
            reported=subscription_implied_by(event),
            tier=services.tier_by_slug(event.metadata.get("outlet_tier")),
            webhook_event=webhook_event,
        )
        membership = Membership.objects.filter(user_id=user_id).first()
    lifecycle.record_membership_payment(
        membership=membership,
        user_id=user_id,
        amount_text=format_money(event.amount_minor, event.currency),
        period_end=event.period_end,
        occurred_at=event.occurred_at,
        webhook_event=webhook_event,
    )
    return True


def on_payment_failed(event: PaymentFailed, *, webhook_event) -> bool:
    user_id = _user_id(event, customer_id=event.customer_id, subscription_id=event.subscription_id)
    if user_id is None:
        return False
    membership = Membership.objects.filter(user_id=user_id).first()
    if membership is None:
        return True  # a first payment that failed: nobody was a member, nothing to change
    lifecycle.record_membership_payment_failed(
        membership=membership,
        occurred_at=event.occurred_at,
        attempt=event.attempt,
        payment_ref=event.payment_ref,
        webhook_event=webhook_event,
    )
    return True


def on_payment_refunded(event: PaymentRefunded, *, webhook_event) -> bool:
    payment = payments.find_payment(provider_id=event.provider, refs=event.payment_refs)
    if payment is None or payment.purpose != MEMBERSHIP:
        return False
    before = payment.amount_refunded_minor
    payment = payments.apply_refund(payment=payment, event=event)
    if payment.amount_refunded_minor != before:
        receipts.reflect_refund(payment_id=payment.pk)
    if payment.user_id and payment.amount_refunded_minor != before:
        lifecycle.record_payment_problem(
            user_id=payment.user_id,
            kind=MemberEvent.Kind.REFUNDED,
            webhook_event=webhook_event,
            summary=(
                f"Refunded {format_money(payment.amount_refunded_minor, payment.currency)} of "
                f"{format_money(payment.amount_minor, payment.currency)}"
            ),
        )
    return True


def on_payment_disputed(event: PaymentDisputed, *, webhook_event) -> bool:
    payment = payments.find_payment(provider_id=event.provider, refs=event.payment_refs)
    if payment is None or payment.purpose != MEMBERSHIP:
        return False
    already = payment.status == payment.Status.DISPUTED
    payments.apply_dispute(payment=payment, event=event)
    if payment.user_id and not already:
        lifecycle.record_payment_problem(
            user_id=payment.user_id,
            kind=MemberEvent.Kind.DISPUTED,
            webhook_event=webhook_event,
            summary=(
                f"Payment of {format_money(payment.amount_minor, payment.currency)} disputed "
                f"({event.reason or 'no reason given'})"
            ),
        )
    return True


def register_handlers() -> None:
    registry.register(CheckoutCompleted, on_checkout_completed)
    registry.register(SubscriptionChanged, on_subscription_changed)
    registry.register(PaymentSucceeded, on_payment_succeeded)
    registry.register(PaymentFailed, on_payment_failed)
    registry.register(PaymentRefunded, on_payment_refunded)
    registry.register(PaymentDisputed, on_payment_disputed)
