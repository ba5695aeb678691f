"""A donor downloads their receipts and the year-end statement from /accounts/receipts/, and a guest opens the
private receipt link from the email and downloads the PDF. The test reads each PDF back, as the donor would."""

from __future__ import annotations

import io
import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from outlet.common.local_time import site_today
from outlet.receipts.models import Receipt
from tests.donations.conftest import give, make_campaign
from tests.e2e.readers import link_in, reader, sent_to

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DONOR = "giorgi.donor@example.org"
GUEST = "mariam.guest@example.org"


@pytest.fixture
def fundraiser(settings, live_server):
    settings.SITE_URL = live_server.url  # the receipt email's links are built from it
    return make_campaign()


def _signed_in(page: Page, live_server, user) -> None:
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


def download(page: Page, link) -> str:
    """Click a PDF link as the reader does (Chromium opens it in its viewer) and return the text of the PDF."""
    href = link.get_attribute("href")
    with page.expect_response(lambda response: response.url.endswith(href)) as arriving:
        link.click()
    response = arriving.value
    assert response.status == 200 and response.headers["content-type"] == "application/pdf", (
        response.status,
        response.headers,
    )
    content = page.context.request.get(response.url).body()  # the bytes themselves (the viewer wraps them in HTML)
    page.go_back()
    assert content[:5] == b"%PDF-", content[:40]
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)


def test_a_signed_in_donor_downloads_receipts_and_the_year_end_statement(page: Page, live_server, fundraiser):
    giorgi = reader(DONOR, first_name="Giorgi")
    give(fundraiser, email=DONOR, gift_minor=2500, interval="month", user_id=giorgi.pk, name="Giorgi Abashidze")
    give(fundraiser, email=DONOR, gift_minor=10_000, user_id=giorgi.pk, name="Giorgi Abashidze")
    numbers = list(Receipt.objects.filter(payment__user=giorgi).order_by("pk").values_list("number", flat=True))
    assert len(numbers) == 2

    _signed_in(page, live_server, giorgi)
    page.goto(f"{live_server.url}/accounts/membership/")
    page.get_by_role("navigation", name="Your account").get_by_role("link", name="Receipts").click()
    page.wait_for_url(f"{live_server.url}/accounts/receipts/")
    rows = page.get_by_role("table").get_by_role("row")
    expect(rows).to_have_count(3)  # the heading row and one per receipt

    text = download(page, page.get_by_role("link", name=f"Download receipt {numbers[1]} (PDF)"))
    assert numbers[1] in text and re.search(r"GEL\s?100(\.00)?", text), text
    assert "Giorgi Abashidze" in text

    year = site_today().year
    text = download(page, page.get_by_role("link", name=f"Statement of your gifts in {year} (PDF)"))
    assert str(year) in text and numbers[0] in text and numbers[1] in text, text
    assert re.search(r"GEL\s?125(\.00)?", text), text  # the year's total: 25 monthly + 100 once


def test_a_guest_opens_the_receipt_link_from_the_email_and_downloads_the_pdf(page: Page, live_server, fundraiser):
    give(fundraiser, email=GUEST, gift_minor=4000, name="Mariam Guest")
    receipt = Receipt.objects.get()
    emails = sent_to(mail.outbox, GUEST)
    assert len(emails) == 1, [(m.subject, m.to) for m in mail.outbox]

    page.goto(link_in(emails[0], "/receipts/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Receipt {receipt.number}")
    facts = page.locator("main dl")
    expect(facts).to_contain_text("Mariam Guest")
    expect(facts).to_contain_text(re.compile(r"GEL\s40(\.00)?"))
    expect(facts).to_contain_text("Valid")
    expect(page.get_by_text("This page is private to whoever holds the link")).to_be_visible()

    text = download(page, page.get_by_role("link", name="Download the receipt (PDF)"))
    assert receipt.number in text and "Mariam Guest" in text, text

    page.goto(link_in(emails[0], "/receipts/")[:-3] + "xyz/")  # a damaged link shows nothing of the receipt
    expect(page.get_by_text(receipt.number)).to_have_count(0)
