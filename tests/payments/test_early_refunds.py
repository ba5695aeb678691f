"""A refund or dispute delivered before the payment it names (the payment's webhook late, retried or lost until
reconciliation) waits for that payment and is applied when it lands, for every product: a one-time gift, a monthly
gift's charge and a membership charge, with Stripe's own JSON through the front door and with the sandbox's events
held back and delivered out of order. One whose payment never comes is flagged after the bound, never applied.
Delivery-order tests of the join sequence: test_stripe_webhook_ordering.py."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone

from donations import services as donations
from donations.models import AllocationEntry, CampaignDonorCount, CampaignTotal, Donation, DonationCheckout
from members.models import MemberEvent
from outlet.payments import services, waiting
from outlet.payments.models import Payment, SandboxObject, WebhookEvent
from outlet.payments.providers import get_provider
from outlet.payments.providers.sandbox import provider as sandbox_module
from outlet.receipts.models import Receipt
from tests.donations.conftest import give, make_campaign
from tests.factories import UserFactory
from tests.members import sandbox_journey as journey
from tests.payments import stripe_objects as so
from tests.payments.test_stripe_webhooks import (
    deliver,
    event,
    invoice_payments_answer,
    paid_invoice,
    stored,
    subscription,
    subscription_charge,
)

pytestmark = pytest.mark.django_db(transaction=True)

GIFT = 5000
FEE = donations.processing_fee_minor(amount_minor=GIFT, currency="GEL")


@pytest.fixture
def campaign(db):
    return make_campaign()


@pytest.fixture
def stripe_active(settings, stripe_http):
    settings.PAYMENT_PROVIDER = "stripe"
    return stripe_http


def no_invoice_answer(http):
    """Stripe's answer for a one-time payment's intent: it paid no invoice."""
    http.respond(so.list_payload([], url="/v1/invoice_payments"), method="GET", path="/v1/invoice_payments")


def later(minutes: float):
    return time_machine.travel(timezone.now() + timedelta(minutes=minutes), tick=False)


def sweep_at(minutes: float) -> int:
    """The beat's sweep, run this many minutes from now (tasks run eagerly, at that time too)."""
    with later(minutes):
        return services.requeue_stuck_events()


def receipts_of(payment: Payment) -> list[tuple[str, int, bool]]:
    """(kind, amount, still in force) of each receipt the payment has, oldest first."""
    return [
        (kind, amount, voided_at is None)
        for kind, amount, voided_at in Receipt.objects.filter(payment=payment)
        .order_by("pk")
        .values_list("kind", "amount_minor", "voided_at")
    ]


def progress(campaign) -> tuple[int, int, int]:
    shown = donations.campaign_progress(campaign)
    return shown.raised_minor, shown.donations, shown.donors


# --- A one-time gift (Stripe Checkout in payment mode) --------------------------------------------------------


def gift_checkout(
    campaign, *, email: str = "nino@example.org", interval: str = "once", gift_minor: int = GIFT
) -> DonationCheckout:
    return DonationCheckout.objects.create(
        campaign=campaign, email=email, currency="GEL", gift_minor=gift_minor, interval=interval, provider="stripe"
    )


def gift_metadata(checkout: DonationCheckout) -> dict[str, str]:
    return {
        "outlet_purpose": "donation",
        "outlet_checkout": str(checkout.reference),
        "outlet_campaign": checkout.campaign.slug,
    }


def paid_gift(checkout: DonationCheckout) -> dict:
    return so.checkout_completed_payload(
        session_id="cs_gift_1",
        mode="payment",
        reference=str(checkout.reference),
        customer="cus_gift_1",
        customer_email=checkout.email,
        payment_intent="pi_gift_1",
        amount=checkout.charge_minor,
        currency="gel",
        metadata=gift_metadata(checkout),
    )


def gift_refund(checkout: DonationCheckout, *, refunded: int) -> dict:
    """The gift's charge after a refund: Stripe copies the intent's metadata (ours) onto it."""
    return so.charge_payload(
        charge_id="ch_gift_1",
        payment_intent="pi_gift_1",
        customer="cus_gift_1",
        amount=checkout.charge_minor,
        amount_refunded=refunded,
        metadata=gift_metadata(checkout),
    )


