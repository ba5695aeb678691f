"""Fixtures for the Stripe webhook tests: the real StripeProvider with a recording HTTP client, and a reader."""

from __future__ import annotations

import time

import pytest

from outlet.payments import providers
from outlet.payments.providers.stripe.adapter import StripeProvider
from tests.donations.conftest import campaign  # noqa: F401
from tests.factories import UserFactory
from tests.payments import stripe_objects as so

SECRET = "whsec_test_outlet_webhooks"
KEY = "sk_test_outlet_webhooks_not_a_real_key"


@pytest.fixture
def stripe_http(settings):
    """The real StripeProvider, keyed from settings, talking to a RecordingHTTPClient instead of Stripe."""
    settings.STRIPE_SECRET_KEY = KEY
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    http = so.RecordingHTTPClient()
    providers.reset_providers()
    real_build = providers._build
    provider = StripeProvider(
        secret_key=settings.STRIPE_SECRET_KEY, webhook_secret=settings.STRIPE_WEBHOOK_SECRET, http_client=http
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            providers, "_build", lambda provider_id: provider if provider_id == "stripe" else real_build(provider_id)
        )
        yield http
    providers.reset_providers()
    assert http.pending == 0, "a canned Stripe response was never requested"


@pytest.fixture
def user(priced_tiers, stripe_http):
    return UserFactory(username="lela", email="lela@example.org", first_name="Lela")


@pytest.fixture
def t0():
    """A recent provider time to order events by (an hour ago: well inside every window)."""
    return int(time.time()) - 3600
