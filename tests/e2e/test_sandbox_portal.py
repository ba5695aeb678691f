"""The sandbox provider's hosted pages, as the README describes them: on the card portal a member switches to a
card that declines, plays the next renewal (payment overdue), switches back and recovers, or cancels there; on the
checkout a card is declined, then asks for authentication, fails it, and finally pays.

The provider's events go through the production intake (processed at commit with eager Celery), so what the
member reads on the account page afterwards comes from the same pipeline Stripe's would."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from playwright.sync_api import Page, expect

from members.models import Membership
from tests.donations.conftest import make_campaign
from tests.e2e.readers import reader
from tests.members import sandbox_journey as journey

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL = "dato.member@example.org"


@pytest.fixture
def dato(settings, live_server, priced_tiers):
    """A paying Supporter (monthly, GEL), signed up and paid through the sandbox."""
    settings.SITE_URL = live_server.url
    user = reader(EMAIL, first_name="Dato")
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    journey.join_and_pay(client)
    assert Membership.objects.get(user=user).status == Membership.Status.ACTIVE
    return user


def _open_the_portal(page: Page, live_server, user) -> None:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "url": live_server.url,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
            }
        ]
    )
    page.goto(f"{live_server.url}/accounts/membership/")
    page.get_by_role("button", name="Update card and billing details").click()
    page.wait_for_url(re.compile(r"/payments/sandbox/portal/"))
    expect(page.get_by_text("Sandbox payment provider")).to_be_visible()


def _back_to_the_account(page: Page, live_server) -> None:
    page.get_by_role("link", name=re.compile(r"^Return to")).click()
    page.wait_for_url(f"{live_server.url}/accounts/membership/")


def _status(page: Page):
    return page.locator(".facts").first


def test_a_member_plays_a_declined_renewal_in_the_portal_and_recovers(page: Page, live_server, dato):
    _open_the_portal(page, live_server, dato)
    page.get_by_label("Replace card").select_option("0341")
    page.get_by_role("button", name="Save card").click()
    expect(page.get_by_role("status")).to_have_text("Card updated.")
    expect(page.get_by_text("Visa ending 0341 (declines renewals)").first).to_be_visible()

    page.get_by_role("button", name="Simulate the next renewal").click()
    expect(page.get_by_role("status")).to_have_text("Renewal declined: the subscription is past due.")
    expect(page.locator(".sandbox__sub")).to_contain_text("past_due")
    _back_to_the_account(page, live_server)
    expect(_status(page)).to_contain_text(re.compile(r"Payment overdue", re.I))
    expect(page.get_by_text(re.compile(r"last payment did not go through", re.I))).to_be_visible()
    assert Membership.objects.get(user=dato).status == Membership.Status.PAST_DUE
    assert [m for m in mail.outbox if m.to == [EMAIL] and re.search(r"payment", m.subject, re.I)], [
        m.subject for m in mail.outbox
    ]

    page.get_by_role("button", name="Update card and billing details").click()
    page.wait_for_url(re.compile(r"/payments/sandbox/portal/"))
    page.get_by_label("Replace card").select_option("4242")
    page.get_by_role("button", name="Save card").click()
    expect(page.get_by_role("status")).to_have_text("Card updated.")
    page.get_by_role("button", name="Simulate the next renewal").click()
    expect(page.get_by_role("status")).to_have_text("Renewal charged.")
    _back_to_the_account(page, live_server)
    expect(_status(page)).to_contain_text("Active")
    expect(page.get_by_text(re.compile(r"last payment did not go through", re.I))).to_have_count(0)
    assert Membership.objects.get(user=dato).status == Membership.Status.ACTIVE


def test_a_member_cancels_in_the_portal(page: Page, live_server, dato):
    _open_the_portal(page, live_server, dato)
    page.get_by_role("button", name="Cancel at period end").click()
    expect(page.get_by_role("status")).to_have_text("The subscription will end at its period end.")
    expect(page.locator(".sandbox__sub")).to_contain_text("(ends at period end)")
    expect(page.get_by_role("button", name="Cancel at period end")).to_have_count(0)

    _back_to_the_account(page, live_server)
    expect(_status(page)).to_contain_text(re.compile(r"Cancelled — ends on \d{1,2} \w+ \d{4}"))
    assert Membership.objects.get(user=dato).status == Membership.Status.CANCELLED


def test_the_sandbox_checkout_declines_asks_for_authentication_and_then_pays(page: Page, live_server, settings):
    settings.SITE_URL = live_server.url
    campaign = make_campaign()
    page.goto(f"{live_server.url}/fundraisers/{campaign.slug}/")
    page.get_by_role("radio", name=re.compile(r"GEL\s20")).check()
    page.get_by_label("Email").fill("eter.guest@example.org")
    page.get_by_role("button", name="Continue to payment").click()
    page.wait_for_url(re.compile(r"/payments/sandbox/checkout/"))

    page.get_by_role("button", name="Decline the card").click()
    expect(page.get_by_role("alert")).to_have_text(re.compile(r"^Your card was declined\. No money moved\."))
    page.get_by_role("button", name="Card requires authentication").click()
    expect(page.get_by_text("Your bank asks you to confirm this payment (3-D Secure).")).to_be_visible()
    page.get_by_role("button", name="Fail authentication").click()
    expect(page.get_by_role("alert")).to_have_text(
        re.compile(r"^Authentication failed, so the payment was not taken\.")
    )
    page.get_by_role("button", name="Card requires authentication").click()
    page.get_by_role("button", name="Complete authentication").click()

    page.wait_for_url(re.compile(r"/fundraisers/thanks/[0-9a-f-]{36}/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your gift", timeout=15_000)
    expect(page.get_by_text("1 donor", exact=True)).to_be_visible()