def gift_dispute() -> dict:
    return so.dispute_payload(dispute_id="dp_gift_1", charge="ch_gift_1", payment_intent="pi_gift_1", amount=GIFT)


def test_a_partial_refund_of_a_one_time_gift_before_its_payment_is_applied_when_the_payment_lands(
    stripe_active, campaign, t0, mailoutbox
):
    checkout = gift_checkout(campaign)
    no_invoice_answer(stripe_active)

    deliver(event("charge.refunded", gift_refund(checkout, refunded=1000), event_id="evt_refund", created=t0 + 60))

    early = stored("evt_refund")
    assert (early.status, early.attempts, early.processed_at) == ("waiting", 0, None)
    assert (
        early.waiting_for == " ch_gift_1 pi_gift_1 " and "names a payment we have not recorded yet" in early.last_error
    )
    assert early.retry_at is not None and early.retry_at > timezone.now()
    assert not Payment.objects.exists() and not Donation.objects.exists()

    deliver(event("checkout.session.completed", paid_gift(checkout), event_id="evt_paid", created=t0))

    assert (stored("evt_paid").status, stored("evt_refund").status) == ("processed", "processed")
    assert stored("evt_refund").last_error == "" and stored("evt_refund").retry_at is None
    donation = Donation.objects.get()
    assert (donation.status, donation.amount_refunded_minor) == ("partially_refunded", 1000)
    payment = Payment.objects.get()
    assert (payment.status, payment.amount_refunded_minor) == ("partially_refunded", 1000)
    assert progress(campaign) == (GIFT - 1000, 1, 1)
    total = CampaignTotal.objects.get(campaign=campaign, currency="GEL")
    assert total.net_minor == GIFT - FEE - 1000
    assert sum(AllocationEntry.objects.values_list("amount_minor", flat=True)) == GIFT - FEE - 1000
    assert AllocationEntry.objects.filter(kind="refund").count() == 3, "one negative entry per newsroom"
    assert receipts_of(payment) == [("original", GIFT, False), ("correction", GIFT - 1000, True)]
    assert len(stripe_active.requests) == 1, "Stripe was asked once, on the first check, never under a lock"


def test_a_full_refund_of_a_one_time_gift_before_its_payment_uncounts_the_gift_and_the_donor(
    stripe_active, campaign, t0
):
    checkout = gift_checkout(campaign)
    no_invoice_answer(stripe_active)
    deliver(event("charge.refunded", gift_refund(checkout, refunded=GIFT), event_id="evt_refund", created=t0 + 60))
    deliver(event("checkout.session.completed", paid_gift(checkout), event_id="evt_paid", created=t0))

    assert Donation.objects.get().status == "refunded"
    assert progress(campaign) == (0, 0, 0)
    assert CampaignDonorCount.objects.get(campaign=campaign).donors == 0
    assert sum(AllocationEntry.objects.values_list("amount_minor", flat=True)) == 0
    assert receipts_of(Payment.objects.get()) == [("original", GIFT, False)], "voided, no correction"


def test_a_dispute_of_a_one_time_gift_before_its_payment_marks_the_gift_disputed_when_it_lands(
    stripe_active, campaign, t0
):
    checkout = gift_checkout(campaign)
    no_invoice_answer(stripe_active)
    deliver(event("charge.dispute.created", gift_dispute(), event_id="evt_dispute", created=t0 + 60))
    assert stored("evt_dispute").status == "waiting", "a dispute carries no metadata of ours: it still waits"

    deliver(event("checkout.session.completed", paid_gift(checkout), event_id="evt_paid", created=t0))

    assert stored("evt_dispute").status == "processed"
    assert Donation.objects.get().status == "disputed" and Payment.objects.get().status == "disputed"


