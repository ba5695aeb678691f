"""A Finance staff member, signed in with two factors, refunds part of a gift from its page in a real browser:
types the amount as people write it, confirms on the next page, and sees the gift follow the provider's refund
(375 and 1280 px)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from donations.models import Donation
from tests.donations.conftest import give, make_campaign
from tests.staff import finance_staff_with_app, sign_in_staff_in_browser

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [375, 1280])
def test_finance_refunds_part_of_a_gift_after_confirming(page, live_server, width):
    give(make_campaign(), email="nino@example.org", gift_minor=5000)
    gift = Donation.objects.get()
    staff, secret = finance_staff_with_app()
    page.set_viewport_size({"width": width, "height": 900})
    sign_in_staff_in_browser(
        page, live_server.url, staff, secret, next_path=f"/admin/donations/donation/{gift.pk}/change/"
    )

    page.get_by_role("link", name="Refund…").first.click()
    expect(page.get_by_text("each newsroom's share and the receipt change")).to_be_visible()
    page.get_by_label("Amount to refund (GEL)").fill("10.50")
    page.get_by_role("button", name="Continue").click()

    confirm = page.get_by_role("button", name="Yes, refund GEL\u00a010.50")
    expect(confirm).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"
    Path("var/screenshots").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=f"var/screenshots/staff-refund-gift-{width}.png", full_page=True)
    confirm.click()

    expect(page.locator(".messagelist")).to_contain_text("asked to refund GEL\u00a010.50")
    gift.refresh_from_db()
    assert (gift.amount_refunded_minor, gift.status) == (1050, Donation.Status.PARTIALLY_REFUNDED)
