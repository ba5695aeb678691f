"""A reader signs in with a password or an emailed code, resets a forgotten password by the emailed link, and
signs out from the header, the account pages or the sign-out page; each time the test checks what they see next."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from tests.e2e.readers import (
    NEW_PASSWORD,
    PASSWORD,
    code_in,
    expect_signed_in,
    expect_signed_out,
    link_in,
    reader,
    sent_to,
    sign_in,
)
from tests.factories import ArticleFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL = "nino.reader@example.org"


@pytest.fixture
def nino(settings, live_server):
    settings.SITE_URL = live_server.url
    return reader(EMAIL, first_name="Nino")


def _signed_in_cookie(page: Page, live_server, user) -> None:
    from django.conf import settings

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


def _request_a_code(page: Page, live_server) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Send me a sign-in code").click()
    page.wait_for_url(f"{live_server.url}/accounts/login/code/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_role("button", name="Request Code").click()
    page.wait_for_url(f"{live_server.url}/accounts/login/code/confirm/")
    expect(page.get_by_label("Code")).to_be_visible()


# --- Signing in ---------------------------------------------------------------------------------------------


def test_a_reader_signs_in_with_a_password_and_returns_to_the_story(page: Page, live_server, nino):
    ArticleFactory(title="The bridge at Rioni", slug="rioni-bridge")
    page.goto(f"{live_server.url}/articles/rioni-bridge/")
    page.get_by_role("banner").get_by_role("link", name="Sign in").click()
    page.wait_for_url(re.compile(r"/accounts/login/\?next=/articles/rioni-bridge/"))
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(f"{live_server.url}/articles/rioni-bridge/")
    expect(page.get_by_role("heading", level=1)).to_have_text("The bridge at Rioni")
    expect_signed_in(page)


def test_a_wrong_password_is_refused_on_the_page(page: Page, live_server, nino):
    sign_in(page, live_server.url, EMAIL, "not the password at all")
    expect(page.get_by_text("The email address and/or password you specified are not correct.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect_signed_out(page)


def test_a_reader_signs_in_with_an_emailed_code(page: Page, live_server, nino, mailoutbox):
    _request_a_code(page, live_server)
    codes = sent_to(mailoutbox, EMAIL, "sign-in code")
    assert len(codes) == 1, [m.subject for m in mailoutbox]

    page.get_by_label("Code").fill(code_in(codes[0]))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(f"{live_server.url}/")
    expect_signed_in(page)


def test_a_reader_cancels_signing_in_by_code(page: Page, live_server, nino, mailoutbox):
    _request_a_code(page, live_server)
    code = code_in(sent_to(mailoutbox, EMAIL, "sign-in code")[0])

    page.get_by_role("button", name="Cancel").click()
    page.wait_for_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_label("Password", exact=True)).to_be_visible()
    expect_signed_out(page)
    page.goto(f"{live_server.url}/accounts/login/code/confirm/")  # the half-done sign-in is gone with its code
    expect(page).not_to_have_url(re.compile(r"/accounts/login/code/confirm/"))
    page.goto(f"{live_server.url}/accounts/membership/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    assert code  # was sent, never used


# --- A forgotten password -----------------------------------------------------------------------------------


def _open_the_reset_link(page: Page, live_server, mailoutbox) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name=re.compile(r"Forgot", re.I)).click()
    page.wait_for_url(f"{live_server.url}/accounts/password/reset/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_role("button", name="Reset My Password").click()
    page.wait_for_url(f"{live_server.url}/accounts/password/reset/done/")
    expect(page.get_by_text(re.compile(r"We have sent you an email"))).to_be_visible()
    resets = sent_to(mailoutbox, EMAIL, "password reset")
    assert len(resets) == 1, [m.subject for m in mailoutbox]

    page.goto(link_in(resets[0], "/accounts/password/reset/key/"))
    expect(page.get_by_label(re.compile(r"^New password$", re.I))).to_be_visible()


def test_a_reader_resets_a_forgotten_password_by_the_emailed_link(page: Page, live_server, nino, mailoutbox):
    _open_the_reset_link(page, live_server, mailoutbox)
    page.get_by_label(re.compile(r"^New password$", re.I)).fill(NEW_PASSWORD)
    page.get_by_label(re.compile(r"New password \(again\)|Confirm", re.I)).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change Password").click()
    expect(page.get_by_text("Your password is now changed.")).to_be_visible()

    sign_in(page, live_server.url, EMAIL, PASSWORD)  # the old one is gone
    expect(page.get_by_text("The email address and/or password you specified are not correct.")).to_be_visible()
    sign_in(page, live_server.url, EMAIL, NEW_PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    expect_signed_in(page)


def test_a_reader_can_leave_the_new_password_page(page: Page, live_server, nino, mailoutbox):
    _open_the_reset_link(page, live_server, mailoutbox)
    page.get_by_role("button", name="Cancel").click()
    page.wait_for_url(re.compile(r"/accounts/login/$"))
    expect_signed_out(page)
    sign_in(page, live_server.url, EMAIL, PASSWORD)  # nothing changed
    page.wait_for_url(f"{live_server.url}/")
    expect_signed_in(page)


# --- Signing out --------------------------------------------------------------------------------------------


def test_a_reader_signs_out_from_the_header(page: Page, live_server, nino):
    _signed_in_cookie(page, live_server, nino)
    ArticleFactory(title="The bridge at Rioni", slug="rioni-bridge")
    page.goto(f"{live_server.url}/articles/rioni-bridge/")
    expect_signed_in(page)
    page.get_by_role("banner").get_by_role("button", name="Sign out").click()

    page.wait_for_url(f"{live_server.url}/")
    expect_signed_out(page)
    page.goto(f"{live_server.url}/accounts/membership/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/accounts/membership/"))


def test_a_reader_signs_out_from_a_page_the_front_cache_answered(page: Page, live_server, nino):
    """The header's Sign out on a page served above the middleware carries this reader's own CSRF token, and the
    page after it is nobody's."""
    ArticleFactory(title="The bridge at Rioni", slug="rioni-bridge")
    sign_in(page, live_server.url, EMAIL, PASSWORD, next_path="/articles/rioni-bridge/")
    page.wait_for_url(f"{live_server.url}/articles/rioni-bridge/")
    page.reload()  # the first page after signing in showed its "signed in" message; this one is kept
    served = page.reload()
    assert served is not None and served.headers.get("x-page-cache") == "front-reader"
    expect_signed_in(page)
    page.get_by_role("banner").get_by_role("button", name="Sign out").click()

    page.wait_for_url(f"{live_server.url}/")
    expect_signed_out(page)
    after = page.goto(f"{live_server.url}/articles/rioni-bridge/")
    assert after is not None and after.headers.get("x-page-cache") != "front-reader"
    assert EMAIL not in page.content()
    expect_signed_out(page)


def test_a_reader_signs_out_from_the_account_pages(page: Page, live_server, nino):
    _signed_in_cookie(page, live_server, nino)
    page.goto(f"{live_server.url}/accounts/receipts/")
    page.get_by_role("navigation", name="Your account").get_by_role("button", name="Sign out").click()

    page.wait_for_url(f"{live_server.url}/")
    expect_signed_out(page)


def test_a_reader_signs_out_on_the_sign_out_page(page: Page, live_server, nino):
    _signed_in_cookie(page, live_server, nino)
    page.goto(f"{live_server.url}/accounts/logout/")
    expect(page.get_by_text("Are you sure you want to sign out?")).to_be_visible()
    page.get_by_role("button", name="Sign Out", exact=True).click()

    page.wait_for_url(f"{live_server.url}/")
    expect_signed_out(page)