def test_the_same_early_refund_delivered_again_and_listed_again_is_applied_once(stripe_active, campaign, t0):
    checkout = gift_checkout(campaign)
    no_invoice_answer(stripe_active)
    refund = event("charge.refunded", gift_refund(checkout, refunded=1000), event_id="evt_refund", created=t0 + 60)
    answers = deliver(refund, times=3)
    assert [a.json()["duplicate"] for a in answers] == [False, True, True]
    # Stripe sometimes sends a second event for the same cumulative refund (a refund updated): its own id.
    no_invoice_answer(stripe_active)
    deliver(
        event("charge.refunded", gift_refund(checkout, refunded=1000), event_id="evt_refund_again", created=t0 + 61)
    )
    assert set(WebhookEvent.objects.filter(type="charge.refunded").values_list("status", flat=True)) == {"waiting"}

    deliver(event("checkout.session.completed", paid_gift(checkout), event_id="evt_paid", created=t0))
    deliver(refund)

    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"processed"}
    assert WebhookEvent.objects.filter(event_id="evt_refund").count() == 1
    donation = Donation.objects.get()
    assert donation.amount_refunded_minor == 1000
    assert AllocationEntry.objects.filter(kind="refund").count() == 3
    assert progress(campaign) == (GIFT - 1000, 1, 1)
    assert receipts_of(donation.payment) == [("original", GIFT, False), ("correction", GIFT - 1000, True)]


# --- A monthly gift's charge (a subscription invoice: its charge carries no metadata) ------------------------


def monthly_gift_invoice(checkout: DonationCheckout) -> dict:
    return so.invoice_paid_payload(
        invoice_id="in_gift_1",
        customer="cus_gift_1",
        subscription_id="sub_gift_1",
        amount=checkout.charge_minor,
        customer_email=checkout.email,
        metadata=gift_metadata(checkout),
    )


@pytest.mark.parametrize("late", ["refund", "dispute"])
def test_a_refund_or_dispute_of_a_monthly_gift_charge_before_its_invoice_is_applied_when_the_invoice_lands(
    stripe_active, campaign, t0, late
):
    checkout = gift_checkout(campaign, interval="month", gift_minor=2000)
    invoice_payments_answer(stripe_active, invoice="in_gift_1", payment_intent="pi_gift_m", amount=2000)
    if late == "refund":
        early = subscription_charge(
            charge_id="ch_gift_m", payment_intent="pi_gift_m", customer="cus_gift_1", amount=2000, amount_refunded=2000
        )
        deliver(event("charge.refunded", early, event_id="evt_early", created=t0 + 60))
    else:
        early = so.dispute_payload(dispute_id="dp_gift_m", charge="ch_gift_m", payment_intent="pi_gift_m", amount=2000)
        deliver(event("charge.dispute.created", early, event_id="evt_early", created=t0 + 60))
    assert stored("evt_early").status == "waiting"
    assert stored("evt_early").waiting_for == " ch_gift_m pi_gift_m in_gift_1 ", (
        "the invoice Stripe named is waited for too"
    )

    deliver(event("invoice.paid", monthly_gift_invoice(checkout), event_id="evt_paid", created=t0))

    assert stored("evt_early").status == "processed"
    donation = Donation.objects.get()
    assert donation.recurring.subscription_id == "sub_gift_1"
    if late == "refund":
        assert (donation.status, donation.amount_refunded_minor) == ("refunded", 2000)
        assert progress(campaign) == (0, 0, 0)
        assert receipts_of(donation.payment) == [("original", 2000, False)]
    else:
        assert donation.status == "disputed" and donation.payment.status == "disputed"
        assert progress(campaign) == (2000, 1, 1)
    assert len(stripe_active.requests) == 1


# --- A membership charge --------------------------------------------------------------------------------------


