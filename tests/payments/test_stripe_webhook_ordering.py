"""Stripe delivers at least once and in no particular order. Through the front door (signed events POSTed to
/payments/webhooks/stripe/, processed eagerly after real commits): every handled event type ten times with one
event id, and sequences delivered late, reversed and shuffled, end where a single in-order delivery ends."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime

import pytest

from members.models import Membership
from outlet.payments.models import Payment, WebhookEvent
from tests.payments import stripe_objects as so
from tests.payments.test_stripe_webhooks import (
    PAYMENT_FAILED,
    PERIOD_END,
    WELCOME,
    completed_checkout,
    deliver,
    event,
    failed_invoice,
    invoice_payments_answer,
    kinds,
    mails,
    membership_checkout,
    paid_invoice,
    snapshot,
    stored,
    subscription,
    subscription_charge,
)

pytestmark = pytest.mark.django_db(transaction=True)


# --- The same event, ten times -------------------------------------------------------------------------------


def _joined(user, t0):
    deliver(event("customer.subscription.created", subscription(user), event_id="evt_setup_created", created=t0))


def _paid(user, t0):
    _joined(user, t0)
    deliver(event("invoice.paid", paid_invoice(user), event_id="evt_setup_paid", created=t0 + 1))


# type -> (setup, the event delivered ten times, Stripe answers processing needs, membership status, payment status)
SCENARIOS = {
    "checkout.session.completed": (
        lambda user, t0, tiers: membership_checkout(user, tiers),
        lambda user, t0: event(
            "checkout.session.completed", completed_checkout(user), event_id="evt_x", created=t0 + 60
        ),
        0,
        None,
        None,
    ),
    "customer.subscription.created": (
        lambda user, t0, tiers: None,
        lambda user, t0: event("customer.subscription.created", subscription(user), event_id="evt_x", created=t0 + 60),
        0,
        "active",
        None,
    ),
    "customer.subscription.updated": (
        lambda user, t0, tiers: _joined(user, t0),
        lambda user, t0: event(
            "customer.subscription.updated",
            subscription(user, cancel_at_period_end=True),
            event_id="evt_x",
            created=t0 + 60,
        ),
        0,
        "cancelled",
        None,
    ),
    "customer.subscription.deleted": (
        lambda user, t0, tiers: _joined(user, t0),
        lambda user, t0: event(
            "customer.subscription.deleted", subscription(user, status="canceled"), event_id="evt_x", created=t0 + 60
        ),
        0,
        "lapsed",
        None,
    ),
    "invoice.paid": (
        lambda user, t0, tiers: _joined(user, t0),
        lambda user, t0: event("invoice.paid", paid_invoice(user), event_id="evt_x", created=t0 + 60),
        0,
        "active",
        "succeeded",
    ),
    "invoice.paid (before the subscription)": (
        lambda user, t0, tiers: None,
        lambda user, t0: event("invoice.paid", paid_invoice(user), event_id="evt_x", created=t0 + 60),
        0,
        "active",
        "succeeded",
    ),
    "invoice.payment_failed": (
        lambda user, t0, tiers: _joined(user, t0),
        lambda user, t0: event(
            "invoice.payment_failed", failed_invoice(user, invoice_id="in_renewal"), event_id="evt_x", created=t0 + 60
        ),
        0,
        "past_due",
        None,
    ),
    "charge.refunded": (
        lambda user, t0, tiers: _paid(user, t0),
        lambda user, t0: event(
            "charge.refunded", subscription_charge(amount_refunded=500), event_id="evt_x", created=t0 + 60
        ),
        1,
        "active",
        "partially_refunded",
    ),
    "charge.dispute.created": (
        lambda user, t0, tiers: _paid(user, t0),
        lambda user, t0: event("charge.dispute.created", so.dispute_payload(), event_id="evt_x", created=t0 + 60),
        1,
        "active",
        "disputed",
    ),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_the_same_event_delivered_ten_times_is_stored_and_applied_once(
    scenario, user, priced_tiers, stripe_http, t0, mailoutbox
):
    setup, build, lookups, membership_status, payment_status = SCENARIOS[scenario]
    setup(user, t0, priced_tiers)
    for _ in range(lookups):
        invoice_payments_answer(stripe_http)
    target = build(user, t0)

    (first,) = deliver(target)
    once = snapshot(user, mailoutbox)
    timeline_once = kinds(user)
    again = deliver(target, times=9)

    assert first.json() == {"received": True, "duplicate": False, "id": "evt_x"}
    assert [a.json()["duplicate"] for a in again] == [True] * 9
    assert WebhookEvent.objects.filter(provider="stripe", event_id="evt_x").count() == 1
    assert stored("evt_x").status == "processed" and stored("evt_x").attempts == 1
    assert snapshot(user, mailoutbox) == once, "nine more deliveries changed nothing"
    assert kinds(user) == timeline_once
    assert len(stripe_http.requests) == lookups, "a duplicate is not processed again, so Stripe is not asked again"
    # And the one processing did what it should.
    assert (once["membership"] or {}).get("status") == membership_status
    assert [p[5] for p in once["payments"]] == ([payment_status] if payment_status else [])
    assert Payment.objects.count() <= 1
    assert len(mails(mailoutbox, WELCOME)) <= 1 and len(mails(mailoutbox, PAYMENT_FAILED)) <= 1
    if scenario == "invoice.payment_failed":
        assert len(mails(mailoutbox, PAYMENT_FAILED)) == 1
    if scenario == "checkout.session.completed":
        assert once["checkouts"][0][1] is not None and once["customers"] == [("stripe", "cus_test_1", user.pk)]


# --- Late and out-of-order deliveries ------------------------------------------------------------------------


def test_a_newer_cancellation_delivered_before_the_older_creation_ends_cancelled(user, t0, mailoutbox):
    deliver(
        event(
            "customer.subscription.updated",
            subscription(user, cancel_at_period_end=True),
            event_id="evt_cancel",
            created=t0 + 60,
        )
    )
    deliver(event("customer.subscription.created", subscription(user), event_id="evt_created", created=t0))

    membership = Membership.objects.get(user=user)
    assert (membership.status, membership.cancel_at_period_end) == ("cancelled", True)
    assert {stored("evt_cancel").status, stored("evt_created").status} == {"processed"}
    assert len(mails(mailoutbox, WELCOME)) == 1 and kinds(user)["joined"] == 1


def test_an_older_update_delivered_after_the_deletion_does_not_bring_the_member_back(user, t0, mailoutbox):
    deliver(event("customer.subscription.created", subscription(user), event_id="evt_created", created=t0))
    deliver(
        event(
            "customer.subscription.deleted",
            subscription(user, status="canceled"),
            event_id="evt_deleted",
            created=t0 + 120,
        )
    )
    deliver(event("customer.subscription.updated", subscription(user), event_id="evt_old_update", created=t0 + 60))

    membership = Membership.objects.get(user=user)
    assert (membership.status, membership.ended_at) == ("lapsed", datetime.fromtimestamp(t0 + 120, tz=UTC))
    assert len(mails(mailoutbox, WELCOME)) == 1 and kinds(user)["joined"] == 1


def test_within_one_second_deleted_beats_updated_whatever_arrives_first(user, t0):
    deliver(event("customer.subscription.created", subscription(user), event_id="evt_created", created=t0))
    deliver(
        event(
            "customer.subscription.deleted",
            subscription(user, status="canceled"),
            event_id="evt_deleted",
            created=t0 + 60,
        )
    )
    deliver(
        event(
            "customer.subscription.updated",
            subscription(user, cancel_at_period_end=True),
            event_id="evt_update",
            created=t0 + 60,
        )
    )
    assert Membership.objects.get(user=user).status == "lapsed"


def test_an_older_failed_payment_after_a_newer_recovery_leaves_the_member_active(user, t0, mailoutbox):
    deliver(event("customer.subscription.created", subscription(user), event_id="evt_created", created=t0))
    deliver(event("customer.subscription.updated", subscription(user), event_id="evt_recovered", created=t0 + 120))
    deliver(
        event(
            "invoice.payment_failed",
            failed_invoice(user, invoice_id="in_renewal"),
            event_id="evt_failed",
            created=t0 + 60,
        )
    )

    assert Membership.objects.get(user=user).status == "active"
    assert stored("evt_failed").status == "processed"


def test_a_deletion_delivered_before_the_join_events_still_ends_lapsed(user, t0, mailoutbox):
    deliver(
        event(
            "customer.subscription.deleted",
            subscription(user, status="canceled"),
            event_id="evt_deleted",
            created=t0 + 600,
        )
    )
    deliver(event("invoice.paid", paid_invoice(user), event_id="evt_paid", created=t0 + 1))
    deliver(event("customer.subscription.created", subscription(user), event_id="evt_created", created=t0))
    assert Membership.objects.get(user=user).status == "lapsed"
    assert not [m for m in mailoutbox if "welcome" in m.subject], "an ended subscription is not welcomed"


# --- Shuffled sequences --------------------------------------------------------------------------------------


def _join_sequence(user, t0) -> list[dict]:
    """What Stripe sends when a reader subscribes through Checkout, in Stripe's order."""
    return [
        event(
            "customer.subscription.created",
            subscription(user, status="incomplete"),
            event_id="evt_1_created",
            created=t0,
        ),
        event("invoice.paid", paid_invoice(user), event_id="evt_2_paid", created=t0 + 1),
        event("customer.subscription.updated", subscription(user), event_id="evt_3_active", created=t0 + 2),
        event("checkout.session.completed", completed_checkout(user), event_id="evt_4_checkout", created=t0 + 3),
    ]


