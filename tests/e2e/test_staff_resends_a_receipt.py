"""A Finance staff member, signed in with two factors, finds a donor's receipt in the receipts admin (its own part
since receipts left donations), asks to resend it, confirms, and the donor gets one new copy (375 and 1280 px)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from outlet.receipts.models import Receipt
from tests.donations.conftest import give, make_campaign
from tests.staff import finance_staff_with_app, sign_in_staff_in_browser

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [375, 1280])
def test_finance_resends_a_donors_receipt_after_confirming(page, live_server, mailoutbox, width):
    give(make_campaign(), email="nino@example.org", gift_minor=5000)
    receipt = Receipt.objects.get()
    copies_before = sum(1 for mail in mailoutbox if mail.to == ["nino@example.org"] and mail.attachments)
    staff, secret = finance_staff_with_app()
    page.set_viewport_size({"width": width, "height": 900})
    sign_in_staff_in_browser(page, live_server.url, staff, secret, next_path="/admin/")

    page.locator("#content-main a[href='/admin/receipts/receipt/']").first.click()  # the model, not its app
    page.locator("#searchbar").fill(receipt.number)
    page.locator("#changelist-search input[type=submit]").click()
    row = page.locator("#result_list tbody tr").filter(has_text=receipt.number)
    expect(row).to_have_count(1)
    row.locator("input.action-select").check()
    page.locator("select[name=action]").select_option("resend_receipt_email")
    page.locator(".actions button[name=index]").click()  # the admin's "Go"

    expect(page.get_by_text("Send the receipt email again to the donor of 1 receipt?")).to_be_visible()
    expect(page.locator("#content li")).to_contain_text(f"{receipt.number} — nino@example.org")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"
    Path("var/screenshots").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=f"var/screenshots/staff-resend-receipt-{width}.png", full_page=True)
    page.get_by_role("button", name="Yes, resend").click()

    expect(page.locator(".messagelist")).to_contain_text("1 receipt email(s) queued to be sent again.")
    copies = [mail for mail in mailoutbox if mail.to == ["nino@example.org"] and mail.attachments]
    assert len(copies) == copies_before + 1
    assert copies[-1].attachments[0][0] == f"receipt-{receipt.number}.pdf"
