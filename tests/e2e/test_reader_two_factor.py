"""A reader opts in to two-factor sign-in from the account pages: confirms it is them (password, authenticator
code or an emailed code), sets up an authenticator app, signs in with its code, makes new recovery codes and
turns it off again; and can back out at the code prompt."""

from __future__ import annotations

import re
import time

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.test import Client
from playwright.sync_api import Page, expect

from tests.e2e.readers import PASSWORD, code_in, expect_signed_in, expect_signed_out, reader, sent_to, sign_in
from tests.staff import give_authenticator_app

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL = "levan.reader@example.org"


@pytest.fixture
def levan(settings, live_server):
    settings.SITE_URL = live_server.url
    return reader(EMAIL, first_name="Levan")


def authenticator_code(secret: str, *, step: int = 0) -> str:
    """The app's code now (`step` 0) or for the next 30-second step (1: allauth accepts it too, and a code once
    used is refused for its whole window, so a second use in one test takes the next one)."""
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD + step
    return format_hotp_value(hotp_value(secret, counter))


def _signed_in_a_while_ago(page: Page, live_server, user) -> None:
    """A session with no record of a recent sign-in, so allauth asks the reader to confirm it is them."""
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


def _sign_out(page: Page, live_server) -> None:
    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server.url}/")


def test_a_reader_turns_on_two_factor_sign_in_and_signs_in_with_a_code(page: Page, live_server, levan):
    _signed_in_a_while_ago(page, live_server, levan)
    page.goto(f"{live_server.url}/accounts/membership/")
    page.get_by_role("navigation", name="Your account").get_by_role("link", name="Two-factor").click()
    expect(page.get_by_text("An authenticator app is not active.")).to_be_visible()
    page.get_by_role("link", name="Activate").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm Access")  # the password first
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(f"{live_server.url}/accounts/2fa/totp/activate/")
    secret = page.get_by_label("Authenticator secret").input_value()
    page.get_by_label("Authenticator code").fill(authenticator_code(secret))
    page.get_by_role("button", name="Activate").click()

    page.wait_for_url(re.compile(r"/accounts/2fa/recovery-codes/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Recovery Codes")
    assert Authenticator.objects.filter(user=levan, type=Authenticator.Type.TOTP).exists()

    _sign_out(page, live_server)
    sign_in(page, live_server.url, EMAIL)
    page.wait_for_url(f"{live_server.url}/accounts/2fa/authenticate/")
    expect_signed_out(page)  # the password alone opens nothing
    page.get_by_label("Code", exact=True).fill(authenticator_code(secret, step=1))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    expect_signed_in(page)


def test_a_reader_makes_new_recovery_codes_and_turns_two_factor_off(page: Page, live_server, levan):
    secret = give_authenticator_app(levan)
    old_codes = set(
        Authenticator.objects.get(user=levan, type=Authenticator.Type.RECOVERY_CODES).wrap().get_unused_codes()
    )
    _signed_in_a_while_ago(page, live_server, levan)
    page.goto(f"{live_server.url}/accounts/2fa/")
    page.get_by_role("link", name=re.compile(r"Generate")).click()

    # Confirm it is them with the app instead of the password.
    page.get_by_role("link", name=re.compile(r"authenticator app", re.I)).click()
    page.get_by_label("Code", exact=True).fill(authenticator_code(secret))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(f"{live_server.url}/accounts/2fa/recovery-codes/generate/")
    page.get_by_role("button", name="Generate").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/recovery-codes/"))
    new_codes = set(
        Authenticator.objects.get(user=levan, type=Authenticator.Type.RECOVERY_CODES).wrap().get_unused_codes()
    )
    assert new_codes.isdisjoint(old_codes)
    expect(page.locator("main")).to_contain_text(sorted(new_codes)[0])

    page.goto(f"{live_server.url}/accounts/2fa/")
    page.get_by_role("link", name="Deactivate").click()
    page.get_by_role("button", name="Deactivate").click()
    expect(page.get_by_text("An authenticator app is not active.")).to_be_visible()
    assert not Authenticator.objects.filter(user=levan, type=Authenticator.Type.TOTP).exists()

    _sign_out(page, live_server)
    sign_in(page, live_server.url, EMAIL)  # the password alone is enough again
    page.wait_for_url(f"{live_server.url}/")
    expect_signed_in(page)


def test_a_reader_confirms_it_is_them_with_an_emailed_code(page: Page, live_server, levan, mailoutbox):
    _signed_in_a_while_ago(page, live_server, levan)
    page.goto(f"{live_server.url}/accounts/2fa/totp/activate/")
    page.get_by_role("link", name="Send me a sign-in code").click()
    page.get_by_role("button", name=re.compile(r"Request Code|Send", re.I)).click()
    codes = sent_to(mailoutbox, EMAIL, "code")
    assert len(codes) == 1, [m.subject for m in mailoutbox]
    page.get_by_label("Code").fill(code_in(codes[0]))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(f"{live_server.url}/accounts/2fa/totp/activate/")
    expect(page.get_by_label("Authenticator code")).to_be_visible()


def test_a_reader_can_cancel_at_the_code_prompt(page: Page, live_server, levan):
    give_authenticator_app(levan)
    sign_in(page, live_server.url, EMAIL)
    page.wait_for_url(f"{live_server.url}/accounts/2fa/authenticate/")
    page.get_by_role("button", name="Cancel").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))
    expect_signed_out(page)
    page.goto(f"{live_server.url}/accounts/membership/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
