"""Providers by id. The id is stored on every row that came from a provider, so a payment made through Stripe is
refunded through Stripe even after the active provider changes."""

from __future__ import annotations

from functools import cache

from django.conf import settings

from outlet.payments.providers.base import PaymentProvider

# Every provider id the code knows; settings, the webhook URL and staff search read this one list.
PROVIDER_IDS = ("stripe", "sandbox")


@cache
def _build(provider_id: str) -> PaymentProvider:
    if provider_id == "stripe":
        from outlet.payments.providers.stripe.adapter import StripeProvider

        return StripeProvider(secret_key=settings.STRIPE_SECRET_KEY, webhook_secret=settings.STRIPE_WEBHOOK_SECRET)
    if provider_id == "sandbox":
        from outlet.payments.providers.sandbox.provider import SandboxProvider

        return SandboxProvider()
    raise LookupError(f"unknown payment provider {provider_id!r}")


def get_provider(provider_id: str | None = None) -> PaymentProvider:
    """The named provider, or the active one (settings.PAYMENT_PROVIDER) when no id is given."""
    return _build(provider_id or settings.PAYMENT_PROVIDER)


def reset_providers() -> None:
    """Forget built providers (tests that change keys or swap the HTTP client)."""
    _build.cache_clear()
