"""A member manages their membership in Chromium: changes plan (the provider's confirmation arrives a little later,
as over the internet, and the page shows "pending" until it refreshes itself into the new plan), cancels after
confirming, resumes, and opens the card portal and comes back. Each step says what happened."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from playwright.sync_api import Page, expect

from members.models import Membership
from outlet.common.local_time import date_text
from outlet.payments.providers.sandbox import provider as sandbox
from tests.factories import UserFactory
from tests.members import sandbox_journey as journey
from tests.staff import TEST_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL = "eka.member@example.org"


@pytest.fixture
def member(settings, live_server, priced_tiers):
    from django.test import Client

    settings.SITE_URL = live_server.url
    user = UserFactory(email=EMAIL, first_name="Eka")
    EmailAddress.objects.create(user=user, email=EMAIL, verified=True, primary=True)
    client = Client()
    client.force_login(user)
    journey.join_and_pay(client)
    return user


def _sign_in(page: Page, live_server) -> None:
    page.goto(f"{live_server.url}/accounts/login/?next=/accounts/membership/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{live_server.url}/accounts/membership/")


@pytest.mark.date_sensitive
def test_a_member_changes_plan_cancels_resumes_and_updates_the_card(
    page: Page, live_server, member, monkeypatch, mailoutbox
):
    _sign_in(page, live_server)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your membership")

    # The provider accepts the change at once; its event is held back for a moment.
    held: list = []
    deliver = sandbox.deliver_webhook
    monkeypatch.setattr(sandbox, "deliver_webhook", lambda body, headers: held.append((body, headers)))
    page.get_by_label(re.compile(r"Insider, yearly")).check()
    page.get_by_role("button", name="Change my plan").click()
    page.wait_for_url(f"{live_server.url}/accounts/membership/")
    expect(page.get_by_text("We have asked our payment provider to move you to Insider, yearly.")).to_be_visible()
    pending = page.locator(".account-page__pending")
    expect(pending).to_contain_text("your move to Insider, yearly is waiting for our payment provider's confirmation")
    expect(page.get_by_role("button", name="Change my plan")).to_have_count(0)
    monkeypatch.setattr(sandbox, "deliver_webhook", deliver)
    for body, headers in held:
        deliver(body, headers)
    # No reload by the test: the page refreshes itself while something is pending.
    expect(pending).to_have_count(0, timeout=15_000)
    expect(page.locator(".facts")).to_contain_text("Insider, yearly")
    assert len([m for m in mailoutbox if "is now Insider, yearly" in m.subject]) == 1

    # Cancel asks first, then says until when access lasts.
    ends = date_text(Membership.objects.get(user=member).current_period_end)
    page.get_by_role("link", name="Cancel my membership…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel your membership?")
    expect(page.get_by_text(f"You keep full access until {ends}")).to_be_visible()
    page.get_by_role("button", name="Yes, cancel at the end of this period").click()
    page.wait_for_url(f"{live_server.url}/accounts/membership/")
    expect(page.get_by_text(f"Your membership will not renew. You keep full access until {ends}")).to_be_visible()
    expect(page.get_by_text(f"Cancelled — ends on {ends}")).to_be_visible()

    # Resume.
    page.get_by_role("button", name="Resume my membership").click()
    page.wait_for_url(f"{live_server.url}/accounts/membership/")
    expect(page.get_by_text("Your membership will renew as before. Thank you for staying.")).to_be_visible()
    expect(page.locator(".status")).to_have_text("Active")
    assert len([m for m in mailoutbox if "will end on" in m.subject]) == 1
    assert len([m for m in mailoutbox if "will renew" in m.subject]) == 1

    # The card portal opens at the provider and returns here.
    page.get_by_role("button", name="Update card and billing details").click()
    page.wait_for_url(re.compile(r"/payments/sandbox/portal/"))
    page.get_by_role("link", name=re.compile(r"^Return to")).click()
    page.wait_for_url(f"{live_server.url}/accounts/membership/")

    # The membership receipt is a link to its PDF.
    receipt_link = page.get_by_role("link", name=re.compile(r"^\d{4}-\d{6}"))
    expect(receipt_link.first).to_be_visible()
    with page.expect_response(re.compile(r"/accounts/receipts/.+\.pdf")) as response:
        page.evaluate("url => fetch(url)", receipt_link.first.get_attribute("href"))
    assert response.value.status == 200 and response.value.headers["content-type"] == "application/pdf"
