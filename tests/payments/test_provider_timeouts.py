"""A payment provider that accepts connections and never answers: the Stripe adapter gives up within seconds, retries
once with the same idempotency key, and every page that asks the provider something while a person waits shows them
a clear message (never a 500).

The provider here is a real TCP server on 127.0.0.1 that reads each request and stays silent; the adapter talks to it
through its real HTTP client (stripe.RequestsClient), pointed at it as Stripe's API address.
"""

from __future__ import annotations

import html
import re
import socket
import threading
import time

import pytest
from django.test import Client

from donations import recurring
from donations.models import Donation, RecurringDonation
from members.models import Membership
from outlet.payments import providers
from outlet.payments import services as payments
from outlet.payments.models import Payment
from outlet.payments.providers.base import (
    NOT_ANSWERING,
    NOT_ANSWERING_CHANGE,
    OUR_MARKER,
    CheckoutRequest,
    ProviderUnavailable,
)
from outlet.payments.providers.stripe.adapter import PERSON_WAITING, CallLimits, StripeProvider
from tests.donations.conftest import give
from tests.donations.factories_gift_admin import FINANCE
from tests.donations.factories_gift_admin import staff_with as finance_staff
from tests.factories import UserFactory
from tests.members import sandbox_journey as journey
from tests.members.factories_member_admin import staff_with

KEY = "sk_test_outlet_silent_provider"
# A loose bound, not a benchmark: the default SDK client would wait 80 s per attempt, three attempts.
A_FEW_SECONDS = 15
# For the page-by-page checks: the same adapter with shorter waits, so a dozen silent calls take seconds in all.
QUICK = CallLimits(connect_seconds=1, read_seconds=0.25, retries=1)


class SilentProvider:
    """Accepts every connection on 127.0.0.1, reads what is sent, and never answers."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.address = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._received: list[bytearray] = []
        self._connections: list[socket.socket] = []
        self._stopped = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            buffer = bytearray()
            self._connections.append(connection)
            self._received.append(buffer)
            threading.Thread(target=self._read, args=(connection, buffer), daemon=True).start()

    def _read(self, connection: socket.socket, buffer: bytearray) -> None:
        connection.settimeout(0.2)
        while not self._stopped.is_set():
            try:
                chunk = connection.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not chunk:
                return
            buffer.extend(chunk)

    def requests(self) -> list[tuple[str, dict[str, str]]]:
        """(request line, headers) of every request received, one per connection (each attempt opens its own)."""
        found = []
        for buffer in list(self._received):
            head = bytes(buffer).split(b"\r\n\r\n", 1)[0].decode("latin-1")
            if not head:
                continue
            line, *header_lines = head.split("\r\n")
            headers = {
                name.strip().lower(): value.strip() for name, _, value in (h.partition(":") for h in header_lines)
            }
            found.append((line, headers))
        return found

    def stop(self) -> None:
        self._stopped.set()
        self._listener.close()
        for connection in self._connections:
            connection.close()


@pytest.fixture
def silent():
    server = SilentProvider()
    yield server
    server.stop()


def donation_request() -> CheckoutRequest:
    return CheckoutRequest(
        purpose="donation",
        reference="don_9",
        email="donor@example.org",
        success_url="https://outlet.example/fundraisers/thanks/don_9/",
        cancel_url="https://outlet.example/fundraisers/",
        metadata={OUR_MARKER: "donation", "outlet_donation": "don_9"},
        one_time_amount_minor=2500,
        one_time_currency="GEL",
        description="Keep reporters safe",
    )


# --- The adapter on its own ---------------------------------------------------------------------------------


def test_a_silent_stripe_gives_the_donor_our_message_within_seconds_after_one_retry_with_the_same_key(silent):
    provider = StripeProvider(secret_key=KEY, webhook_secret="whsec_unused", api_base=silent.address)

    started = time.monotonic()
    with pytest.raises(ProviderUnavailable) as raised:
        provider.start_checkout(request=donation_request(), idempotency_key="donation-checkout-don_9")
    elapsed = time.monotonic() - started

    assert str(raised.value) == NOT_ANSWERING
    assert elapsed < A_FEW_SECONDS, f"the donor waited {elapsed:.1f} s"
    assert elapsed >= PERSON_WAITING.read_seconds, "it gave up before the read timeout: the provider was not silent"
    sent = silent.requests()
    assert [line for line, _ in sent] == ["POST /v1/checkout/sessions HTTP/1.1"] * 2, "one attempt and one retry"
    assert [headers["idempotency-key"] for _, headers in sent] == ["donation-checkout-don_9"] * 2


def test_a_change_sent_to_a_silent_stripe_says_it_may_have_happened_and_is_safe_to_repeat(silent):
    provider = StripeProvider(
        secret_key=KEY, webhook_secret="whsec_unused", api_base=silent.address, person_waiting=QUICK
    )

    with pytest.raises(ProviderUnavailable) as raised:
        provider.cancel_subscription_now(subscription_id="sub_1", idempotency_key="membership-7-cancel-now")

    assert str(raised.value) == NOT_ANSWERING_CHANGE
    assert [headers["idempotency-key"] for _, headers in silent.requests()] == ["membership-7-cancel-now"] * 2


def test_a_call_without_our_key_still_repeats_one_key_on_its_retry(silent):
    """The portal session takes no key from us; the SDK makes one, and its retry must not open a second session."""
    provider = StripeProvider(
        secret_key=KEY, webhook_secret="whsec_unused", api_base=silent.address, person_waiting=QUICK
    )

    with pytest.raises(ProviderUnavailable):
        provider.open_portal(customer_id="cus_1", return_url="https://outlet.example/accounts/membership/")

    keys = [headers.get("idempotency-key") for _, headers in silent.requests()]
    assert len(keys) == 2 and keys[0] and keys[0] == keys[1]


def test_the_longest_a_person_can_wait_is_a_few_seconds():
    """The figure the message and the web workers' sizing rely on (see the Procfile)."""
    assert PERSON_WAITING.retries <= 1
    assert PERSON_WAITING.silent_provider_seconds < A_FEW_SECONDS


