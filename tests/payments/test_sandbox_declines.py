"""A card declined on the sandbox's checkout page is reported like Stripe's payment_intent.payment_failed: a signed
`payment.failed` event for that checkout (no subscription, its amount; a one-time checkout's metadata, none for a
subscription checkout, as at Stripe) through the same intake, so the donations side counts declined one-time gifts
and memberships are left alone."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from donations import abuse, services
from donations.models import Donation
from members.models import Membership
from outlet.payments.models import SandboxObject, WebhookEvent
from outlet.payments.providers import get_provider
from outlet.payments.providers.base import PaymentFailed
from outlet.payments.providers.sandbox.provider import SIGNATURE_HEADER, sign
from tests.donations.conftest import make_campaign
from tests.factories import MembershipFactory, UserFactory
from tests.members import sandbox_journey as journey

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def campaign(db):
    return make_campaign()


def start_gift(campaign, *, interval: str = "once", gift_minor: int = 2000):
    checkout, redirect = services.start_donation_checkout(
        request=services.DonationRequest(
            campaign=campaign, email="tester@example.org", currency="GEL", gift_minor=gift_minor, interval=interval
        ),
        success_url="http://testserver/thanks/{reference}/",
        cancel_url="http://testserver/give/",
    )
    return checkout, redirect


def test_a_declined_card_sends_a_signed_failed_payment_for_that_checkout(campaign):
    checkout, redirect = start_gift(campaign, gift_minor=2000)

    page = Client().post(redirect.url, {"choice": "decline"})

    assert page.status_code == 402
    assert "Your card was declined. No money moved." in page.content.decode()
    stored = WebhookEvent.objects.get(provider="sandbox", type="payment.failed")
    assert stored.status == "processed", "claimed by the donations side"
    failure = stored.payload["data"]["object"]
    assert failure["checkout"] == redirect.session_id and failure["subscription"] is None
    assert (failure["amount"], failure["currency"]) == (2000, "GEL")
    assert failure["metadata"] == {
        "outlet_purpose": "donation",
        "outlet_checkout": str(checkout.reference),
        "outlet_campaign": campaign.slug,
    }
    assert abuse.attack_state().declines_in_window == 1


def test_after_a_decline_the_same_checkout_can_still_be_paid(campaign):
    _, redirect = start_gift(campaign)
    client = Client()
    client.post(redirect.url, {"choice": "decline"})

    response = client.post(redirect.url, {"choice": "pay"})

    assert response.status_code == 302
    assert Donation.objects.get().amount_minor == 2000


def test_each_declined_attempt_is_its_own_failed_payment(campaign):
    _, redirect = start_gift(campaign)
    client = Client()
    for _ in range(3):
        client.post(redirect.url, {"choice": "decline"})

    refs = {row.payload["data"]["object"]["id"] for row in WebhookEvent.objects.filter(type="payment.failed")}
    assert len(refs) == 3
    assert abuse.attack_state().declines_in_window == 3


def test_a_declined_monthly_gift_carries_neither_subscription_nor_metadata_as_at_stripe(campaign):
    _, redirect = start_gift(campaign, interval="month")

    Client().post(redirect.url, {"choice": "decline"})

    stored = WebhookEvent.objects.get(type="payment.failed")
    assert stored.payload["data"]["object"]["subscription"] is None
    assert stored.payload["data"]["object"]["metadata"] == {}  # Stripe puts no metadata on a subscription's intent
    assert stored.status == "not_ours"
    assert not SandboxObject.objects.filter(kind="subscription").exists()


def test_the_translation_is_a_failed_payment_without_a_subscription(campaign):
    checkout, redirect = start_gift(campaign, gift_minor=2000)
    Client().post(redirect.url, {"choice": "decline"})
    stored = WebhookEvent.objects.get(type="payment.failed")
    provider = get_provider("sandbox")

    (failed,) = provider.translate(provider.parse_webhook(body=_body(stored), headers=_headers(stored)))

    assert isinstance(failed, PaymentFailed)
    assert (failed.subscription_id, failed.amount_minor, failed.currency, failed.attempt) == (None, 2000, "GEL", 1)
    assert failed.metadata["outlet_checkout"] == str(checkout.reference)


def _body(stored: WebhookEvent) -> bytes:
    return json.dumps(stored.payload).encode()


def _headers(stored: WebhookEvent) -> dict[str, str]:
    return {SIGNATURE_HEADER: sign(_body(stored))}


def test_a_declined_membership_checkout_changes_no_membership_and_counts_no_donation_decline(priced_tiers, mailoutbox):
    reader = UserFactory(username="ana", email="ana@example.org")
    client = Client()
    client.force_login(reader)
    joined = journey.join(client)

    page = journey.pay(client, joined["Location"], choice="decline")

    assert page.status_code == 402
    assert WebhookEvent.objects.get(type="payment.failed").status == "not_ours"
    assert not Membership.objects.filter(user=reader).exists()
    assert mailoutbox == []
    assert abuse.attack_state().declines_in_window == 0


def test_a_lapsed_member_whose_card_is_declined_on_rejoining_gets_no_failed_renewal_email(priced_tiers, mailoutbox):
    reader = UserFactory(username="ana", email="ana@example.org")
    MembershipFactory(
        user=reader,
        tier=priced_tiers["supporter"],
        status=Membership.Status.LAPSED,
        provider="sandbox",
        provider_subscription_id="sbx_sub_old",
        current_period_end=timezone.now() - timedelta(days=40),
    )
    client = Client()
    client.force_login(reader)

    journey.pay(client, journey.join(client)["Location"], choice="decline")

    assert Membership.objects.get(user=reader).status == Membership.Status.LAPSED
    assert mailoutbox == []