def _join_and_cancel_sequence(user, t0) -> list[dict]:
    return [
        *_join_sequence(user, t0),
        event(
            "customer.subscription.updated",
            subscription(user, cancel_at_period_end=True),
            event_id="evt_5_cancel",
            created=t0 + 600,
        ),
    ]


PERMUTATION_SEEDS = [None, "reversed", 1, 2, 3, 5, 8, 13]


def _ordered(events: list[dict], seed) -> list[dict]:
    if seed is None:
        return list(events)
    if seed == "reversed":
        return events[::-1]
    shuffled = list(events)
    random.Random(seed).shuffle(shuffled)
    return shuffled


def _expected(user, t0, status: str) -> dict:
    return {
        "membership": {
            "status": status,
            "source": "paid",
            "tier__slug": "supporter",
            "interval": "month",
            "currency": "GEL",
            "amount_minor": 1500,
            "current_period_end": PERIOD_END,
            "cancel_at_period_end": status == "cancelled",
            "grace_until": None,
            "ended_at": None,
            "provider": "stripe",
            "provider_customer_id": "cus_test_1",
            "provider_subscription_id": "sub_test_1",
        },
        "payments": [("in_test_1", "membership", user.pk, 1500, "GEL", "succeeded", 0)],
        "customers": [("stripe", "cus_test_1", user.pk)],
        "checkouts": [("ref_test_1", datetime.fromtimestamp(t0 + 3, tz=UTC))],
        # every paid invoice gets a numbered receipt, emailed once, whatever the delivery order; a member who
        # cancelled is told once when access ends, whether the cancellation arrived before or after the join
        "emails": sorted(
            [("membership_receipt", user.email), ("membership_welcome", user.email)]
            + ([("membership_renewal_stopped", user.email)] if status == "cancelled" else [])
        ),
    }


