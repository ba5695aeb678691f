"""What the payment pipeline's events mean for memberships: the membership product, registered with the pipeline in
MembersConfig.ready().

The pipeline asks `claim` "is this ours, and whose?" (an event carrying none of our metadata and naming no
subscription we follow belongs to another product on the same provider account), records the payment facts
itself (the payment, its refund or dispute, the receipt request), and then calls the method for the event."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from members import lifecycle, services
from members.models import MemberEvent, Membership
from outlet.common.money import format_money
from outlet.payments import registry
from outlet.payments import services as payments
from outlet.payments.models import Payment, WebhookEvent
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
from outlet.payments.registry import Claim

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


def _reader(claim: Claim) -> int:
    """A membership is always someone's: claim() answers only with a reader."""
    assert claim.user_id is not None
    return claim.user_id


class MembershipProduct(registry.Product):
    purpose = MEMBERSHIP

    def claim(self, event: DomainEvent) -> Claim | None:
        if isinstance(event, CheckoutCompleted):
            user_id = _user_id(event) if event.metadata.get(OUR_MARKER) == MEMBERSHIP else None
        elif isinstance(event, PaymentSucceeded) and not event.subscription_id:
            # A one-time payment is a membership's only when our marker says so (else a gift, or not ours).
            user_id = _user_id(event, customer_id=event.customer_id) if event.metadata.get(OUR_MARKER) else None
        elif isinstance(event, SubscriptionChanged | PaymentSucceeded | PaymentFailed):
            user_id = _user_id(event, customer_id=event.customer_id, subscription_id=event.subscription_id)
        else:
            user_id = None
        return Claim(user_id=user_id) if user_id is not None else None

    def checkout_completed(self, event: CheckoutCompleted, *, claim: Claim, webhook_event: WebhookEvent | None) -> None:
        lifecycle.mark_checkout_completed(
            reference=event.reference or event.metadata.get("outlet_checkout", ""),
            user_id=_reader(claim),
            occurred_at=event.occurred_at,
            webhook_event=webhook_event,
        )

    def subscription_changed(
        self, event: SubscriptionChanged, *, claim: Claim, webhook_event: WebhookEvent | None
    ) -> None:
        user_id = _reader(claim)
        tier = services.tier_for_lookup_key(event.price_lookup_key) or services.tier_by_slug(
            event.metadata.get("outlet_tier")
        )
        lifecycle.apply_subscription_state(user_id=user_id, reported=event, tier=tier, webhook_event=webhook_event)

    def payment_succeeded(
        self,
        event: PaymentSucceeded,
        *,
        claim: Claim,
        payment: Payment,
        created: bool,
        webhook_event: WebhookEvent | None,
    ) -> None:
        user_id = _reader(claim)
        if not created:
            return  # a replay: the period was extended when the payment was first recorded
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
            amount_minor=event.amount_minor,
            currency=event.currency,
            period_end=event.period_end,
            occurred_at=event.occurred_at,
            webhook_event=webhook_event,
        )

    def payment_failed(self, event: PaymentFailed, *, claim: Claim, webhook_event: WebhookEvent | None) -> None:
        membership = Membership.objects.filter(user_id=_reader(claim)).first()
        if membership is None:
            return  # a first payment that failed: nobody was a member, nothing to change
        lifecycle.record_membership_payment_failed(
            membership=membership,
            occurred_at=event.occurred_at,
            attempt=event.attempt,
            payment_ref=event.payment_ref,
            webhook_event=webhook_event,
        )

    def payment_refunded(
        self, event: PaymentRefunded, *, payment: Payment, refunded_before: int, webhook_event: WebhookEvent | None
    ) -> None:
        if payment.user_id and payment.amount_refunded_minor != refunded_before:
            lifecycle.record_payment_problem(
                user_id=payment.user_id,
                kind=MemberEvent.Kind.REFUNDED,
                webhook_event=webhook_event,
                # Translators: on the member's account page, e.g. "Refunded GEL 5.00 of GEL 15.00".
                summary=_("Refunded %(refunded)s of %(amount)s")
                % {
                    "refunded": format_money(payment.amount_refunded_minor, payment.currency),
                    "amount": format_money(payment.amount_minor, payment.currency),
                },
            )

    def payment_disputed(
        self, event: PaymentDisputed, *, payment: Payment, was_disputed: bool, webhook_event: WebhookEvent | None
    ) -> None:
        if payment.user_id and not was_disputed:
            lifecycle.record_payment_problem(
                user_id=payment.user_id,
                kind=MemberEvent.Kind.DISPUTED,
                webhook_event=webhook_event,
                # Translators: %(reason)s is the card network's reason code (e.g. "fraudulent") or "no reason given".
                summary=_("Payment of %(amount)s disputed (%(reason)s)")
                % {
                    "amount": format_money(payment.amount_minor, payment.currency),
                    "reason": event.reason or _("no reason given"),
                },
            )


def register_handlers() -> None:
    registry.register_product(MembershipProduct())
