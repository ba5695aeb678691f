"""A member changes plan, cancels and resumes from the account page: each says what happened and what happens next,
shows "pending" until the provider's event confirms it, and sends exactly one email once it is confirmed."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from members.models import Membership, MembershipChange
from outlet.common.local_time import date_text
from outlet.payments.models import WebhookEvent
from outlet.payments.providers.sandbox import provider as sandbox
from tests.factories import UserFactory
from tests.members import sandbox_journey as journey

pytestmark = pytest.mark.django_db(transaction=True)  # the intake processes events at commit, as in production


@pytest.fixture
def member(priced_tiers):
    user = UserFactory(email="eka@example.org", first_name="Eka")
    client = Client()
    client.force_login(user)
    journey.join_and_pay(client)
    return user, client


@pytest.fixture
def slow_provider(monkeypatch):
    """The provider accepts requests at once but its events arrive later (as over the internet): held here until
    `deliver()` hands them to the intake."""
    held: list[tuple[bytes, dict]] = []
    original = sandbox.deliver_webhook
    monkeypatch.setattr(sandbox, "deliver_webhook", lambda body, headers: held.append((body, dict(headers))))

    def deliver():
        while held:
            original(*held.pop(0))

    return deliver


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def _emails(mailoutbox, word: str) -> list:
    return [m for m in mailoutbox if word in m.subject]


def test_cancelling_asks_first_then_says_when_access_ends(member, mailoutbox):
    user, client = member
    ends = date_text(Membership.objects.get(user=user).current_period_end)
    confirm = client.get("/accounts/membership/cancel/")
    assert confirm.status_code == 200 and "Cancel your membership?" in _text(confirm)
    assert f"You keep full access until {ends}" in _text(confirm)
    assert Membership.objects.get(user=user).cancel_at_period_end is False, "opening the page changes nothing"

    page = client.post("/accounts/membership/cancel/", follow=True)
    text = _text(page)
    assert f"Your membership will not renew. You keep full access until {ends}" in text
    assert f"Cancelled — ends on {ends}" in text
    assert len(_emails(mailoutbox, "will end on")) == 1
    assert f"full access until {ends}" in _emails(mailoutbox, "will end on")[0].body


def test_a_change_waiting_for_the_provider_shows_as_pending_then_confirmed(member, slow_provider, mailoutbox):
    user, client = member
    page = client.post("/accounts/membership/change/", {"tier_interval": "insider|year"}, follow=True)
    text = _text(page)
    assert "We have asked our payment provider to move you to Insider, yearly" in text
    assert "Pending: your move to Insider, yearly is waiting for our payment provider's confirmation" in text
    assert '<meta http-equiv="refresh"' in page.content.decode(), "the page refreshes itself while pending"
    assert "Change my plan" not in text and "Cancel my membership" not in text, "no second request while one waits"
    assert not _emails(mailoutbox, "is now Insider")

    slow_provider()
    text = _text(client.get("/accounts/membership/"))
    assert "Pending" not in text and "Tier Insider, yearly" in text
    assert MembershipChange.objects.get().confirmed_at is not None
    assert len(_emails(mailoutbox, "is now Insider, yearly")) == 1


def test_each_change_sends_one_email_even_when_the_provider_repeats_its_events(member, mailoutbox):
    user, client = member
    client.post("/accounts/membership/change/", {"tier_interval": "insider|month"})
    client.post("/accounts/membership/cancel/")
    client.post("/accounts/membership/resume/", follow=True)
    for event in WebhookEvent.objects.order_by("id"):  # every event delivered again
        body = json.dumps(event.payload).encode()
        sandbox.deliver_webhook(body, {sandbox.SIGNATURE_HEADER: sandbox.sign(body)})
    assert len(_emails(mailoutbox, "is now Insider, monthly")) == 1
    assert len(_emails(mailoutbox, "will end on")) == 1
    assert len(_emails(mailoutbox, "will renew")) == 1
    resumed = _emails(mailoutbox, "will renew")[0]
    assert resumed.body.startswith("Dear Eka,")


def test_resuming_says_so_on_the_page(member):
    _, client = member
    client.post("/accounts/membership/cancel/")
    text = _text(client.post("/accounts/membership/resume/", follow=True))
    assert "Your membership will renew as before. Thank you for staying." in text
    assert "Status Active" in text


def test_a_reader_without_a_name_is_greeted_without_a_made_up_one(priced_tiers, mailoutbox):
    user = UserFactory(email="tamar.reader@example.org")
    client = Client()
    client.force_login(user)
    journey.join_and_pay(client)
    welcome = next(m for m in mailoutbox if "welcome" in m.subject)
    assert welcome.body.startswith("Hello,") and "tamar.reader," not in welcome.body
