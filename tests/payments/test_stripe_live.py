"""What only real Stripe can show (STRIPE-TESTING.md §5): a real test-mode customer, price and hosted Checkout
Session made by our adapter. Runs only on a machine with internet and a Stripe test-mode key; everywhere else it
is skipped with that reason (these machines cannot reach Stripe)."""

from __future__ import annotations

import os
import uuid

import pytest

from outlet.payments.providers.base import OUR_MARKER, CheckoutRequest, PriceSpec
from outlet.payments.providers.stripe.adapter import StripeProvider

KEY = os.environ.get("STRIPE_TEST_SECRET_KEY", "")
pytestmark = [
    pytest.mark.stripe_live,
    pytest.mark.skipif(
        not KEY, reason="set STRIPE_TEST_SECRET_KEY (a Stripe test-mode key, sk_test_...) and run with internet"
    ),
]


def test_a_real_test_mode_membership_checkout_opens_on_stripe():
    assert KEY.startswith("sk_test_"), "never run this against a live key"
    provider = StripeProvider(secret_key=KEY, webhook_secret="whsec_unused")
    run = uuid.uuid4().hex[:10]
    customer = provider.create_customer(
        email=f"outlet-live-test-{run}@example.org",
        metadata={"outlet_user": "0"},
        idempotency_key=f"live-test-customer-{run}",
    )
    redirect = provider.start_checkout(
        request=CheckoutRequest(
            purpose="membership",
            reference=run,
            email=f"outlet-live-test-{run}@example.org",
            customer_id=customer,
            success_url="https://example.org/welcome/",
            cancel_url="https://example.org/membership/",
            metadata={OUR_MARKER: "membership", "outlet_user": "0", "outlet_tier": "supporter"},
            recurring=PriceSpec(
                lookup_key="outlet:live-test:month:gel:1500",
                product_name="Outlet live test",
                interval="month",
                currency="GEL",
                amount_minor=1500,
            ),
        ),
        idempotency_key=f"live-test-checkout-{run}",
    )
    assert redirect.session_id.startswith("cs_test_")
    assert redirect.url.startswith("https://checkout.stripe.com/")
    portal = provider.open_portal(customer_id=customer, return_url="https://example.org/account/")
    assert portal.startswith("https://billing.stripe.com/")
