"""One-time donations through Stripe Checkout in payment mode, through the front door: the donor's checkout is
opened with the recording HTTP client, then Stripe-signed events built from Stripe's own example objects go to the
real webhook view, intake, task and handlers. A paid session is the payment (no invoice follows it), a refund
naming the payment intent reverses it, and a declined intent counts towards the card-testing switch."""

from __future__ import annotations

import json
import time

import pytest
import stripe
from django.test import Client

from donations import abuse, services
from donations.models import AllocationEntry, CampaignTotal, Donation, DonationCheckout
from outlet.payments.models import Payment, WebhookEvent
from outlet.payments.providers import get_provider
from outlet.payments.providers.base import CheckoutCompleted, PaymentFailed, PaymentSucceeded
from tests.donations.conftest import make_campaign
from tests.payments import stripe_objects as so
from tests.payments.conftest import SECRET

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def stripe_active(settings, stripe_http):
    settings.PAYMENT_PROVIDER = "stripe"
    return stripe_http


@pytest.fixture
def campaign(db):
    return make_campaign()


def deliver(event_type: str, obj: dict, *, event_id: str, created: int | None = None):
    response = so.post_stripe_event(
        Client(), so.stripe_event(event_type, obj, event_id=event_id, created=created), SECRET
    )
    assert response.status_code == 200, response.content
    return WebhookEvent.objects.get(provider="stripe", event_id=event_id)


def start_one_time_gift(http, campaign, *, gift_minor: int = 5000, email: str = "nino@example.org") -> DonationCheckout:
    http.respond(
        so.checkout_session_payload(session_id="cs_gift_1", mode="payment", amount=gift_minor),
        method="POST",
        path="/v1/checkout/sessions",
    )
    checkout, redirect = services.start_donation_checkout(
        request=services.DonationRequest(
            campaign=campaign, email=email, currency="GEL", gift_minor=gift_minor, interval="once"
        ),
        success_url="https://outlet.example/thanks/{reference}/",
        cancel_url="https://outlet.example/give/",
    )
    assert redirect.url.startswith("https://checkout.stripe.com/")
    return checkout


def our_metadata(checkout: DonationCheckout) -> dict[str, str]:
    return {
        "outlet_purpose": "donation",
        "outlet_checkout": str(checkout.reference),
        "outlet_campaign": checkout.campaign.slug,
    }


def paid_session(
    checkout: DonationCheckout, *, payment_status: str = "paid", email: str = "nino.b@example.org"
) -> dict:
    return so.checkout_completed_payload(
        session_id="cs_gift_1",
        mode="payment",
        reference=str(checkout.reference),
        customer="cus_gift_1",
        customer_email=email,
        payment_intent="pi_gift_1",
        amount=checkout.charge_minor,
        currency="gel",
        payment_status=payment_status,
        metadata=our_metadata(checkout),
    )


def declined_intent(*, intent_id: str = "pi_gift_1", amount: int = 500, metadata: dict | None = None) -> dict:
    """A payment intent after a declined attempt, from Stripe's example object."""
    intent = so.stripe_object(
        "payment_intent",
        id=intent_id,
        amount=amount,
        currency="gel",
        customer=None,
        status="requires_payment_method",
        metadata={"outlet_purpose": "donation"} if metadata is None else metadata,
        canceled_at=None,
        latest_charge="ch_declined_1",
        transfer_data=None,
        next_action=None,
        processing=None,
    )
    intent["last_payment_error"].update(type="card_error")
    return intent


# --- Opening the checkout ---------------------------------------------------------------------------------------


def test_a_one_time_gift_opens_a_payment_mode_checkout_whose_intent_carries_our_metadata(stripe_active, campaign):
    checkout = start_one_time_gift(stripe_active, campaign, gift_minor=5000)

    sent = stripe_active.last()
    assert sent.data["mode"] == "payment"
    assert sent.data["payment_intent_data"]["metadata"] == our_metadata(checkout)
    assert sent.data["line_items"][0]["price_data"] | {"product_data": None} == {
        "currency": "gel",
        "unit_amount": "5000",
        "product_data": None,
    }
    assert sent.idempotency_key == f"donation-checkout-{checkout.reference}"


