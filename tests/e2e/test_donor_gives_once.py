"""A guest gives once; a signed-in member gives once and monthly from a form that already knows them. Each pays on
the sandbox's page and lands on the thank-you page, which says what happens next.

Real pages in Debian's chromium; the production payment pipeline (the sandbox posts its signed events to the same
intake, processed at commit with eager Celery), as in test_donor_gives.py."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from donations.models import Donation, RecurringDonation
from tests.donations.conftest import make_campaign
from tests.e2e.readers import reader, sent_to, sign_in
from tests.factories import MembershipFactory, TierFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

GUEST = "ana.once@example.org"
MEMBER = "lela.member@example.org"


@pytest.fixture
def fundraiser(settings, live_server):
    settings.SITE_URL = live_server.url
    return make_campaign()


@pytest.fixture
def lela(fundraiser, live_server):
    user = reader(MEMBER, first_name="Lela")
    user.last_name = "Kvaratskhelia"
    user.save()
    MembershipFactory(
        user=user,
        tier=TierFactory(name="Supporter", slug="supporter"),
        currency="GEL",
        amount_minor=1500,
        interval="month",
    )
    return user


def _pay(page: Page, amount: str) -> None:
    """`amount` as a pattern: whole amounts may be written without the cents ("GEL 50")."""
    page.wait_for_url(re.compile(r"/payments/sandbox/checkout/"))
    expect(page.get_by_text("Sandbox payment provider")).to_be_visible()
    page.get_by_role("button", name=re.compile(rf"^Pay {amount}$")).click()
    page.wait_for_url(re.compile(r"/fundraisers/thanks/[0-9a-f-]{36}/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your gift", timeout=15_000)


def _pdfs(message) -> list:
    return [a for a in message.attachments if (getattr(a, "mimetype", None) or a[2]) == "application/pdf"]


def test_a_guest_gives_once_and_gets_the_thanks_and_the_receipt(page: Page, live_server, fundraiser, mailoutbox):
    page.goto(f"{live_server.url}/fundraisers/{fundraiser.slug}/")
    page.get_by_role("radio", name=re.compile(r"GEL\s50")).check()
    expect(page.get_by_role("radio", name="One time")).to_be_checked()
    page.get_by_label("Your name").fill("Ana Once")
    page.get_by_label("Email").fill(GUEST)
    page.get_by_role("button", name="Continue to payment").click()
    _pay(page, r"GEL\s50(\.00)?")

    expect(
        page.get_by_text(re.compile(r"Your gift of GEL\s50(\.00)?\s+to Keep reporters safe has arrived"))
    ).to_be_visible()
    expect(page.get_by_text("Your receipt is on its way by email.")).to_be_visible()
    expect(page.get_by_text(re.compile(r"monthly gift", re.I))).to_have_count(0)
    expect(page.get_by_text("1 donor", exact=True)).to_be_visible()

    receipts = [m for m in sent_to(mailoutbox, GUEST) if _pdfs(m)]
    assert len(receipts) == 1, [(m.subject, m.to) for m in mailoutbox]
    assert _pdfs(receipts[0])[0][1][:5] == b"%PDF-"
    donation = Donation.objects.get()
    assert (donation.amount_minor, donation.email, donation.user_id) == (5000, GUEST, None)


def test_a_signed_in_member_gives_once_with_the_form_filled_in(page: Page, live_server, fundraiser, lela):
    sign_in(page, live_server.url, MEMBER, next_path=f"/fundraisers/{fundraiser.slug}/")
    page.wait_for_url(f"{live_server.url}/fundraisers/{fundraiser.slug}/")
    expect(page.get_by_label("Your name")).to_have_value("Lela Kvaratskhelia")
    email = page.get_by_label("Email", exact=True)
    expect(email).to_have_value(MEMBER)
    expect(email).to_be_disabled()
    expect(
        page.get_by_text("Your account's address: the receipt goes here and the gift shows in your account.")
    ).to_be_visible()

    page.get_by_label("Other amount in GEL").fill("12.50")
    page.get_by_role("button", name="Continue to payment").click()
    _pay(page, r"GEL\s12\.50")
    expect(page.get_by_text(re.compile(r"Your gift of GEL\s12\.50"))).to_be_visible()

    donation = Donation.objects.get()
    assert (donation.amount_minor, donation.email, donation.user_id, donation.name) == (
        1250,
        MEMBER,
        lela.pk,
        "Lela Kvaratskhelia",
    )
    page.goto(f"{live_server.url}/accounts/receipts/")
    expect(page.locator("main")).to_contain_text(re.compile(r"GEL\s12\.50"))


def test_a_signed_in_member_gives_monthly_and_finds_it_under_monthly_gifts(page: Page, live_server, fundraiser, lela):
    sign_in(page, live_server.url, MEMBER, next_path=f"/fundraisers/{fundraiser.slug}/")
    page.wait_for_url(f"{live_server.url}/fundraisers/{fundraiser.slug}/")
    page.get_by_role("radio", name=re.compile(r"GEL\s20")).check()
    page.get_by_role("radio", name="Monthly").check()
    page.get_by_role("button", name="Continue to payment").click()
    _pay(page, r"GEL\s20(\.00)?")

    expect(page.get_by_text(re.compile(r"Your monthly gift of GEL\s20(\.00)? a month"))).to_be_visible()
    page.get_by_role("link", name="your monthly gifts").click()
    page.wait_for_url(f"{live_server.url}/accounts/gifts/")
    gift = page.get_by_role("region", name="Keep reporters safe")
    expect(gift).to_contain_text("Active")
    expect(gift).to_contain_text(re.compile(r"GEL\s20(\.00)? a month"))
    assert RecurringDonation.objects.get().user_id == lela.pk
