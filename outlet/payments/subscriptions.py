"""The calls a product makes about its subscription at the provider, written once for memberships and monthly gifts.

Each call's idempotency key comes from the subscription's last reported state (ProviderSubscription.idempotency_key),
never from a random value, so a retried request never acts twice. Errors are the provider's (ProviderError); the
product turns them into its own words."""

from __future__ import annotations

from outlet.payments.models import ProviderSubscription
from outlet.payments.providers import get_provider
from outlet.payments.providers.base import PriceSpec


def change_price(subscription: ProviderSubscription, *, price: PriceSpec, request: str) -> None:
    """Move the subscription to `price` (the provider prorates). `request` names the change in the key."""
    get_provider(subscription.provider).change_subscription_price(
        subscription_id=subscription.provider_subscription_ref,
        price=price,
        idempotency_key=subscription.idempotency_key(request),
    )


def set_renewal(subscription: ProviderSubscription, *, renew: bool) -> None:
    """renew=False ends it at the end of the period paid for; renew=True keeps it going."""
    get_provider(subscription.provider).set_cancel_at_period_end(
        subscription_id=subscription.provider_subscription_ref,
        cancel=not renew,
        idempotency_key=subscription.idempotency_key(f"renew-{int(renew)}"),
    )


def cancel_now(subscription: ProviderSubscription) -> None:
    """End it today: no further charges."""
    get_provider(subscription.provider).cancel_subscription_now(
        subscription_id=subscription.provider_subscription_ref,
        idempotency_key=subscription.idempotency_key("cancel-now"),
    )