# --- Paid: the session is the payment ---------------------------------------------------------------------------


def test_a_paid_one_time_checkout_becomes_one_donation(stripe_active, campaign, mailoutbox):
    checkout = start_one_time_gift(stripe_active, campaign, gift_minor=5000)

    stored = deliver("checkout.session.completed", paid_session(checkout), event_id="evt_paid")
    deliver("checkout.session.async_payment_succeeded", paid_session(checkout), event_id="evt_async")  # same intent

    assert stored.status == "processed"
    donation = Donation.objects.get()
    assert (donation.amount_minor, donation.currency, donation.email) == (5000, "GEL", "nino.b@example.org")
    assert donation.checkout == checkout and donation.recurring is None
    assert Payment.objects.get().provider_ref == "pi_gift_1"
    total = CampaignTotal.objects.get(campaign=campaign, currency="GEL")
    assert (total.raised_minor, total.donations) == (5000, 1)
    assert sum(AllocationEntry.objects.values_list("amount_minor", flat=True)) == donation.net_minor


def test_a_checkout_paid_later_by_a_delayed_method_becomes_a_donation_when_the_money_arrives(stripe_active, campaign):
    checkout = start_one_time_gift(stripe_active, campaign, gift_minor=2000)

    deliver("checkout.session.completed", paid_session(checkout, payment_status="unpaid"), event_id="evt_done")
    assert not Donation.objects.exists()

    deliver("checkout.session.async_payment_succeeded", paid_session(checkout), event_id="evt_money")
    assert Donation.objects.get().amount_minor == 2000


def test_a_refund_naming_the_payment_intent_reverses_the_donation(stripe_active, campaign):
    checkout = start_one_time_gift(stripe_active, campaign, gift_minor=5000)
    deliver("checkout.session.completed", paid_session(checkout), event_id="evt_paid")

    refund = so.charge_payload(
        charge_id="ch_gift_1",
        payment_intent="pi_gift_1",
        customer="cus_gift_1",
        amount=5000,
        amount_refunded=5000,
        metadata=our_metadata(checkout),
    )
    stored = deliver("charge.refunded", refund, event_id="evt_refund")

    assert stored.status == "processed"
    assert Donation.objects.get().status == "refunded"
    assert Payment.objects.get().amount_refunded_minor == 5000
    assert sum(AllocationEntry.objects.values_list("amount_minor", flat=True)) == 0
    progress = services.campaign_progress(campaign)
    assert (progress.raised_minor, progress.donations, progress.donors) == (0, 0, 0)
    assert stripe_active.requests[-1].path == "/v1/checkout/sessions", "the intent matched: Stripe was not asked"


# --- Declined: counted for the card-testing switch --------------------------------------------------------------


def test_declined_attempts_on_a_donation_checkout_count_towards_the_challenge(stripe_active, settings):
    settings.DONATION_DECLINE_SPIKE = {"declines": 2, "window_seconds": 600, "challenge_minutes": 30}
    now = int(time.time())

    first = deliver("payment_intent.payment_failed", declined_intent(), event_id="evt_declined_1", created=now - 5)
    assert first.status == "processed" and abuse.challenge_required() is False
    deliver("payment_intent.payment_failed", declined_intent(), event_id="evt_declined_2", created=now)  # another card

    assert abuse.attack_state().declines_in_window == 2
    assert abuse.challenge_required() is True
    assert not Donation.objects.exists() and not Payment.objects.exists()


def test_a_declined_intent_that_is_not_ours_is_stored_as_not_ours_and_counts_nothing(stripe_active):
    stored = deliver(
        "payment_intent.payment_failed", declined_intent(intent_id="pi_shop", metadata={}), event_id="evt_shop"
    )

    assert stored.status == "not_ours"
    assert abuse.attack_state().declines_in_window == 0


# --- Translation --------------------------------------------------------------------------------------------------


def translate(event_type: str, obj: dict, *, event_id: str = "evt_t", created: int = 1_767_225_600):
    body = json.dumps(so.stripe_event(event_type, obj, event_id=event_id, created=created)).encode()
    provider = get_provider("stripe")
    event = provider.parse_webhook(body=body, headers={"Stripe-Signature": so.signature_header(body, SECRET)})
    return provider.translate(event)