# --- Every page that asks the provider while a person waits -------------------------------------------------


@pytest.fixture
def provider_goes_silent(silent):
    """Call to make the provider go silent: from then on every provider id resolves to the Stripe adapter pointed at
    the silent server (state made earlier through the sandbox stays as it was)."""
    quiet = StripeProvider(secret_key=KEY, webhook_secret="whsec_unused", api_base=silent.address, person_waiting=QUICK)
    with pytest.MonkeyPatch.context() as patch:
        yield lambda: patch.setattr(providers, "_build", lambda provider_id: quiet)
    providers.reset_providers()


def _page_text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def _assert_told(response, message: str, *, step: str) -> None:
    assert response.status_code in (200, 400), f"{step}: answered {response.status_code}"
    assert message in _page_text(response), f"{step}: the page does not say {message!r}"


def _timed_post(client: Client, url: str, data: dict | None = None, **extra):
    started = time.monotonic()
    response = client.post(url, data or {}, follow=True, **extra)
    elapsed = time.monotonic() - started
    assert elapsed < A_FEW_SECONDS, f"POST {url} took {elapsed:.1f} s"
    return response


@pytest.mark.django_db(transaction=True)
def test_a_reader_is_told_on_the_page_at_every_membership_step(priced_tiers, provider_goes_silent):
    member = UserFactory(email="eka@example.org")
    member_client = Client()
    member_client.force_login(member)
    journey.join_and_pay(member_client)
    payments.link_customer(provider_id="stripe", customer_id="cus_eka", user_id=member.pk)
    newcomer = UserFactory(email="giorgi@example.org")
    newcomer_client = Client()
    newcomer_client.force_login(newcomer)
    provider_goes_silent()

    joined = _timed_post(
        newcomer_client, "/membership/join/", {"tier": "supporter", "interval": "month", "currency": "GEL"}
    )
    _assert_told(joined, NOT_ANSWERING, step="join")
    changed = _timed_post(member_client, "/accounts/membership/change/", {"tier_interval": "insider|year"})
    _assert_told(changed, NOT_ANSWERING, step="change plan")
    cancelled = _timed_post(member_client, "/accounts/membership/cancel/")
    _assert_told(cancelled, NOT_ANSWERING_CHANGE, step="cancel")
    Membership.objects.filter(user=member).update(cancel_at_period_end=True)
    resumed = _timed_post(member_client, "/accounts/membership/resume/")
    _assert_told(resumed, NOT_ANSWERING_CHANGE, step="resume")
    portal = _timed_post(member_client, "/accounts/membership/billing/")
    _assert_told(portal, NOT_ANSWERING, step="card portal")
    membership = Membership.objects.get(user=member)
    assert (membership.status, membership.cancel_at_period_end) == ("active", True), "nothing changed on our side"


