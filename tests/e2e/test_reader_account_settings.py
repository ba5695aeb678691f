"""A signed-in reader changes their password, sets one when they never had one (an imported member signs in by
code), and adds a second address, verifies it with the emailed code, makes it primary and removes the old one."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.test import Client
from playwright.sync_api import Page, expect

from tests.e2e.readers import (
    NEW_PASSWORD,
    PASSWORD,
    code_in,
    expect_signed_in,
    expect_signed_out,
    reader,
    sent_to,
    sign_in,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL = "tamta.member@example.org"
SECOND = "tamta.work@example.org"


@pytest.fixture(autouse=True)
def _site(settings, live_server):
    settings.SITE_URL = live_server.url


def _open_signed_in(page: Page, live_server, user, path: str) -> None:
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
    page.goto(live_server.url + path)


def _sign_out(page: Page, live_server) -> None:
    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server.url}/")
    expect_signed_out(page)


def test_a_member_changes_their_password_and_signs_in_with_it(page: Page, live_server):
    tamta = reader(EMAIL)
    _open_signed_in(page, live_server, tamta, "/accounts/membership/")
    page.get_by_role("navigation", name="Your account").get_by_role("link", name="Password").click()
    page.wait_for_url(f"{live_server.url}/accounts/password/change/")

    page.get_by_label(re.compile(r"^Current password$", re.I)).fill(PASSWORD)
    page.get_by_label(re.compile(r"^New password$", re.I)).fill(NEW_PASSWORD)
    page.get_by_label(re.compile(r"^New password \(again\)$", re.I)).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change Password").click()
    expect(page.get_by_text("Password successfully changed.")).to_be_visible()
    expect_signed_in(page)

    _sign_out(page, live_server)
    sign_in(page, live_server.url, EMAIL, PASSWORD)
    expect(page.get_by_text("The email address and/or password you specified are not correct.")).to_be_visible()
    sign_in(page, live_server.url, EMAIL, NEW_PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    expect_signed_in(page)


def test_a_reader_without_a_password_sets_one(page: Page, live_server):
    tamta = reader(EMAIL, password=None)  # as an imported member who has only ever signed in by code
    _open_signed_in(page, live_server, tamta, "/accounts/password/change/")
    page.wait_for_url(f"{live_server.url}/accounts/password/set/")

    page.get_by_label(re.compile(r"^Password$", re.I)).fill(NEW_PASSWORD)
    page.get_by_label(re.compile(r"^Password \(again\)$", re.I)).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set Password").click()
    expect(page.get_by_text("Password successfully set.")).to_be_visible()

    _sign_out(page, live_server)
    sign_in(page, live_server.url, EMAIL, NEW_PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    expect_signed_in(page)


def test_a_member_adds_an_address_confirms_it_with_the_code_and_makes_it_primary(page: Page, live_server, mailoutbox):
    tamta = reader(EMAIL)
    _open_signed_in(page, live_server, tamta, "/accounts/membership/")
    page.get_by_role("navigation", name="Your account").get_by_role("link", name=re.compile(r"^Email")).click()
    page.wait_for_url(f"{live_server.url}/accounts/email/")

    page.get_by_label(re.compile(r"^E-?mail$", re.I)).fill(SECOND)
    page.get_by_role("button", name="Add Email").click()
    codes = sent_to(mailoutbox, SECOND)
    assert len(codes) == 1, [(m.subject, m.to) for m in mailoutbox]
    expect(page.get_by_text(SECOND).first).to_be_visible()
    page.get_by_label("Code").fill(code_in(codes[0]))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(f"{live_server.url}/accounts/email/")
    expect(page.get_by_text(re.compile(rf"You have confirmed {re.escape(SECOND)}"))).to_be_visible()
    page.get_by_label(re.compile(re.escape(SECOND))).check()
    page.get_by_role("button", name="Make Primary").click()
    expect(page.get_by_text("Primary email address set.")).to_be_visible()
    assert EmailAddress.objects.get(user=tamta, primary=True).email == SECOND

    page.on("dialog", lambda dialog: dialog.accept())  # "Do you really want to remove the selected email address?"
    page.get_by_label(re.compile(re.escape(EMAIL))).check()
    page.get_by_role("button", name="Remove").click()
    expect(page.get_by_text(f"Removed email address {EMAIL}.")).to_be_visible()
    expect(page.get_by_label(re.compile(re.escape(EMAIL)))).to_have_count(0)
    tamta.refresh_from_db()
    assert tamta.email == SECOND
