"""One instant, one date: the welcome and payment-failed emails, the timeline and the account page name the same
day, in the site's zone, at every hour (date-sensitive: also run at 23:30 UTC and 00:30 Tbilisi time)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from members.models import MemberEvent, Membership
from outlet.common.local_time import date_text
from tests.factories import UserFactory
from tests.members import sandbox_journey as journey

# Real commits: the intake queues processing with transaction.on_commit, as in production.
pytestmark = [pytest.mark.date_sensitive, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def reader():
    user = UserFactory(email="nino@example.org", first_name="Nino")
    client = Client()
    client.force_login(user)
    return user, client


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_welcome_email_and_the_account_page_name_the_same_next_charge(priced_tiers, reader, mailoutbox):
    user, client = reader
    journey.join_and_pay(client)
    next_charge = date_text(Membership.objects.get(user=user).current_period_end)
    welcome = next(m for m in mailoutbox if "welcome" in m.subject.lower())
    assert f"Next charge: {next_charge}." in welcome.body
    assert f"Next charge {next_charge}" in _text(client.get("/accounts/membership/").content.decode())


def test_the_payment_failed_email_the_timeline_and_the_page_name_the_same_last_day_of_access(
    priced_tiers, reader, mailoutbox
):
    user, client = reader
    journey.join_and_pay(client)
    portal_url = journey.portal(client)
    client.post(portal_url, {"action": "card", "card": "0341"})
    client.post(portal_url, {"action": "renew", "subscription": journey.subscription_id()})
    grace_ends = date_text(Membership.objects.get(user=user).grace_until)
    failed = next(m for m in mailoutbox if "did not go through" in m.subject)
    assert f"continues until {grace_ends}" in failed.body
    page = _text(client.get("/accounts/membership/").content.decode())
    assert f"access until {grace_ends}" in page
    summary = MemberEvent.objects.filter(user=user, kind="payment_failed").latest("id").summary
    assert summary.endswith(f"access kept until {grace_ends}")