@pytest.mark.django_db(transaction=True)
def test_a_donor_is_told_on_the_page_when_giving_and_managing_a_monthly_gift(campaign, provider_goes_silent):
    donor = UserFactory(email="monthly@example.org")
    give(campaign, email=donor.email, gift_minor=2000, interval="month", user_id=donor.pk)
    gift = RecurringDonation.objects.get()
    give(campaign, email="guest-monthly@example.org", gift_minor=2000, interval="month")  # no account: manages by link
    guest_gift = RecurringDonation.objects.exclude(pk=gift.pk).get()
    client = Client()
    client.force_login(donor)
    provider_goes_silent()

    given = _timed_post(
        Client(),
        f"/fundraisers/{campaign.slug}/give/",
        {
            "currency": "GEL",
            "amount": "5000",
            "interval": "once",
            "email": "guest@example.org",
            "name": "Guest Donor",
            "split": "default",
        },
    )
    assert given.status_code == 400
    _assert_told(given, NOT_ANSWERING, step="give")
    amount = _timed_post(client, f"/accounts/gifts/{gift.pk}/amount/", {"amount": "35"})
    _assert_told(amount, NOT_ANSWERING, step="change the monthly amount")
    stopped = _timed_post(client, f"/accounts/gifts/{gift.pk}/cancel/")
    _assert_told(stopped, NOT_ANSWERING_CHANGE, step="stop the monthly gift")
    RecurringDonation.objects.filter(pk=gift.pk).update(cancel_at_period_end=True)
    kept = _timed_post(client, f"/accounts/gifts/{gift.pk}/resume/")
    _assert_told(kept, NOT_ANSWERING_CHANGE, step="keep the monthly gift")
    card = _timed_post(client, f"/accounts/gifts/{gift.pk}/card/")
    _assert_told(card, NOT_ANSWERING, step="card portal")
    by_link = _timed_post(Client(), f"/fundraisers/gifts/{recurring.manage_token(guest_gift)}/card/")
    _assert_told(by_link, NOT_ANSWERING, step="card portal from the emailed link")


@pytest.mark.django_db(transaction=True)
def test_staff_are_told_in_the_admin_when_cancelling_and_refunding(priced_tiers, campaign, provider_goes_silent):
    reader = UserFactory(email="nino@example.org")
    reader_client = Client()
    reader_client.force_login(reader)
    journey.join_and_pay(reader_client)
    membership = Membership.objects.get(user=reader)
    give(campaign, email="lela@example.org", gift_minor=5000)
    gift = Donation.objects.get()
    # Refunds go to Stripe only for ids Stripe issued; the sandbox's would be refused before any call.
    member_payment = Payment.objects.get(purpose=Payment.Purpose.MEMBERSHIP)
    Payment.objects.filter(pk=member_payment.pk).update(provider_ref="pi_silent_membership")
    Payment.objects.filter(pk=gift.payment_id).update(provider_ref="pi_silent_gift")
    manager = staff_with("members.view_membership", "members.cancel_membership", "members.refund_membership_payment")
    manager_client = Client()
    manager_client.force_login(manager)
    _, finance_client = finance_staff(*FINANCE)
    provider_goes_silent()

    member_action = f"/admin/members/membership/{membership.pk}/do/"
    for action in ("cancel-now", "cancel-at-period-end"):
        page = _timed_post(manager_client, f"{member_action}{action}/")
        _assert_told(page, NOT_ANSWERING_CHANGE, step=f"staff: {action}")
    Membership.objects.filter(pk=membership.pk).update(cancel_at_period_end=True)
    resumed = _timed_post(manager_client, f"{member_action}resume/")
    _assert_told(resumed, NOT_ANSWERING_CHANGE, step="staff: resume")
    refunded = _timed_post(manager_client, f"{member_action}refund/", {"payment_id": member_payment.pk})
    _assert_told(refunded, NOT_ANSWERING_CHANGE, step="staff: refund a membership payment")
    gift_refund = _timed_post(
        finance_client,
        f"/admin/donations/donation/{gift.pk}/refund/",
        {"amount": "", "refunded_seen": 0, "confirmed": "yes"},
    )
    _assert_told(gift_refund, NOT_ANSWERING_CHANGE, step="staff: refund a gift")
    assert Payment.objects.filter(amount_refunded_minor__gt=0).count() == 0


# --- The sandbox can play a silent provider (`make run` with SANDBOX_SILENT_SECONDS) ------------------------


@pytest.mark.django_db(transaction=True)
def test_the_sandbox_switched_to_silent_shows_the_same_messages(campaign, priced_tiers, settings):
    donor_client = Client()
    reader = UserFactory(email="tamar@example.org")
    reader_client = Client()
    reader_client.force_login(reader)
    journey.join_and_pay(reader_client)
    settings.SANDBOX_SILENT_SECONDS = 0.2

    started = time.monotonic()
    given = donor_client.post(
        f"/fundraisers/{campaign.slug}/give/",
        {
            "currency": "GEL",
            "amount": "5000",
            "interval": "once",
            "email": "guest@example.org",
            "name": "Guest Donor",
            "split": "default",
        },
    )
    assert time.monotonic() - started >= 0.2, "the sandbox waited as a silent provider would"
    assert given.status_code == 400
    _assert_told(given, NOT_ANSWERING, step="give through the silent sandbox")
    cancelled = reader_client.post("/accounts/membership/cancel/", follow=True)
    _assert_told(cancelled, NOT_ANSWERING_CHANGE, step="cancel through the silent sandbox")
    assert Membership.objects.get(user=reader).cancel_at_period_end is False

    settings.SANDBOX_SILENT_SECONDS = 0
    assert reader_client.post("/accounts/membership/cancel/").status_code == 302
    assert Membership.objects.get(user=reader).cancel_at_period_end is True, "answering again once switched back"