@pytest.mark.parametrize("late", ["refund", "dispute"])
def test_a_refund_or_dispute_of_a_membership_charge_before_its_invoice_is_applied_when_the_invoice_lands(
    user, stripe_http, t0, late
):
    invoice_payments_answer(stripe_http)
    if late == "refund":
        deliver(
            event("charge.refunded", subscription_charge(amount_refunded=500), event_id="evt_early", created=t0 + 60)
        )
    else:
        deliver(event("charge.dispute.created", so.dispute_payload(), event_id="evt_early", created=t0 + 60))
    assert stored("evt_early").status == "waiting"
    assert not MemberEvent.objects.filter(kind__in=["refunded", "disputed"]).exists()

    deliver(event("customer.subscription.created", subscription(user), event_id="evt_created", created=t0))
    assert stored("evt_early").status == "waiting", "a subscription event records no payment"
    deliver(event("invoice.paid", paid_invoice(user), event_id="evt_paid", created=t0 + 1))

    assert stored("evt_early").status == "processed"
    payment = Payment.objects.get()
    if late == "refund":
        assert (payment.status, payment.amount_refunded_minor) == ("partially_refunded", 500)
        assert MemberEvent.objects.get(user=user, kind="refunded").summary == "Refunded GEL\u00a05 of GEL\u00a015"
        assert receipts_of(payment) == [("original", 1500, False), ("correction", 1000, True)]
    else:
        assert payment.status == "disputed"
        assert (
            MemberEvent.objects.get(user=user, kind="disputed").summary
            == "Payment of GEL\u00a015 disputed (fraudulent)"
        )
    assert len(stripe_http.requests) == 1


# --- The sweep and reconciliation -----------------------------------------------------------------------------


def test_the_sweep_checks_a_waiting_refund_when_its_time_comes_and_not_in_a_loop(stripe_active, campaign, t0):
    checkout = gift_checkout(campaign)
    no_invoice_answer(stripe_active)
    deliver(event("charge.refunded", gift_refund(checkout, refunded=1000), event_id="evt_refund", created=t0 + 60))

    assert sweep_at(0.5) == 0, "its next check is a minute away"
    assert sweep_at(1.5) == 1
    after_one = stored("evt_refund")
    assert after_one.status == "waiting" and after_one.attempts == 0, "a check is not a failed attempt"
    assert sweep_at(1.6) == 0, "checked just now: not again at once"
    assert sweep_at(5) == 1 and sweep_at(5.1) == 0
    assert len(stripe_active.requests) == 1, "the invoice Stripe named on the first check is kept, not asked for again"

    # Old and checked many times, it is still checked: the bound on failed attempts is not a bound on waiting.
    WebhookEvent.objects.filter(event_id="evt_refund").update(
        attempts=services.MAX_PROCESSING_ATTEMPTS, retry_at=timezone.now()
    )
    assert sweep_at(6) == 1


def test_a_payment_reconciliation_finds_wakes_the_refund_that_waited_for_it(stripe_active, campaign, t0):
    checkout = gift_checkout(campaign)
    no_invoice_answer(stripe_active)
    refund = event("charge.refunded", gift_refund(checkout, refunded=1000), event_id="evt_refund", created=t0 + 60)
    deliver(refund)
    paid = event("checkout.session.completed", paid_gift(checkout), event_id="evt_paid", created=t0)
    stripe_active.respond(so.list_payload([refund, paid], url="/v1/events"), method="GET", path="/v1/events")

    assert services.reconcile_provider_events(provider_id="stripe") == 1

    assert (stored("evt_paid").via, stored("evt_paid").status, stored("evt_refund").status) == (
        "reconciliation",
        "processed",
        "processed",
    )
    assert Donation.objects.get().amount_refunded_minor == 1000


def test_processing_asks_stripe_before_it_locks_the_event(user, stripe_http, t0):
    """A slow Stripe must hold a worker, not the event's row: no transaction is open while Stripe is asked."""
    deliver(event("customer.subscription.created", subscription(user), event_id="evt_created", created=t0))
    deliver(event("invoice.paid", paid_invoice(user), event_id="evt_paid", created=t0 + 1))
    in_transaction = []
    real_request = stripe_http.request

    def watching(*args, **kwargs):
        in_transaction.append(connection.in_atomic_block)
        return real_request(*args, **kwargs)

    stripe_http.request = watching
    invoice_payments_answer(stripe_http)
    deliver(event("charge.refunded", subscription_charge(amount_refunded=500), event_id="evt_refund", created=t0 + 60))

    assert stored("evt_refund").status == "processed" and Payment.objects.get().amount_refunded_minor == 500
    assert in_transaction == [False]


