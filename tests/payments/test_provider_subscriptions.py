"""The provider port's subscriptions_for_customer: a customer's subscriptions (ended ones too) as the provider sees
them now, for members whose subscriptions began on another platform. Stripe through the recording HTTP client and
Stripe's own example objects; the sandbox through its own rows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import stripe

from outlet.payments.models import SandboxObject
from outlet.payments.providers.base import ProviderError, SubscriptionChanged, UnknownCustomer
from outlet.payments.providers.sandbox.provider import SandboxProvider
from outlet.payments.providers.stripe.adapter import StripeProvider
from tests.payments import stripe_objects as so

KEY = "sk_test_outlet_not_a_real_key"


@pytest.fixture
def http():
    client = so.RecordingHTTPClient()
    yield client
    assert client.pending == 0, "a canned Stripe response was never requested"


@pytest.fixture
def provider(http):
    return StripeProvider(secret_key=KEY, webhook_secret="whsec_test", http_client=http)


def ghost_subscription(**overrides):
    """A subscription Ghost created: Ghost's own metadata, no lookup key of ours."""
    overrides.setdefault("metadata", {})
    overrides.setdefault("lookup_key", None)
    return so.subscription_payload(**overrides)


def test_stripe_lists_every_subscription_of_the_customer_including_ended_ones(provider, http):
    http.respond(
        so.list_payload(
            [
                ghost_subscription(
                    sub_id="sub_live",
                    customer="cus_ghost",
                    amount=800,
                    currency="usd",
                    interval="year",
                    period_end=so.DEFAULT_PERIOD_END,
                    cancel_at_period_end=True,
                ),
                ghost_subscription(
                    sub_id="sub_old",
                    customer="cus_ghost",
                    status="canceled",
                    period_end=so.DEFAULT_PERIOD_END - 400 * so.DAY,
                ),
            ],
            url="/v1/subscriptions",
        ),
        method="GET",
        path="/v1/subscriptions",
    )

    before = datetime.now(UTC).replace(microsecond=0)
    found = provider.subscriptions_for_customer(customer_id="cus_ghost")

    (request,) = http.requests
    assert request.params == {"customer": "cus_ghost", "status": "all", "limit": "100"}
    assert request.idempotency_key is None  # a read: nothing is created or changed
    live, old = found
    assert isinstance(live, SubscriptionChanged)
    assert (live.provider, live.subscription_id, live.customer_id, live.status) == (
        "stripe",
        "sub_live",
        "cus_ghost",
        "active",
    )
    assert (live.amount_minor, live.currency, live.interval) == (800, "USD", "year")
    assert live.current_period_end == datetime.fromtimestamp(so.DEFAULT_PERIOD_END, tz=UTC)
    assert live.cancel_at_period_end and not live.ended
    assert live.occurred_at >= before  # the provider's view as of asking, newer than any earlier event
    assert live.metadata == {}  # Ghost's subscriptions carry none of our markers
    assert (old.subscription_id, old.status, old.ended) == ("sub_old", "canceled", True)
    assert old.sequence_rank > live.sequence_rank


def test_stripe_pages_through_a_customer_with_many_subscriptions(provider, http):
    http.respond(
        so.list_payload(
            [ghost_subscription(sub_id="sub_a", customer="cus_ghost")], url="/v1/subscriptions", has_more=True
        )
    )
    http.respond(so.list_payload([ghost_subscription(sub_id="sub_b", customer="cus_ghost")], url="/v1/subscriptions"))

    found = provider.subscriptions_for_customer(customer_id="cus_ghost")

    assert [s.subscription_id for s in found] == ["sub_a", "sub_b"]
    assert http.requests[1].params["starting_after"] == "sub_a"


def test_a_customer_stripe_does_not_know_is_an_unknown_customer(provider, http):
    http.respond_error(400, code="resource_missing", param="customer", message="No such customer: 'cus_gone'")
    with pytest.raises(UnknownCustomer, match="cus_gone"):
        provider.subscriptions_for_customer(customer_id="cus_gone")


def test_an_unreachable_stripe_is_a_provider_error_to_retry(provider, http):
    http.fail_connection()
    with pytest.raises(ProviderError) as raised:
        provider.subscriptions_for_customer(customer_id="cus_ghost")
    assert not isinstance(raised.value, UnknownCustomer)
    assert isinstance(raised.value.__cause__, stripe.APIConnectionError)


@pytest.mark.django_db
def test_the_sandbox_lists_its_subscriptions_of_the_customer():
    SandboxObject.objects.create(
        object_id="sbx_cus_1",
        kind="customer",
        data={"id": "sbx_cus_1", "email": "a@example.org", "card": "4242", "metadata": {}},
    )
    price = {
        "lookup_key": "ghost-price",
        "product_name": "Ghost supporter",
        "interval": "month",
        "currency": "GEL",
        "amount": 1500,
    }
    for sub_id, customer, status in (
        ("sbx_sub_1", "sbx_cus_1", "active"),
        ("sbx_sub_2", "sbx_cus_1", "canceled"),
        ("sbx_sub_3", "sbx_cus_9", "active"),
    ):
        SandboxObject.objects.create(
            object_id=sub_id,
            kind="subscription",
            data={
                "id": sub_id,
                "customer": customer,
                "status": status,
                "price": price,
                "current_period_start": 1_700_000_000,
                "current_period_end": so.DEFAULT_PERIOD_END,
                "cancel_at_period_end": False,
                "metadata": {},
                "ended_at": None,
            },
        )

    found = SandboxProvider().subscriptions_for_customer(customer_id="sbx_cus_1")

    assert [(s.subscription_id, s.status, s.ended, s.amount_minor, s.currency) for s in found] == [
        ("sbx_sub_1", "active", False, 1500, "GEL"),
        ("sbx_sub_2", "canceled", True, 1500, "GEL"),
    ]
    assert all(s.provider == "sandbox" for s in found)


@pytest.mark.django_db
def test_the_sandbox_does_not_know_a_stripe_customer():
    with pytest.raises(UnknownCustomer):
        SandboxProvider().subscriptions_for_customer(customer_id="cus_from_ghost")
