"""What the payment pipeline's events mean for donations: the donation product, registered with the pipeline in
DonationsConfig.ready().

Donations are recognised by our metadata (outlet_purpose=donation and the checkout reference) or by a monthly gift's
subscription we already follow. The pipeline records the payment facts itself (the payment, its refund or dispute,
the receipt request); this product books the gift, its allocation and the campaign's totals."""

from __future__ import annotations

from donations import abuse, services
from donations.models import RecurringDonation
from outlet.payments import registry
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


def _is_donation(event: DomainEvent, *, subscription_id: str | None = None) -> bool:
    if event.metadata.get(OUR_MARKER) == services.DONATION:
        return True
    if event.metadata.get(OUR_MARKER) is None and subscription_id:
        return RecurringDonation.objects.filter(provider=event.provider, subscription_id=subscription_id).exists()
    return False


class DonationProduct(registry.Product):
    purpose = services.DONATION
    # Donors may have asked for privacy (outlet/privacy/admin_donors.py): their payments and receipts are listed only
    # to staff who may see gifts, not to the membership team.
    staff_view_permission = "donations.view_donation"

    def claim(self, event: DomainEvent) -> Claim | None:
        if isinstance(event, PaymentSucceeded):
            # A gift needs the checkout it was given from (directly, or through its monthly gift).
            checkout = (
                services.checkout_for_payment(event)
                if _is_donation(event, subscription_id=event.subscription_id)
                else None
            )
            return Claim(user_id=checkout.user_id) if checkout is not None else None
        if isinstance(event, SubscriptionChanged | PaymentFailed):
            return Claim() if _is_donation(event, subscription_id=event.subscription_id) else None
        if isinstance(event, CheckoutCompleted):
            # The gift itself is recorded from its payment; completing the checkout only proves it was ours.
            return Claim() if _is_donation(event) else None
        return None

    def subscription_changed(
        self, event: SubscriptionChanged, *, claim: Claim, webhook_event: WebhookEvent | None
    ) -> None:
        services.apply_recurring_state(event=event)

    def payment_succeeded(
        self,
        event: PaymentSucceeded,
        *,
        claim: Claim,
        payment: Payment,
        created: bool,
        webhook_event: WebhookEvent | None,
    ) -> None:
        services.record_donation(event=event, payment=payment)

    def payment_failed(self, event: PaymentFailed, *, claim: Claim, webhook_event: WebhookEvent | None) -> None:
        if (
            event.subscription_id is None
        ):  # a card declined at checkout; a monthly gift's failed renewal is not card testing
            abuse.record_decline(
                occurred_at=event.occurred_at,
                reference=event.payment_ref,
                card_fingerprint=event.card_fingerprint,
                checkout_reference=event.metadata.get("outlet_checkout"),
            )

    def payment_refunded(
        self, event: PaymentRefunded, *, payment: Payment, refunded_before: int, webhook_event: WebhookEvent | None
    ) -> None:
        services.refund_donation(payment=payment, occurred_at=event.occurred_at)

    def payment_disputed(
        self, event: PaymentDisputed, *, payment: Payment, was_disputed: bool, webhook_event: WebhookEvent | None
    ) -> None:
        services.dispute_donation(payment=payment)


def register_handlers() -> None:
    registry.register_product(DonationProduct())
