"""The card-testing challenge in a real browser: the page solves it itself; without JavaScript it says why it
cannot. (The rules themselves are tested in tests/donations/test_abuse.py.)"""

from __future__ import annotations

import pytest

from donations import abuse
from donations.models import CheckoutShield


@pytest.fixture
def live_appeal(settings, live_server, transactional_db):
    from tests.donations.conftest import make_campaign

    settings.SITE_URL = live_server.url
    make_campaign()
    abuse.set_shield_mode(mode=CheckoutShield.Mode.ON)
    return f"{live_server.url}/fundraisers/safety-fund/"


def _fill_the_form(page) -> None:
    page.get_by_label("Other amount in GEL").fill("25")
    page.get_by_label("Your name").fill("Giorgi")
    page.get_by_label("Email").fill("giorgi@example.org")


@pytest.mark.e2e
def test_in_a_browser_the_form_solves_the_challenge_and_goes_on_to_payment(browser, live_appeal):
    import re

    from playwright.sync_api import expect

    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(live_appeal)
        expect(page.locator("[data-challenge-status]")).to_have_text(re.compile("Check complete|Checking"))
        _fill_the_form(page)
        page.get_by_role("button", name="Continue to payment").click()  # sent as soon as the check is done
        page.wait_for_url(re.compile(r"/payments/sandbox/checkout/"), timeout=30_000)
    finally:
        context.close()


@pytest.mark.e2e
def test_in_a_browser_without_javascript_the_form_says_the_check_needs_it(browser, live_appeal):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_appeal)
        notice = page.locator(".challenge__noscript")  # (Playwright's text search skips <noscript>)
        assert notice.is_visible() and "The puzzle needs JavaScript" in notice.inner_text()
        _fill_the_form(page)
        page.get_by_role("button", name="Continue to payment").click()
        page.wait_for_load_state()
        assert page.get_by_text(
            "this form now asks your browser to solve a small puzzle first (it needs JavaScript)"
        ).is_visible()
        assert page.url.endswith("/fundraisers/safety-fund/give/")
    finally:
        context.close()