@pytest.mark.parametrize("event_type", ["checkout.session.completed", "checkout.session.async_payment_succeeded"])
def test_a_paid_payment_mode_session_is_also_the_payment(stripe_http, event_type):
    session = so.checkout_completed_payload(
        mode="payment",
        payment_intent="pi_7",
        amount=2500,
        currency="usd",
        customer="cus_7",
        customer_email="giver@example.org",
        metadata={"outlet_purpose": "donation", "outlet_checkout": "c-1", "other": "x"},
    )

    completed, paid = translate(event_type, session)

    assert isinstance(completed, CheckoutCompleted) and completed.payment_ref == "pi_7" and completed.paid
    assert isinstance(paid, PaymentSucceeded)
    assert (paid.payment_ref, paid.amount_minor, paid.currency, paid.customer_id) == ("pi_7", 2500, "USD", "cus_7")
    assert (paid.subscription_id, paid.email, paid.other_refs) == (None, "giver@example.org", ())
    assert paid.metadata == {"outlet_purpose": "donation", "outlet_checkout": "c-1"}
    assert paid.occurred_at == completed.occurred_at


def test_a_session_with_its_intent_expanded_names_the_charge_too(stripe_http):
    intent = so.stripe_object("payment_intent", id="pi_8", latest_charge="ch_8")
    session = so.checkout_completed_payload(mode="payment", payment_intent="pi_8")
    session["payment_intent"] = intent

    _, paid = translate("checkout.session.completed", session)

    assert (paid.payment_ref, paid.other_refs) == ("pi_8", ("ch_8",))


@pytest.mark.parametrize(
    ("mode", "payment_status"),
    [
        ("subscription", "paid"),  # memberships and monthly gifts: the money is the invoice's
        ("payment", "unpaid"),  # a delayed method: the money is not there yet
        ("payment", "no_payment_required"),  # nothing was charged
    ],
)
def test_other_completed_sessions_are_not_a_payment(stripe_http, mode, payment_status):
    session = so.checkout_completed_payload(mode=mode, payment_intent="pi_9", payment_status=payment_status)

    (completed,) = translate("checkout.session.completed", session)

    assert isinstance(completed, CheckoutCompleted)


def test_a_declined_intent_is_a_failed_payment_without_a_subscription(stripe_http):
    intent = declined_intent(
        intent_id="pi_10",
        amount=700,
        metadata={"outlet_purpose": "donation", "outlet_checkout": "c-2", "campaign_note": "x"},
    )

    (failed,) = translate("payment_intent.payment_failed", intent, created=1_767_225_700)

    assert isinstance(failed, PaymentFailed)
    assert (failed.payment_ref, failed.subscription_id, failed.amount_minor, failed.currency) == (
        "pi_10",
        None,
        700,
        "GEL",
    )
    assert failed.metadata == {"outlet_purpose": "donation", "outlet_checkout": "c-2"}
    assert failed.occurred_at.timestamp() == 1_767_225_700


def test_the_payment_intent_fields_the_adapter_reads_are_declared_by_the_installed_sdk():
    declared: set[str] = set()
    for klass in stripe.PaymentIntent.__mro__:
        declared |= set(getattr(klass, "__annotations__", {}))
    read = {"id", "amount", "currency", "customer", "metadata", "latest_charge"}
    assert read <= declared and read <= set(so.stripe_object("payment_intent"))


def test_a_declined_intent_names_the_card_by_its_fingerprint(stripe_http):
    """Stripe puts the whole PaymentMethod in last_payment_error; its card fingerprint feeds the card-testing shield."""
    intent = declined_intent(intent_id="pi_11")
    intent["last_payment_error"]["payment_method"] = so.stripe_object("payment_method")
    fingerprint = intent["last_payment_error"]["payment_method"]["card"]["fingerprint"]

    (failed,) = translate("payment_intent.payment_failed", intent, created=1_767_225_700)

    assert fingerprint and failed.card_fingerprint == fingerprint
    (no_card,) = translate("payment_intent.payment_failed", declined_intent(intent_id="pi_12"), created=1_767_225_700)
    assert no_card.card_fingerprint is None
