"""The donation form's card-testing defence: rate limits per connection and per email, the proof-of-work
challenge, the switch that turns it on when declines spike, and what staff see and change in the admin.

Unit tests: the cache is the embedded default's file cache here, in a folder of each test's own
(tests/donations/test_abuse_redis.py runs the limits against the real Redis, test_abuse_across_processes.py counts
in two processes at once)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from donations import abuse, services
from donations.abuse import CheckoutBlocked
from donations.models import CheckoutShield
from outlet.payments import services as payments
from outlet.payments.models import WebhookEvent
from tests.donations.challenge import solve_challenge
from tests.factories import UserFactory

# A moment at the start of a minute, so the counters' one-minute slots make the waits exact.
T0 = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def limits(settings):
    settings.DONATION_RATE_LIMITS = {"ip": (3, 600), "email": (2, 600)}
    settings.DONATION_DECLINE_SPIKE = {"declines": 3, "window_seconds": 600, "challenge_minutes": 30}
    return settings


@pytest.fixture
def at_t0():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def attempt(*, ip: str = "203.0.113.7", email: str = "donor@example.org", solution: str | None = None) -> None:
    abuse.guard_checkout_start(ip=ip, email=email, challenge_solution=solution)


def blocked(**kwargs) -> CheckoutBlocked:
    with pytest.raises(CheckoutBlocked) as caught:
        attempt(**kwargs)
    return caught.value


# --- Rate limits ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_connection_over_its_limit_is_told_how_long_to_wait(limits, at_t0):
    for n in range(3):
        attempt(email=f"card{n}@example.org")

    refused = blocked(email="card3@example.org")

    assert refused.message == "Too many attempts from this connection; try again in 10 minutes."
    assert refused.needs_challenge is False
    attempt(ip="198.51.100.20", email="someone-else@example.org")  # another connection is not held back


@pytest.mark.django_db
def test_an_email_over_its_limit_is_refused_from_any_connection_however_it_is_typed(limits, at_t0):
    attempt(ip="192.0.2.1", email="Nino@Example.org")
    attempt(ip="192.0.2.2", email="  nino@example.org ")

    refused = blocked(ip="192.0.2.3", email="NINO@EXAMPLE.ORG")

    assert refused.message == "Too many attempts with this email address; try again in 10 minutes."


@pytest.mark.django_db
def test_the_limit_slides_so_the_wait_ends_when_the_oldest_attempts_leave_the_window(limits, at_t0):
    attempt(email="a@example.org")
    attempt(email="b@example.org")
    at_t0.shift(timedelta(minutes=5, seconds=1))
    attempt(email="c@example.org")

    assert blocked(email="d@example.org").message == "Too many attempts from this connection; try again in 5 minutes."

    at_t0.shift(timedelta(minutes=5))  # the first two attempts have left the window, the third has not
    attempt(email="d@example.org")
    attempt(email="e@example.org")
    assert "try again in 5 minutes" in blocked(email="f@example.org").message


@pytest.mark.django_db
def test_a_refused_attempt_does_not_lengthen_the_wait(limits, at_t0):
    for n in range(3):
        attempt(email=f"card{n}@example.org")
    for n in range(20):
        blocked(email=f"more{n}@example.org")

    at_t0.shift(timedelta(minutes=10))

    attempt(email="back@example.org")


@pytest.mark.django_db
def test_an_ipv6_connection_is_limited_by_its_64_block(limits, at_t0):
    for n in range(3):
        attempt(ip=f"2001:db8:abcd:12::{n + 1}", email=f"v6-{n}@example.org")

    assert "connection" in blocked(ip="2001:db8:abcd:12:ffff::9", email="v6-x@example.org").message
    attempt(ip="2001:db8:abcd:13::1", email="v6-y@example.org")  # the next /64 is someone else


@pytest.mark.django_db
def test_an_attempt_refused_for_its_email_does_not_use_up_the_connections_allowance(limits, at_t0):
    attempt(ip="192.0.2.1", email="same@example.org")
    attempt(ip="192.0.2.1", email="same@example.org")
    blocked(ip="192.0.2.1", email="same@example.org")
    blocked(ip="192.0.2.1", email="same@example.org")

    attempt(ip="192.0.2.1", email="other@example.org")  # 3rd counted attempt of this connection: still allowed


# --- The challenge ----------------------------------------------------------------------------------------------


@pytest.fixture
def challenge_on(limits, db):
    abuse.set_shield_mode(mode=CheckoutShield.Mode.ON)


def test_with_the_challenge_on_a_form_without_a_solution_says_it_needs_javascript(challenge_on):
    refused = blocked(solution="")

    assert refused.needs_challenge is True
    assert "JavaScript" in refused.message


def test_a_solved_challenge_lets_the_checkout_start(challenge_on):
    challenge = abuse.new_challenge()

    attempt(solution=solve_challenge(challenge))

    assert challenge["maxNumber"] == 100_000 and challenge["algorithm"] == "SHA-256"
    assert "expires=" in challenge["salt"]


def test_a_solution_is_accepted_once(challenge_on):
    solution = solve_challenge(abuse.new_challenge())
    attempt(solution=solution)

    refused = blocked(email="second@example.org", solution=solution)

    assert refused.message.startswith("That anti-abuse check was already used.")
    assert refused.needs_challenge is True


def test_an_expired_solution_is_refused_with_a_clear_message(challenge_on, at_t0):
    solution = solve_challenge(abuse.new_challenge())
    at_t0.shift(timedelta(minutes=11))

    refused = blocked(solution=solution)

    assert refused.message.startswith("The anti-abuse check expired while the form was open.")


def _payload(solution: str) -> dict:
    return json.loads(base64.b64decode(solution))


def _encode(payload: dict) -> str:
    return base64.b64encode(json.dumps(payload).encode()).decode()


def _wrong_number(solution: str) -> str:
    payload = _payload(solution)
    return _encode(payload | {"number": payload["number"] + 1})


def _forged_expiry(solution: str) -> str:
    payload = _payload(solution)  # a later expiry in the salt breaks the signature
    return _encode(payload | {"salt": payload["salt"].replace("expires=", "expires=9")})


def _someone_elses_key(solution: str) -> str:
    import altcha

    challenge = altcha.create_challenge_v1(
        altcha.ChallengeOptionsV1(
            hmac_key="not-our-key", max_number=1000, expires=datetime.now(UTC) + timedelta(minutes=5)
        )
    )
    return solve_challenge(challenge.to_dict())


@pytest.mark.parametrize(
    "tamper",
    [
        _wrong_number,
        _forged_expiry,
        _someone_elses_key,
        lambda s: "not base64 at all!",
        lambda s: _encode([1, 2, 3]),
        lambda s: base64.b64encode(b"\xff\xfe").decode(),
        lambda s: _encode({"algorithm": "MD5"}),
        lambda s: "A" * 5000,
    ],
)
def test_a_wrong_or_forged_solution_is_refused(challenge_on, tamper):
    solution = solve_challenge(abuse.new_challenge())

    refused = blocked(solution=tamper(solution))

    assert refused.message.startswith("The anti-abuse check did not pass.")
    assert refused.needs_challenge is True


def test_a_refused_challenge_does_not_count_against_the_limits(challenge_on, at_t0):
    for _ in range(5):
        blocked(solution="nonsense")

    for n in range(2):
        attempt(email=f"real{n}@example.org", solution=solve_challenge(abuse.new_challenge()))


# --- The switch: declines through the sandbox's checkout page ---------------------------------------------------


def start_gift(campaign, email: str = "tester@example.org") -> str:
    checkout, redirect = services.start_donation_checkout(
        request=services.DonationRequest(
            campaign=campaign, email=email, currency="GEL", gift_minor=500, interval="once"
        ),
        success_url="http://testserver/thanks/{reference}/",
        cancel_url="http://testserver/give/",
    )
    return redirect.url


def decline_on_the_sandbox_page(url: str):
    response = Client().post(url, {"choice": "decline"})
    assert response.status_code == 402 and b"declined" in response.content
    return response


@pytest.mark.django_db(transaction=True)
def test_a_spike_of_declined_gifts_switches_the_challenge_on_until_it_runs_out(limits, at_t0, campaign):
    first = start_gift(campaign, "one@example.org")
    decline_on_the_sandbox_page(first)
    decline_on_the_sandbox_page(start_gift(campaign, "two@example.org"))
    assert abuse.challenge_required() is False

    decline_on_the_sandbox_page(first)  # the same checkout tried with another card

    assert abuse.challenge_required() is True
    assert blocked(email="next@example.org").needs_challenge is True
    shield = CheckoutShield.objects.get()
    assert shield.challenge_until == T0 + timedelta(minutes=30)
    assert shield.last_triggered_at == T0
    assert shield.last_trigger_reason == "3 declined payments in 10 minutes"
    assert WebhookEvent.objects.filter(type="payment.failed", status="processed").count() == 3

    at_t0.shift(timedelta(minutes=30, seconds=1))
    assert abuse.challenge_required() is False
    attempt(email="later@example.org")


@pytest.mark.django_db(transaction=True)
def test_a_redelivered_decline_is_counted_once(limits, at_t0, campaign):
    decline_on_the_sandbox_page(start_gift(campaign))
    decline_on_the_sandbox_page(start_gift(campaign))
    stored = WebhookEvent.objects.filter(type="payment.failed").first()

    for _ in range(3):  # replayed by the sweep, as if its processing had been lost
        WebhookEvent.objects.filter(pk=stored.pk).update(status=WebhookEvent.Status.RECEIVED)
        payments.process_webhook_event(webhook_event_pk=stored.pk)

    assert abuse.attack_state().declines_in_window == 2
    assert abuse.challenge_required() is False


@pytest.mark.django_db
def test_declines_older_than_the_window_do_not_switch_anything(limits, at_t0):
    for n in range(5):
        abuse.record_decline(occurred_at=T0 - timedelta(minutes=11), reference=f"pi_old_{n}")

    assert abuse.challenge_required() is False
    assert abuse.attack_state().declines_in_window == 0


@pytest.mark.django_db
def test_declines_spread_over_more_than_the_window_do_not_switch_it_on(limits, at_t0):
    abuse.record_decline(occurred_at=T0, reference="pi_1")
    abuse.record_decline(occurred_at=T0, reference="pi_2")
    at_t0.shift(timedelta(minutes=10, seconds=1))

    abuse.record_decline(occurred_at=T0 + timedelta(minutes=10, seconds=1), reference="pi_3")

    assert abuse.challenge_required() is False


# --- Staff decide -----------------------------------------------------------------------------------------------


def _spike():
    for n in range(3):
        abuse.record_decline(occurred_at=T0, reference=f"pi_spike_{n}")


@pytest.mark.django_db
def test_staff_can_keep_the_challenge_off_through_a_spike(limits, at_t0):
    abuse.set_shield_mode(mode=CheckoutShield.Mode.OFF)

    _spike()

    assert abuse.challenge_required() is False
    attempt()
    assert CheckoutShield.objects.get().last_trigger_reason == "3 declined payments in 10 minutes"  # still recorded


@pytest.mark.django_db
def test_staff_can_force_the_challenge_on_without_a_spike(limits, at_t0):
    abuse.set_shield_mode(mode=CheckoutShield.Mode.ON)

    assert abuse.challenge_required() is True
    at_t0.shift(timedelta(days=30))
    assert abuse.challenge_required() is True


@pytest.mark.django_db
def test_switching_off_now_ends_an_automatic_challenge_but_a_new_spike_brings_it_back(limits, at_t0):
    _spike()
    assert abuse.challenge_required() is True

    abuse.switch_challenge_off_now()
    assert abuse.challenge_required() is False

    at_t0.shift(timedelta(minutes=1))
    abuse.record_decline(occurred_at=T0 + timedelta(minutes=1), reference="pi_again")
    assert abuse.challenge_required() is True


@pytest.mark.django_db
def test_the_decision_is_cached_so_the_form_page_does_not_ask_the_database(limits, django_assert_num_queries):
    abuse.challenge_required()

    with django_assert_num_queries(0):
        for _ in range(5):
            abuse.challenge_required()


# --- The admin page -----------------------------------------------------------------------------------------------


@pytest.fixture
def staff_client(db):
    client = Client()
    client.force_login(UserFactory(username="editor", is_staff=True, is_superuser=True))
    return client


ADMIN_LIST = "/admin/donations/checkoutshield/"


@pytest.mark.django_db
def test_staff_see_the_attack_state_and_the_counters(limits, staff_client, at_t0):
    attempt(email="a@example.org")
    attempt(email="b@example.org")
    _spike()

    page = staff_client.get(ADMIN_LIST, follow=True)

    assert page.status_code == 200
    text = page.content.decode()
    assert "On until" in text and "after a spike of declined payments" in text
    assert "3 declined payments in 10 minutes" in text
    assert (
        "In the last 10 minutes: 3 declined donation payments (3 switch the challenge on), 2 checkout starts." in text
    )
    assert CheckoutShield.objects.count() == 1


@pytest.mark.django_db
def test_a_mode_saved_in_the_admin_takes_effect_at_once(limits, staff_client):
    assert abuse.challenge_required() is False  # the decision is now cached
    shield = abuse.shield()

    response = staff_client.post(f"{ADMIN_LIST}{shield.pk}/change/", {"mode": "on"})

    assert response.status_code == 302
    assert abuse.challenge_required() is True
    assert "On: staff ask for it always." in staff_client.get(response["Location"]).content.decode()


@pytest.mark.django_db
def test_staff_switch_the_challenge_off_now_from_the_admin(limits, staff_client, at_t0):
    _spike()
    assert abuse.challenge_required() is True
    shield = abuse.shield()

    staff_client.post(f"{ADMIN_LIST}{shield.pk}/change/", {"mode": "auto", "switch_off_now": "on"})

    assert abuse.challenge_required() is False
    assert CheckoutShield.objects.get().challenge_until is None


@pytest.mark.django_db
def test_the_shield_can_be_neither_added_nor_deleted(staff_client):
    shield = abuse.shield()

    assert staff_client.get(f"{ADMIN_LIST}add/").status_code == 403
    assert staff_client.post(f"{ADMIN_LIST}{shield.pk}/delete/", {"post": "yes"}).status_code == 403
    assert CheckoutShield.objects.count() == 1
