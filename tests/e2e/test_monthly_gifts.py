"""A donor manages a monthly gift in Chromium: from the account's gifts page signed in, and from the private link in
the receipt email as a guest. Change the amount, stop after this month, keep it after all, update the card.

These forms answered 403 ("CSRF Origin checking failed - null") for every donor: the pages sent
`Referrer-Policy: no-referrer`, under which Chromium posts `Origin: null`. The Django test client sends no Origin
at all, so only a real browser shows it."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from donations import recurring
from donations.models import RecurringDonation
from tests.donations.conftest import give, make_campaign
from tests.factories import UserFactory
from tests.staff import TEST_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL = "lela.monthly@example.org"


@pytest.fixture
def campaign(settings, live_server):
    settings.SITE_URL = live_server.url
    return make_campaign()


def _sign_in(page: Page, live_server, email: str) -> None:
    EmailAddress.objects.get_or_create(
        user=get_user_model().objects.get(email=email), email=email, defaults={"verified": True, "primary": True}
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))


def _manage_the_gift(page: Page, gift: RecurringDonation, *, back_path: str) -> None:
    title = gift.campaign.title
    # Change the amount: the page says what happens next and shows the new amount.
    page.get_by_label("New monthly amount in GEL").fill("35")
    page.get_by_role("button", name=f"Change amount for {title}").click()
    page.wait_for_url(re.compile(re.escape(back_path) + "$"))
    expect(page.get_by_text("Your new monthly amount has been sent to our payment provider")).to_be_visible()
    expect(page.get_by_text("403")).to_have_count(0)
    expect(page.get_by_label("New monthly amount in GEL")).to_have_value("35")

    # Stop after this month, then keep it after all.
    page.get_by_role("button", name=re.compile(r"^Stop after this month")).click()
    page.wait_for_url(re.compile(re.escape(back_path) + "$"))
    expect(page.get_by_text("Your monthly gift will stop at the end of the month you have paid for.")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Stopping — no more charges"))).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^Keep my monthly gift")).click()
    page.wait_for_url(re.compile(re.escape(back_path) + "$"))
    expect(page.get_by_text("Your monthly gift will continue.")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^Stop after this month"))).to_be_visible()

    # Update the card: the provider's portal opens, and its return link comes back here.
    page.get_by_role("button", name=re.compile(r"^Update card")).click()
    page.wait_for_url(re.compile(r"/payments/sandbox/portal/"))
    expect(page.get_by_text("Sandbox payment provider")).to_be_visible()
    page.get_by_label("Replace card").select_option("0341")
    page.get_by_role("button", name="Save card").click()
    expect(page.get_by_role("status")).to_be_visible()
    page.get_by_role("link", name=re.compile(r"^Return to")).click()
    page.wait_for_url(re.compile(re.escape(back_path) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"Your monthly gift"))


def test_a_signed_in_donor_changes_stops_keeps_and_updates_the_card_of_a_monthly_gift(
    page: Page, live_server, campaign
):
    donor = UserFactory(email=EMAIL)
    give(campaign, email=EMAIL, gift_minor=2000, interval="month", user_id=donor.pk)
    gift = RecurringDonation.objects.get()
    _sign_in(page, live_server, EMAIL)
    page.goto(f"{live_server.url}/accounts/gifts/")
    _manage_the_gift(page, gift, back_path="/accounts/gifts/")
    gift.refresh_from_db()
    assert gift.amount_minor == 3500 and not gift.cancel_at_period_end

    # The header's Sign out works on these private pages too (it also failed under no-referrer).
    page.goto(f"{live_server.url}/accounts/receipts/")
    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()


def test_a_guest_manages_a_monthly_gift_from_the_emailed_link(page: Page, live_server, campaign):
    give(campaign, email=EMAIL, gift_minor=2000, interval="month")
    gift = RecurringDonation.objects.get()
    link = recurring.manage_url(gift)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your monthly gift")
    _manage_the_gift(page, gift, back_path=link.removeprefix(live_server.url))
    gift.refresh_from_db()
    assert gift.amount_minor == 3500 and not gift.cancel_at_period_end


def test_private_pages_keep_their_address_from_other_sites(page: Page, live_server, campaign):
    give(campaign, email=EMAIL, gift_minor=2000, interval="month")
    response = page.goto(recurring.manage_url(RecurringDonation.objects.get()))
    assert response.headers["referrer-policy"] == "same-origin"


def test_a_guest_with_an_expired_link_asks_for_a_new_one_and_uses_it(page: Page, live_server, campaign, mailoutbox):
    import time_machine
    from django.utils import timezone

    give(campaign, email=EMAIL, gift_minor=2000, interval="month")
    old_link = recurring.manage_url(RecurringDonation.objects.get())
    with time_machine.travel(timezone.now() + recurring.MANAGE_LINK_MAX_AGE + timezone.timedelta(days=1)):
        page.goto(old_link)
        expect(page.get_by_role("heading", level=1)).to_have_text("This link has expired")
        expect(page.get_by_role("button", name=re.compile(r"^Update card"))).to_have_count(0)
        page.get_by_role("button", name="Email me a new link").click()
        page.wait_for_url(re.compile(r"/fundraisers/safety-fund/"))
        expect(page.get_by_text("We have emailed a new link to the address you gave with this gift.")).to_be_visible()
        [message] = [m for m in mailoutbox if "link to manage your monthly gift" in m.subject]
        assert message.to == [EMAIL]
        page.goto(re.search(r"https?://\S+/fundraisers/gifts/\S+/", message.body).group(0))
        expect(page.get_by_role("heading", level=1)).to_have_text("Your monthly gift")
        expect(page.get_by_role("button", name=re.compile(r"^Update card"))).to_be_visible()