# --- A payment that never comes -------------------------------------------------------------------------------


def test_an_early_refund_whose_payment_never_comes_is_flagged_after_the_bound_and_never_applied(
    stripe_active, campaign, t0
):
    checkout = gift_checkout(campaign)
    no_invoice_answer(stripe_active)
    deliver(event("charge.refunded", gift_refund(checkout, refunded=1000), event_id="evt_refund", created=t0 + 60))
    bound = waiting.wait_for_payment()

    checks = 0
    minutes = 0.0
    while minutes < bound.total_seconds() / 60 + 120:
        minutes += 2  # the beat runs the sweep every 2 minutes
        checks += sweep_at(minutes)
    flagged = stored("evt_refund")
    assert flagged.status == "unmatched" and flagged.attempts == 1
    assert (
        "No payment named ch_gift_1, pi_gift_1 arrived within 24 hours, so this refund was never applied"
        in flagged.last_error
    )
    assert 20 <= checks <= 40, f"checked {checks} times in a day: growing pauses, no loop"
    assert sweep_at(minutes + 60) == 0, "given up: the sweep leaves it alone"
    assert not Payment.objects.exists() and not Donation.objects.exists() and progress(campaign) == (0, 0, 0)
    assert services.events_needing_staff() == {"unmatched": 1, "failed": 0}

    # The payment turns up after all (Stripe's retries last three days): the refund is applied then.
    deliver(event("checkout.session.completed", paid_gift(checkout), event_id="evt_paid", created=t0))
    assert stored("evt_refund").status == "processed"
    assert Donation.objects.get().amount_refunded_minor == 1000
    assert services.events_needing_staff() == {"unmatched": 0, "failed": 0}


def test_staff_set_aside_an_unmatched_refund_and_its_late_payment_still_applies_it(stripe_active, campaign, t0):
    checkout = gift_checkout(campaign)
    no_invoice_answer(stripe_active)
    deliver(event("charge.refunded", gift_refund(checkout, refunded=1000), event_id="evt_refund", created=t0 + 60))
    with later(waiting.wait_for_payment().total_seconds() / 60 + 1):
        WebhookEvent.objects.filter(event_id="evt_refund").update(retry_at=timezone.now())
        services.requeue_stuck_events()
    assert services.events_needing_staff()["unmatched"] == 1

    assert (
        services.set_aside_unmatched(
            webhook_event_pks=[stored("evt_refund").pk], staff_user_id=7, note=" refunded by hand "
        )
        == 1
    )

    assert (stored("evt_refund").status, stored("evt_refund").last_error) == (
        "not_ours",
        "Set aside by staff user 7: refunded by hand",
    )
    assert services.events_needing_staff()["unmatched"] == 0
    deliver(event("checkout.session.completed", paid_gift(checkout), event_id="evt_paid", created=t0))
    assert stored("evt_refund").status == "processed" and Donation.objects.get().amount_refunded_minor == 1000


def test_a_refund_naming_nothing_of_ours_waits_then_is_taken_to_be_another_products(stripe_active, t0, mailoutbox):
    no_invoice_answer(stripe_active)
    foreign = so.charge_payload(
        charge_id="ch_shop",
        payment_intent="pi_shop",
        customer="cus_shop",
        amount_refunded=1500,
        metadata={"app": "shop"},
    )
    deliver(event("charge.refunded", foreign, event_id="evt_foreign", created=t0))
    assert stored("evt_foreign").status == "waiting"

    with later(waiting.wait_for_payment().total_seconds() / 60 + 1):
        WebhookEvent.objects.filter(event_id="evt_foreign").update(retry_at=timezone.now())
        services.requeue_stuck_events()

    settled = stored("evt_foreign")
    assert settled.status == "not_ours" and "nothing in this refund is ours" in settled.last_error
    assert services.events_needing_staff() == {"unmatched": 0, "failed": 0}, "another product's refund alarms nobody"
    assert not Payment.objects.exists() and mailoutbox == []


