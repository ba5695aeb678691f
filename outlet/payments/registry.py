"""The products the payment pipeline serves, and who hears of the payment facts it records.

members/ and donations/ each register one Product in AppConfig.ready(); receipts register as a listener of payment
facts. This package never imports either (dependencies point one way). The pipeline (services.apply_domain_event)
resolves the single product that owns an event, records the payment fact itself (a payment, a refund, a dispute),
tells the listeners, and hands the product only its own meaning of the event (a membership period, a gift's
allocation)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

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

if TYPE_CHECKING:
    from outlet.payments.models import Payment, WebhookEvent


@dataclass(frozen=True)
class Claim:
    """A product's answer "this event is mine": whose it is (None for a guest donor)."""

    user_id: int | None = None


class Product:
    """What a product tells the pipeline. `purpose` is both the Payment.purpose of its payments and the value of
    OUR_MARKER in the metadata of what it creates at the provider. Every method but `claim` is told of an event the
    product owns, after the pipeline recorded its payment fact; each must be safe to run again (a replayed event)."""

    purpose: str
    # The permission a staff member needs to see this product's payments and receipts in the platform's own admin
    # lists (payments, receipts); empty: anyone who may see payments. Gifts name donors who may have asked for
    # privacy, so only staff who may see gifts see their payments and receipts.
    staff_view_permission: str = ""

    def claim(self, event: DomainEvent) -> Claim | None:
        """Is this event (a checkout, a subscription, a payment made or failed) ours, and whose? Asked when the
        event carries our marker naming this product, or no marker at all (then: do we follow what it names?)."""
        return None

    def checkout_completed(self, event: CheckoutCompleted, *, claim: Claim, webhook_event: WebhookEvent | None) -> None:
        return None

    def subscription_changed(
        self, event: SubscriptionChanged, *, claim: Claim, webhook_event: WebhookEvent | None
    ) -> None:
        return None

    def payment_succeeded(
        self,
        event: PaymentSucceeded,
        *,
        claim: Claim,
        payment: Payment,
        created: bool,
        webhook_event: WebhookEvent | None,
    ) -> None:
        return None

    def payment_failed(self, event: PaymentFailed, *, claim: Claim, webhook_event: WebhookEvent | None) -> None:
        return None

    def payment_refunded(
        self, event: PaymentRefunded, *, payment: Payment, refunded_before: int, webhook_event: WebhookEvent | None
    ) -> None:
        return None

    def payment_disputed(
        self, event: PaymentDisputed, *, payment: Payment, was_disputed: bool, webhook_event: WebhookEvent | None
    ) -> None:
        return None


class PaymentFactsListener(Protocol):
    """Told of every payment fact recorded, inside the transaction that records it (the receipts)."""

    def payment_recorded(self, *, payment_id: int) -> None: ...

    def refund_recorded(self, *, payment_id: int) -> None: ...


_products: dict[str, Product] = {}
_listeners: list[PaymentFactsListener] = []


def register_product(product: Product) -> None:
    _products[product.purpose] = product


def purposes_hidden_from(user: Any) -> list[str]:
    """The payment purposes whose payments and receipts this staff member may not list (see staff_view_permission)."""
    return [
        product.purpose
        for product in _products.values()
        if product.staff_view_permission and not user.has_perm(product.staff_view_permission)
    ]


def register_listener(listener: PaymentFactsListener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def listeners() -> tuple[PaymentFactsListener, ...]:
    return tuple(_listeners)


def product_for(purpose: str) -> Product | None:
    return _products.get(purpose)


def owner_of(event: DomainEvent) -> tuple[Product, Claim] | None:
    """The single product that owns the event: the one our marker names, else the first that follows what the
    event names (a subscription, a customer). None when no product claims it: another product's event."""
    marker = event.metadata.get(OUR_MARKER)
    if marker is not None:
        candidates = [_products[marker]] if marker in _products else []
    else:
        candidates = list(_products.values())
    for product in candidates:
        claim = product.claim(event)
        if claim is not None:
            return product, claim
    return None
