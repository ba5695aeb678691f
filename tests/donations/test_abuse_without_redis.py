"""The card-testing shield while its Redis is down: checkout starts fail closed with a plain message, a solved
challenge is not mistaken for a used one, a reported decline does not fail its webhook, and the limits count again
as soon as Redis is back. No server needed: the cache points at a port where nothing listens."""

from __future__ import annotations

import logging
import socket
from datetime import timedelta

import pytest
from django.utils import timezone

from donations import abuse
from donations.abuse import CACHE_DOWN_MESSAGE, CheckoutBlocked
from donations.models import CheckoutShield
from tests.donations.challenge import solve_challenge

pytestmark = pytest.mark.django_db


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_gone(settings):
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "BACKEND": "outlet.common.redis_cache.ReusedClientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{unused_port()}/0",
            "OPTIONS": settings.REDIS_CACHE_OPTIONS,
        }
    }


def refusal(**kwargs) -> CheckoutBlocked:
    with pytest.raises(CheckoutBlocked) as caught:
        abuse.guard_checkout_start(
            **({"ip": "203.0.113.7", "email": "donor@example.org", "challenge_solution": None} | kwargs)
        )
    return caught.value


def test_a_checkout_start_is_refused_with_a_plain_message_while_the_counters_are_down(redis_gone):
    refused = refusal()
    assert (
        refused.message == "We can't take gifts for a moment; nothing was charged. Please try again in a few minutes."
    )
    assert refused.retry_later and not refused.needs_challenge and refused.status == 503


def test_every_attempt_is_refused_not_only_the_first(redis_gone):
    """Fail closed means closed: a card tester who keeps trying never finds a moment when nothing counts."""
    assert all(refusal(email=f"card{n}@example.org").message == CACHE_DOWN_MESSAGE for n in range(20))


def test_a_solved_challenge_during_the_outage_is_not_called_used(redis_gone):
    abuse.set_shield_mode(mode=CheckoutShield.Mode.ON)
    solution = solve_challenge(abuse.new_challenge())
    assert refusal(challenge_solution=solution).message == CACHE_DOWN_MESSAGE


def test_a_decline_reported_during_the_outage_does_not_fail_its_webhook(redis_gone, caplog):
    with caplog.at_level(logging.WARNING, logger="donations.abuse"):
        abuse.record_decline(occurred_at=timezone.now() - timedelta(seconds=5), reference="pi_declined")
    assert "decline pi_declined not counted" in caplog.text


def test_a_decline_naming_its_card_during_the_outage_does_not_fail_its_webhook(redis_gone, caplog):
    with caplog.at_level(logging.WARNING, logger="donations.abuse"):
        abuse.record_decline(
            occurred_at=timezone.now() - timedelta(seconds=5),
            reference="pi_card",
            card_fingerprint="fp_stolen",
            checkout_reference="4f0c1e52-0000-4000-8000-000000000000",
        )
    assert "decline pi_card not counted" in caplog.text


def test_the_refusals_carry_their_own_status():
    assert CheckoutBlocked("x").status == 429
    assert CheckoutBlocked("x", needs_challenge=True).status == 400
    assert CheckoutBlocked("x", retry_later=True).status == 503
