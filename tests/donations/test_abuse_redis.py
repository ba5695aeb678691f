"""The card-testing limits against the real Redis: counts from many web processes at once are never lost, a
challenge solution is redeemed by exactly one of them, and every counter expires.

Threads stand in for web processes: each has its own Django cache connection to Redis, so they race exactly as
gunicorn workers would."""

from __future__ import annotations

import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.utils import timezone

from donations import abuse
from donations.abuse import CheckoutBlocked
from donations.models import CheckoutShield
from tests.donations.challenge import solve_challenge

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis_cache(real_redis, settings):
    """Django's cache is the project's Redis backend on REDIS_URL, under a prefix of this test's own."""
    prefix = f"test-abuse-{uuid.uuid4().hex[:10]}"
    settings.CACHES = {
        "default": {
            "BACKEND": "outlet.common.redis_cache.ReusedClientRedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": prefix,
        }
    }
    settings.DONATION_RATE_LIMITS = {"ip": (10, 600), "email": (1000, 600)}
    settings.DONATION_DECLINE_SPIKE = {"declines": 5, "window_seconds": 600, "challenge_minutes": 30}
    yield real_redis, prefix
    for key in real_redis.scan_iter(match=f"{prefix}:*"):
        real_redis.delete(key)


def outcome(**kwargs) -> str:
    try:
        abuse.guard_checkout_start(**kwargs)
    except CheckoutBlocked as refused:
        return refused.message
    return "allowed"


def race(calls: list[dict], *, workers: int = 8) -> list[str]:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda kwargs: outcome(**kwargs), calls))


def test_forty_simultaneous_attempts_from_one_connection_let_exactly_ten_through(redis_cache):
    abuse.challenge_required()  # the shield decision is cached now: the threads only talk to Redis

    results = race(
        [{"ip": "203.0.113.9", "email": f"card{n}@example.org", "challenge_solution": None} for n in range(40)]
    )

    assert results.count("allowed") == 10
    assert set(results) - {"allowed"} == {"Too many attempts from this connection; try again in 10 minutes."}
    assert abuse.attack_state().checkout_starts_in_window == 10
    assert outcome(ip="198.51.100.1", email="neighbour@example.org", challenge_solution=None) == "allowed"


def test_the_counters_live_in_redis_and_expire(redis_cache):
    client, prefix = redis_cache
    abuse.guard_checkout_start(ip="203.0.113.9", email="donor@example.org", challenge_solution=None)

    keys = [key for key in client.scan_iter(match=f"{prefix}:*") if b":abuse:shield" not in key]

    slots = [key for key in keys if b":abuse:origin:" not in key]
    [origin] = [key for key in keys if b":abuse:origin:" in key]
    assert len(slots) == 3, "one slot each for the connection, the email and the starts"
    assert not any(b"donor@example.org" in key for key in keys), "the cache never holds a donor's address"
    ttls = [client.ttl(key) for key in slots]
    assert all(0 < ttl <= 600 + 2 * 60 for ttl in ttls), ttls
    assert 0 < client.ttl(origin) <= 3600, "where the email gave from is kept only for the card limit's window"


def test_a_solution_sent_by_many_processes_at_once_is_accepted_once(redis_cache):
    abuse.set_shield_mode(mode=CheckoutShield.Mode.ON)
    assert abuse.challenge_required() is True
    solution = solve_challenge(abuse.new_challenge())

    results = race(
        [{"ip": f"192.0.2.{n}", "email": f"d{n}@example.org", "challenge_solution": solution} for n in range(12)]
    )

    assert results.count("allowed") == 1
    assert all(r.startswith("That anti-abuse check was already used.") for r in results if r != "allowed")


def test_simultaneous_declines_switch_the_challenge_on_once_the_spike_is_reached(redis_cache, real_postgres):
    now = timezone.now()
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(
            pool.map(
                lambda n: abuse.record_decline(occurred_at=now - timedelta(seconds=n), reference=f"pi_{n}"), range(5)
            )
        )

    assert abuse.attack_state().declines_in_window == 5
    assert abuse.challenge_required() is True
    assert CheckoutShield.objects.get().last_trigger_reason == "5 declined payments in 10 minutes"