@pytest.mark.parametrize(
    "sequence, status",
    [(_join_sequence, "active"), (_join_and_cancel_sequence, "cancelled")],
    ids=["join", "join-then-cancel"],
)
@pytest.mark.parametrize("seed", PERMUTATION_SEEDS, ids=lambda seed: f"order-{seed or 'stripe'}")
def test_any_delivery_order_of_a_sequence_ends_in_the_same_state(
    sequence, status, seed, user, priced_tiers, t0, mailoutbox
):
    membership_checkout(user, priced_tiers)
    events = sequence(user, t0)
    order = _ordered(events, seed)
    assert sorted(e["id"] for e in order) == sorted(e["id"] for e in events)

    for evt in order:
        deliver(evt)

    end = snapshot(user, mailoutbox)
    del end["outbox"]
    assert end == _expected(user, t0, status), [e["id"] for e in order]
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"processed"}
    timeline = kinds(user)
    assert (timeline["joined"], timeline["renewed"], timeline["checkout_completed"], timeline["plan_changed"]) == (
        1,
        1,
        1,
        0,
    )
    # A cancellation delivered before the join makes a member who joins already cancelled: one "joined", no
    # separate "cancel requested" entry. The state is the same; the timeline tells the order it learnt things in.
    assert timeline["cancel_requested"] <= (1 if status == "cancelled" else 0)
    (welcome,) = mails(mailoutbox, WELCOME)
    assert "complimentary" not in welcome.body


def test_the_permutations_really_differ():
    orders = {tuple(e for e in _ordered(list("abcde"), seed)) for seed in PERMUTATION_SEEDS}
    assert len(orders) == len(PERMUTATION_SEEDS), "each seed should try a different delivery order"
    assert Counter(len(o) for o in orders) == {5: len(PERMUTATION_SEEDS)}


# --- A refund anywhere in the sequence -----------------------------------------------------------------------


def _join_and_refund_sequence(user, t0) -> list[dict]:
    """The join, then part of the first charge refunded: the refund may arrive before the invoice it refunds."""
    return [
        *_join_sequence(user, t0),
        event("charge.refunded", subscription_charge(amount_refunded=500), event_id="evt_5_refund", created=t0 + 600),
    ]


@pytest.mark.parametrize("seed", PERMUTATION_SEEDS, ids=lambda seed: f"order-{seed or 'stripe'}")
def test_a_refund_delivered_anywhere_in_the_sequence_ends_in_the_same_state(
    seed, user, priced_tiers, stripe_http, t0, mailoutbox
):
    membership_checkout(user, priced_tiers)
    invoice_payments_answer(stripe_http)  # asked once: on the refund's first check, early or not

    for evt in _ordered(_join_and_refund_sequence(user, t0), seed):
        deliver(evt)

    end = snapshot(user, mailoutbox)
    del end["outbox"]
    expected = _expected(user, t0, "active")
    expected["payments"] = [("in_test_1", "membership", user.pk, 1500, "GEL", "partially_refunded", 500)]
    expected["emails"] = sorted([*expected["emails"], ("receipt_corrected", user.email)])
    assert end == expected
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"processed"}
    assert kinds(user)["refunded"] == 1
    assert len(stripe_http.requests) == 1
