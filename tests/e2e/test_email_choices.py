"""A reader chooses their emails in the account, and unsubscribes from an email's link without signing in."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.utils import translation
from playwright.sync_api import Page, expect

from outlet.common import email_preferences, emails
from tests.e2e.readers import link_in, reader, sign_in
from tests.e2e.test_languages import said
from tests.e2e.test_layout import layout_problems

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = os.environ.get("OUTLET_SCREENSHOTS", "")


def _check_widths(page: Page, name: str) -> None:
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        assert layout_problems(page) == [], (name, width)
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(SHOTS) / f"{name}-{width}.png"), full_page=True)


def test_a_member_chooses_their_emails_on_the_account_page(page: Page, live_server, settings):
    settings.SITE_URL = live_server.url
    reader("mariam@example.org")
    sign_in(page, live_server.url, "mariam@example.org", next_path="/accounts/emails/")
    page.wait_for_url(f"{live_server.url}/accounts/emails/")
    expect(page.get_by_role("heading", name="Emails from us")).to_be_visible()
    expect(page.get_by_label("Membership news")).not_to_be_checked()
    page.get_by_label("Membership news").check()
    page.get_by_role("button", name="Save my choices").click()
    page.wait_for_url(f"{live_server.url}/accounts/emails/")
    expect(page.get_by_text("Saved. We will only send you the emails you ticked.")).to_be_visible()
    expect(page.get_by_label("Membership news")).to_be_checked()
    expect(page.get_by_label("Fundraising appeals")).not_to_be_checked()
    assert email_preferences.choices_for("mariam@example.org") == {"fundraising": False, "membership_news": True}
    _check_widths(page, "account-emails")


def test_a_reader_unsubscribes_from_a_georgian_email_and_changes_their_mind(
    page: Page, live_server, settings, mailoutbox
):
    settings.SITE_URL = live_server.url
    email_preferences.set_choice(address="nino@example.org", topic="fundraising", subscribed=True, source="test")
    with translation.override("ka"):
        emails._send_once(
            key="appeal", kind="membership_ended", to="nino@example.org", context={"join_url": "/"}, topic="fundraising"
        )
    [message] = mailoutbox
    page.goto(link_in(message, "/email/unsubscribe/"))
    expect(page.locator("html")).to_have_attribute("lang", "ka")
    expect(page.get_by_text(said("ka", "Fundraising appeals"))).to_be_visible()
    assert email_preferences.wants(address="nino@example.org", topic="fundraising")  # opening it only asks
    _check_widths(page, "ka-unsubscribe")
    page.get_by_role("button", name=said("ka", "Unsubscribe")).click()
    expect(page.get_by_role("heading", name=said("ka", "You are unsubscribed"))).to_be_visible()
    assert not email_preferences.wants(address="nino@example.org", topic="fundraising")
    _check_widths(page, "ka-unsubscribed")

    page.get_by_role("link", name=said("ka", "Changed your mind? Choose which emails you get from us")).click()
    expect(page.get_by_role("heading", name=said("ka", "Emails from us"))).to_be_visible()
    page.get_by_label(said("ka", "Fundraising appeals")).check()
    page.get_by_role("button", name=said("ka", "Save my choices")).click()
    expect(page.get_by_text(said("ka", "Saved. We will only send you the emails you ticked."))).to_be_visible()
    assert email_preferences.wants(address="nino@example.org", topic="fundraising")
    _check_widths(page, "ka-email-choices")
