"""A reader's own data in Chromium: they ask for a copy and download the zip from the emailed link; they delete
their account with the code from their email, read what was erased and what was kept, are signed out and cannot
sign in again; a guest donor erases their details from the link in their receipt email. The privacy policy is
there in English and Georgian. Screenshots of each page at 375 and 1280 px go to OUTLET_SCREENSHOTS (or the
test's temporary folder)."""

from __future__ import annotations

import json
import os
import re
import zipfile
from pathlib import Path

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from donations.models import Donation
from members.models import Membership
from tests.donations.conftest import give, make_campaign
from tests.e2e.pages import seed_legal_pages
from tests.e2e.readers import code_in, expect_signed_out, link_in, reader, sent_to, sign_in
from tests.e2e.test_layout import layout_problems
from tests.members import sandbox_journey as journey

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL = "nana.reader@example.org"
WIDTHS = (375, 1280)


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("OUTLET_SCREENSHOTS") or tmp_path) / "privacy"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def photograph(page: Page, folder: Path, name: str) -> None:
    """The page at each width, full length, checked for sideways scroll and overlapping header controls."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert layout_problems(page) == [], (name, width, layout_problems(page))
        page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.fixture
def giver(settings, live_server):
    settings.SITE_URL = live_server.url
    user = reader(EMAIL, first_name="Nana")
    give(make_campaign(), email=EMAIL, user_id=user.pk, name="Nana Lomidze", message="For the reporters in Batumi")
    return user


def test_a_reader_exports_their_data_and_downloads_the_zip_from_the_emailed_link(
    page: Page, live_server, giver, mailoutbox, shots
):
    sign_in(page, live_server.url, EMAIL, next_path="/accounts/privacy/")
    page.wait_for_url(f"{live_server.url}/accounts/privacy/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your data")
    photograph(page, shots, "your-data")

    page.get_by_role("button", name="Prepare a copy of my data").click()
    page.wait_for_url(f"{live_server.url}/accounts/privacy/")
    expect(page.get_by_text("We are preparing your data")).to_be_visible()
    # The worker (eager here) built it at commit: the page offers the download and says until when.
    expect(page.locator(".privacy-export--ready")).to_contain_text("You can download it until")
    photograph(page, shots, "your-data-ready")

    page.goto(f"{live_server.url}/ka/accounts/privacy/")  # the longest words: Georgian
    expect(page.get_by_role("heading", level=1)).to_have_text("თქვენი მონაცემები")
    photograph(page, shots, "your-data-ka")

    [message] = sent_to(mailoutbox, EMAIL, "ready to download")
    link = link_in(message, "/download/")
    with page.expect_download() as download:
        page.evaluate("url => { window.location.href = url; }", link)
    archive = zipfile.ZipFile(download.value.path())
    data = json.loads(archive.read("data.json"))
    assert [gift["message"] for gift in data["gifts"]] == ["For the reporters in Batumi"]
    assert data["account"][0]["email"] == EMAIL and "gifts.csv" in archive.namelist()


def test_a_member_deletes_their_account_with_the_emailed_code_and_cannot_sign_in_again(
    page: Page, live_server, settings, priced_tiers, giver, mailoutbox, shots
):
    client = Client()
    client.force_login(giver)
    journey.join_and_pay(client)  # a paid membership the deletion must stop at the provider first

    sign_in(page, live_server.url, EMAIL, next_path="/accounts/privacy/")
    page.wait_for_url(f"{live_server.url}/accounts/privacy/")
    page.get_by_role("link", name="Delete my account…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete your account?")
    expect(page.get_by_text("What we keep, without your name")).to_be_visible()
    photograph(page, shots, "delete-account")
    page.get_by_role("button", name="Email me the code").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm with the code we sent")
    photograph(page, shots, "delete-account-code")
    page.get_by_label("Code from the email").fill(
        "000000" if code_in(sent_to(mailoutbox, EMAIL, "code")[-1]) != "000000" else "1"
    )
    page.get_by_role("button", name="Delete my account now").click()
    expect(page.get_by_role("alert")).to_have_text("That is not the code we sent. Check the email and try again.")

    page.get_by_label("Code from the email").fill(code_in(sent_to(mailoutbox, EMAIL, "code")[-1]))
    page.get_by_role("button", name="Delete my account now").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account is deleted")
    expect(page.get_by_text("What we erased")).to_be_visible()
    expect(page.get_by_text("What we kept, without your name")).to_be_visible()
    expect(page.get_by_text("our reference for this erasure", exact=False)).to_be_visible()
    photograph(page, shots, "account-deleted")
    expect_signed_out(page)

    assert Membership.objects.get(user=giver).status == Membership.Status.LAPSED
    assert not Donation.objects.filter(email=EMAIL).exists() and Donation.objects.get().amount_minor

    sign_in(page, live_server.url, EMAIL)
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect_signed_out(page)


def test_a_guest_donor_erases_their_details_from_the_link_in_their_receipt_email(
    page: Page, live_server, settings, mailoutbox, shots
):
    settings.SITE_URL = live_server.url
    guest = "levan.guest@example.org"
    give(make_campaign(), email=guest, name="Levan Guest", message="From Kutaisi", show_on_wall=True)
    [receipt] = sent_to(mailoutbox, guest, "receipt")
    page.goto(link_in(receipt, "/privacy/erase/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Erase your details from your gifts")
    photograph(page, shots, "guest-erase")
    page.get_by_role("button", name="Email me the code").click()
    page.get_by_label("Code from the email").fill(code_in(sent_to(mailoutbox, guest, "code")[-1]))
    page.get_by_role("button", name="Erase my details now").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your details are erased")
    assert not Donation.objects.filter(name="Levan Guest").exists()


@pytest.mark.parametrize(
    ("address", "heading"), [("/privacy/", "Privacy policy"), ("/ka/privacy/", "კონფიდენციალურობის პოლიტიკა")]
)
def test_the_privacy_policy_reads_well_in_english_and_georgian(
    page: Page, live_server, settings, shots, address, heading
):
    seed_legal_pages()
    settings.DONOR_DATA_RETENTION_YEARS = 7
    page.goto(f"{live_server.url}{address}")
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.locator(".legal-page__body")).to_contain_text("7")
    expect(page.get_by_role("contentinfo").get_by_role("link", name=re.compile("Privacy|კონფიდენციალ"))).to_be_visible()
    photograph(page, shots, "privacy-policy-" + ("ka" if "/ka/" in address else "en"))