def test_an_unmatched_event_that_staff_process_again_stays_unmatched_without_its_payment(stripe_active, campaign, t0):
    checkout = gift_checkout(campaign)
    no_invoice_answer(stripe_active)
    deliver(event("charge.refunded", gift_refund(checkout, refunded=1000), event_id="evt_refund", created=t0 + 60))
    with later(waiting.wait_for_payment().total_seconds() / 60 + 1):
        WebhookEvent.objects.filter(event_id="evt_refund").update(retry_at=timezone.now())
        services.requeue_stuck_events()
        assert stored("evt_refund").status == "unmatched"
        services.reprocess_events(webhook_event_pks=[stored("evt_refund").pk])
    assert stored("evt_refund").status == "unmatched"
    assert len(stripe_active.requests) == 1 and not Payment.objects.exists()


def test_time_moves_on_from_received_not_from_the_event_time(stripe_active, campaign):
    """A refund created long ago at the provider (reconciliation found it late) still waits its full time."""
    checkout = gift_checkout(campaign)
    no_invoice_answer(stripe_active)
    deliver(
        event(
            "charge.refunded",
            gift_refund(checkout, refunded=1000),
            event_id="evt_refund",
            created=int(time.time()) - 20 * 86400,
        )
    )
    assert stored("evt_refund").status == "waiting"


# --- The sandbox: its own events, held back and delivered refund first ----------------------------------------


@pytest.fixture
def held(monkeypatch):
    """The sandbox's signed events, held instead of delivered, for a test to deliver in the order it chooses."""
    bodies: list[bytes] = []
    monkeypatch.setattr(sandbox_module, "deliver_webhook", lambda body, headers: bodies.append(body))
    return bodies


def deliver_sandbox(bodies: list[bytes]) -> None:
    for body in bodies:
        response = Client().post(
            "/payments/webhooks/sandbox/",
            body,
            content_type="application/json",
            HTTP_SANDBOX_SIGNATURE=sandbox_module.sign(body),
        )
        assert response.status_code == 200, response.content


def types(bodies: list[bytes]) -> list[str]:
    return [json.loads(body)["type"] for body in bodies]


def refund_or_dispute_first(held: list[bytes], charge_id: str, late: str) -> None:
    """Refund part of the charge (or dispute it) at the sandbox, then deliver that event before all the others."""
    sandbox = get_provider("sandbox")
    payment_events = list(held)
    held.clear()
    if late == "refund":
        sandbox.refund(payment_ref=charge_id, amount_minor=500, idempotency_key=f"early-{charge_id}")
    else:
        sandbox.dispute(charge_id)
    (early,) = held
    deliver_sandbox([early])
    assert WebhookEvent.objects.get(type=types([early])[0]).status == "waiting"
    deliver_sandbox(payment_events)
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"processed"}


@pytest.mark.parametrize("late", ["refund", "dispute"])
def test_sandbox_a_one_time_gifts_refund_or_dispute_delivered_first_is_applied_when_the_payment_lands(
    campaign, held, late
):
    paid = give(campaign, gift_minor=GIFT)
    assert types(held) == ["checkout.session.completed", "payment.succeeded"] and not Donation.objects.exists()

    refund_or_dispute_first(held, paid["payment"], late)

    donation = Donation.objects.get()
    if late == "refund":
        assert (donation.status, donation.amount_refunded_minor) == ("partially_refunded", 500)
        assert progress(campaign) == (GIFT - 500, 1, 1)
        assert sum(AllocationEntry.objects.values_list("amount_minor", flat=True)) == GIFT - FEE - 500
        assert receipts_of(donation.payment) == [("original", GIFT, False), ("correction", GIFT - 500, True)]
    else:
        assert donation.status == "disputed" and donation.payment.status == "disputed"


