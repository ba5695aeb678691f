"""The card-testing shield's limit per card: a card the provider names (Stripe's card fingerprint) that is declined
again and again gets refused for a while, and so does whoever tries it: the email and the connection of each
checkout it is declined on cannot start another gift until the refusal ends.

The card is typed on the provider's page, so it is unknown when a checkout starts; the refusal reaches the donor
through the checkout the decline names. Unit tests on the embedded default's file cache."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from donations import abuse, services
from donations.abuse import CheckoutBlocked

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)
CRACKER = {"ip": "203.0.113.9", "email": "cracker@example.org"}


@pytest.fixture(autouse=True)
def rules(settings):
    settings.DONATION_RATE_LIMITS = {"ip": (100, 600), "email": (100, 600)}
    settings.DONATION_DECLINE_SPIKE = {"declines": 1000, "window_seconds": 600, "challenge_minutes": 30}
    settings.DONATION_CARD_DECLINES = {"declines": 3, "window_seconds": 3600, "refuse_minutes": 120}


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def start(campaign, *, ip: str, email: str) -> str:
    """A checkout started through the guard, as the donation form does; returns its reference."""
    abuse.guard_checkout_start(ip=ip, email=email, challenge_solution=None)
    checkout, _ = services.start_donation_checkout(
        request=services.DonationRequest(
            campaign=campaign, email=email, currency="GEL", gift_minor=500, interval="once"
        ),
        success_url="http://testserver/thanks/{reference}/",
        cancel_url="http://testserver/give/",
    )
    return str(checkout.reference)


def decline(checkout: str | None, card: str | None, *, at: datetime = T0) -> None:
    abuse.record_decline(
        occurred_at=at, reference=f"pi_{uuid.uuid4().hex[:12]}", card_fingerprint=card, checkout_reference=checkout
    )


def refusal(*, ip: str, email: str) -> str:
    with pytest.raises(CheckoutBlocked) as caught:
        abuse.guard_checkout_start(ip=ip, email=email, challenge_solution=None)
    assert caught.value.status == 429 and not caught.value.needs_challenge
    return caught.value.message


def allowed(*, ip: str, email: str) -> bool:
    abuse.guard_checkout_start(ip=ip, email=email, challenge_solution=None)
    return True


def test_a_card_declined_again_and_again_refuses_the_email_and_connection_that_tried_it(clock, campaign):
    checkout = start(campaign, **CRACKER)
    decline(checkout, "fp_stolen")
    decline(checkout, "fp_stolen")
    assert allowed(**CRACKER)  # two declines: a donor who mistyped may try again

    decline(checkout, "fp_stolen")

    assert refusal(ip="198.51.100.1", email="cracker@example.org") == (
        "A card used with this email address was declined too many times, so to protect cardholders from card "
        "testing we can't start a new gift with this email address for about 2 hours. Nothing was charged."
    )
    assert "from this connection" in refusal(ip="203.0.113.9", email="another-name@example.org")
    assert "with this email address" in refusal(ip="198.51.100.1", email="Cracker+2@Example.org")
    assert allowed(ip="198.51.100.1", email="someone-else@example.org")


def test_once_refused_the_card_refuses_each_new_donor_at_their_first_decline(clock, campaign):
    first = start(campaign, **CRACKER)
    for _ in range(3):
        decline(first, "fp_stolen")
    second = start(campaign, ip="192.0.2.44", email="second-try@example.org")

    decline(second, "fp_stolen")

    assert "with this email address" in refusal(ip="198.51.100.1", email="second-try@example.org")
    assert "from this connection" in refusal(ip="192.0.2.44", email="third@example.org")


def test_the_refusal_ends_after_its_time(clock, campaign):
    checkout = start(campaign, **CRACKER)
    for _ in range(3):
        decline(checkout, "fp_stolen")
    clock.shift(timedelta(minutes=119))
    assert "for 1 minute" in refusal(**CRACKER)

    clock.shift(timedelta(minutes=1, seconds=1))

    assert allowed(**CRACKER)


def test_declines_of_different_cards_do_not_add_up(clock, campaign):
    checkout = start(campaign, **CRACKER)
    for card in ("fp_one", "fp_two", "fp_three"):
        decline(checkout, card)

    assert allowed(**CRACKER)


def test_a_redelivered_decline_counts_once_for_its_card(clock, campaign):
    checkout = start(campaign, **CRACKER)
    for _ in range(3):
        abuse.record_decline(
            occurred_at=T0, reference="pi_same", card_fingerprint="fp_stolen", checkout_reference=checkout
        )

    assert allowed(**CRACKER)


def test_declines_spread_over_more_than_the_cards_window_do_not_refuse_it(clock, campaign):
    checkout = start(campaign, **CRACKER)
    decline(checkout, "fp_stolen")
    decline(checkout, "fp_stolen")
    clock.shift(timedelta(minutes=61))

    decline(checkout, "fp_stolen", at=T0 + timedelta(minutes=61))

    assert allowed(**CRACKER)


def test_a_late_decline_counts_for_its_card_though_it_is_past_the_spike_window(clock, campaign):
    checkout = start(campaign, **CRACKER)
    clock.shift(timedelta(minutes=30))
    for n in range(3):
        decline(checkout, "fp_stolen", at=T0 + timedelta(minutes=n))  # reported late: older than the spike's 10 minutes

    assert "with this email address" in refusal(ip="198.51.100.1", email=CRACKER["email"])
    assert abuse.attack_state().declines_in_window == 0


def test_a_decline_without_a_checkout_still_counts_for_the_card(clock, campaign):
    for _ in range(3):
        decline(None, "fp_stolen")
    second = start(campaign, ip="192.0.2.44", email="second-try@example.org")

    decline(second, "fp_stolen")

    assert "with this email address" in refusal(ip="198.51.100.1", email="second-try@example.org")


def test_a_decline_without_a_card_refuses_nobody(clock, campaign):
    """What the providers report today when they name no card: only the spike counts it."""
    checkout = start(campaign, **CRACKER)
    for _ in range(5):
        decline(checkout, None)

    assert allowed(**CRACKER)
    assert abuse.attack_state().declines_in_window == 5


@pytest.mark.django_db(transaction=True)
def test_a_card_declined_again_and_again_on_the_sandbox_page_refuses_its_donor(clock, campaign):
    abuse.guard_checkout_start(challenge_solution=None, **CRACKER)
    _, redirect = services.start_donation_checkout(
        request=services.DonationRequest(
            campaign=campaign, email=CRACKER["email"], currency="GEL", gift_minor=500, interval="once"
        ),
        success_url="http://testserver/thanks/{reference}/",
        cancel_url="http://testserver/give/",
    )
    for _ in range(3):  # the same card tried again on the provider's page
        assert Client().post(redirect.url, {"choice": "decline"}).status_code == 402

    try:
        abuse.guard_checkout_start(challenge_solution=None, **CRACKER)
    except CheckoutBlocked as refused:
        assert "was declined too many times" in refused.message
    else:
        raise AssertionError("the donor whose card was declined three times could start another checkout")
