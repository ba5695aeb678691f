"""A guest finds the fundraiser at the end of an article, gives a custom monthly amount with the fee covered and a
message for the wall, pays on the sandbox's page, lands on the thank-you page with the bar moved, gets the receipt
email with its PDF, and finds their message on the donor wall.

Real pages in Debian's chromium; the production payment pipeline (the sandbox posts its signed events to the same
intake, processed at commit with eager Celery), as in test_reader_joins.py."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from donations import services
from donations.models import Donation, DonationCheckout, RecurringDonation
from outlet.publishing.models import Prompt
from tests.donations.conftest import make_campaign
from tests.factories import ArticleFactory, PromptFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL = "ana.guest@example.org"


@pytest.fixture
def appeal(settings, live_server):
    settings.SITE_URL = live_server.url  # the provider's return addresses are built from it
    campaign = make_campaign(goal_minor=20_000)  # a small goal, so one gift visibly moves the bar
    PromptFactory(
        placement=Prompt.Placement.END_OF_ARTICLE,
        kicker="Fundraiser",
        headline="Reporters need helmets",
        body="Three newsrooms, one appeal.",
        campaign=campaign,
    )
    ArticleFactory(title="Night at the border post", slug="border-post")
    return campaign


def _pdf_attachments(message) -> list:
    return [a for a in message.attachments if (getattr(a, "mimetype", None) or a[2]) == "application/pdf"]


def test_a_guest_gives_monthly_from_an_articles_appeal_and_sees_the_result(page: Page, live_server, appeal, mailoutbox):
    # The story ends with the fundraiser's appeal: its progress and a Give link.
    page.goto(f"{live_server.url}/articles/border-post/")
    box = page.get_by_role("complementary", name="Reporters need helmets")
    expect(box.get_by_text("Keep reporters safe", exact=True)).to_be_visible()
    expect(box.get_by_text("0 donors")).to_be_visible()
    expect(box.locator("progress")).to_have_attribute("value", "0")
    box.get_by_role("link", name=re.compile(r"^Give")).click()
    page.wait_for_url(f"{live_server.url}/fundraisers/safety-fund/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Keep reporters safe")

    # A custom monthly amount with the fee covered; the estimate follows the typed amount.
    page.get_by_label("Other amount in GEL").fill("37.50")
    fee = services.fee_to_cover_minor(gift_minor=3750, currency="GEL")
    expect(page.locator("[data-fee-estimate]")).to_have_text(f"GEL {fee // 100}.{fee % 100:02d}")
    page.get_by_label("Monthly").check()
    page.get_by_label("Cover the processing fee").check()
    page.get_by_label("Your name").fill("Ana Guest")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Show my gift on the donor wall").check()
    page.get_by_label("Name on the donor wall").fill("Ana from Gori")
    page.get_by_label("Message (optional)").fill("For the reporters at the border post.")
    page.get_by_role("button", name="Continue to payment").click()

    # The sandbox's hosted checkout charges the gift plus the fee cover, monthly.
    page.wait_for_url(re.compile(r"/payments/sandbox/checkout/"))
    charge = 3750 + fee
    page.get_by_role("button", name=f"Pay GEL {charge // 100}.{charge % 100:02d}").click()

    # Back on the thank-you page, which refreshes itself until the provider's event has landed.
    page.wait_for_url(re.compile(r"/fundraisers/thanks/[0-9a-f-]{36}/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your gift", timeout=15_000)
    expect(page.get_by_text(re.compile(r"monthly gift of GEL\s3\d\.\d\d a month"))).to_be_visible()
    expect(page.get_by_text("Your receipt is on its way by email.")).to_be_visible()
    expect(page.get_by_text("1 donor", exact=True)).to_be_visible()
    percent = charge * 100 // 20_000
    expect(page.locator("progress")).to_have_attribute("value", str(percent))
    expect(page.get_by_role("progressbar", name=f"Raised so far: {percent}% of the goal")).to_be_visible()
    expect(page.locator(".fund-progress__raised")).to_have_text(
        re.compile(rf"GEL\s{charge // 100}\.{charge % 100:02d}")
    )
    for network in ("Email", "X", "Facebook", "Telegram", "WhatsApp"):
        expect(page.get_by_role("link", name=network, exact=True)).to_be_visible()

    checkout = DonationCheckout.objects.get()
    assert (checkout.gift_minor, checkout.fee_covered_minor, checkout.interval, checkout.user_id) == (
        3750,
        fee,
        "month",
        None,
    )
    donation = Donation.objects.get()
    assert (donation.amount_minor, donation.email, donation.show_on_wall) == (charge, EMAIL, True)
    assert RecurringDonation.objects.get().status == "active"

    # The thank-you email carries the numbered receipt as a PDF.
    def receipt_emails():
        return [m for m in mail.outbox if m.to == [EMAIL] and _pdf_attachments(m)]

    expect(page.get_by_text("Thank you for your gift")).to_be_visible()
    assert len(receipt_emails()) == 1, [
        (m.subject, m.to, [getattr(a, "filename", a[0]) for a in m.attachments]) for m in mail.outbox
    ]
    assert _pdf_attachments(receipt_emails()[0])[0][1][:5] == b"%PDF-"

    # The donor wall shows the chosen name and the message.
    page.get_by_role("link", name="Keep reporters safe").first.click()
    wall = page.get_by_role("region", name="Donor wall")
    expect(wall.get_by_text("Ana from Gori")).to_be_visible()
    expect(wall.get_by_text("For the reporters at the border post.")).to_be_visible()
    expect(page.get_by_text("Ana Guest")).to_have_count(0)


def test_the_thank_you_page_updates_itself_when_the_confirmation_lands(page: Page, live_server, appeal):
    """The provider's event can arrive after the donor is back: the page says so, then shows the thanks by itself."""
    from outlet.payments.providers import get_provider

    checkout, redirect = services.start_donation_checkout(
        request=services.DonationRequest(campaign=appeal, email=EMAIL, currency="GEL", gift_minor=5000),
        success_url=f"{live_server.url}/fundraisers/thanks/{{reference}}/",
        cancel_url=live_server.url,
    )
    page.goto(f"{live_server.url}/fundraisers/thanks/{checkout.reference}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you — confirming your gift")
    expect(page.get_by_role("status")).to_contain_text("waiting for our payment provider")
    get_provider("sandbox").complete_checkout(redirect.session_id)
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your gift", timeout=15_000)
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    expect(page.get_by_text("1 donor", exact=True)).to_be_visible()