@pytest.mark.parametrize("late", ["refund", "dispute"])
def test_sandbox_a_monthly_gift_charges_refund_or_dispute_delivered_first_is_applied_when_the_charge_lands(
    campaign, held, late
):
    give(campaign, gift_minor=2000, interval="month")
    charge_id = SandboxObject.objects.get(kind="charge").object_id
    assert types(held) == ["checkout.session.completed", "customer.subscription.created", "payment.succeeded"]

    refund_or_dispute_first(held, charge_id, late)

    donation = Donation.objects.get()
    assert donation.recurring is not None and donation.recurring.status == "active"
    if late == "refund":
        assert (donation.status, donation.amount_refunded_minor) == ("partially_refunded", 500)
        assert progress(campaign) == (1500, 1, 1)
        assert receipts_of(donation.payment) == [("original", 2000, False), ("correction", 1500, True)]
    else:
        assert donation.status == "disputed"


@pytest.mark.parametrize("late", ["refund", "dispute"])
def test_sandbox_a_membership_charges_refund_or_dispute_delivered_first_is_applied_when_the_charge_lands(
    priced_tiers, held, late
):
    user = UserFactory(username="ana", email="ana@example.org")
    client = Client()
    client.force_login(user)
    journey.join_and_pay(client)
    charge_id = SandboxObject.objects.get(kind="charge").object_id

    refund_or_dispute_first(held, charge_id, late)

    payment = Payment.objects.get(user=user)
    assert user.membership.status == "active", "access after a refund or dispute is a staff decision"
    if late == "refund":
        assert (payment.status, payment.amount_refunded_minor) == ("partially_refunded", 500)
        assert MemberEvent.objects.filter(user=user, kind="refunded").count() == 1
        assert receipts_of(payment) == [
            ("original", payment.amount_minor, False),
            ("correction", payment.amount_minor - 500, True),
        ]
    else:
        assert payment.status == "disputed"
        assert MemberEvent.objects.filter(user=user, kind="disputed").count() == 1


# --- Two workers at once (PostgreSQL: real row locks and commits) ---------------------------------------------


def test_a_refund_settling_as_waiting_while_its_payment_commits_is_still_applied_at_once(
    real_postgres, stripe_active, campaign, t0, monkeypatch
):
    """Worker A checks the refund and finds no payment; worker B records the payment and commits, and its wake looks
    for waiting refunds before A has committed "waiting". Neither misses the other: A looks once more after its
    commit."""
    checkout = gift_checkout(campaign)
    queued: list[int] = []
    monkeypatch.setattr(services, "queue_event_processing", queued.append)
    deliver(event("charge.refunded", gift_refund(checkout, refunded=1000), event_id="evt_refund", created=t0 + 60))
    deliver(event("checkout.session.completed", paid_gift(checkout), event_id="evt_paid", created=t0))
    assert [stored("evt_refund").status, stored("evt_paid").status] == ["received", "received"]
    monkeypatch.undo()
    no_invoice_answer(stripe_active)

    settled, paid = threading.Event(), threading.Event()
    real_settle = waiting.settle_unmatched

    def settle_then_hold(*args, **kwargs):
        status = real_settle(*args, **kwargs)
        settled.set()  # "waiting" is written but not committed...
        assert paid.wait(30), (
            "the payment's worker never finished"
        )  # ...until the payment is committed and its wake ran
        return status

    monkeypatch.setattr(waiting, "settle_unmatched", settle_then_hold)
    errors: list[BaseException] = []

    def worker(event_id: str, before=None, after=None):
        try:
            if before is not None:
                assert before.wait(30)
            services.process_webhook_event(webhook_event_pk=stored(event_id).pk)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            if after is not None:
                after.set()
            connection.close()

    refund_worker = threading.Thread(target=worker, args=("evt_refund",))
    payment_worker = threading.Thread(target=worker, args=("evt_paid", settled, paid))
    refund_worker.start()
    payment_worker.start()
    payment_worker.join(60)
    refund_worker.join(60)

    assert errors == []
    assert (stored("evt_paid").status, stored("evt_refund").status) == ("processed", "processed")
    assert Donation.objects.get().amount_refunded_minor == 1000
