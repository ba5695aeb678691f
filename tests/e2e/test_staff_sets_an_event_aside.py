"""A Finance staff member, signed in with two factors, follows the admin home's notice to a refund whose payment
never arrived, sets it aside with a note in a real browser, and sees the notice gone."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from outlet.payments.models import WebhookEvent
from tests.staff import finance_staff_with_app, sign_in_staff_in_browser

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NOTICE = "1 refund or dispute whose payment never arrived"


@pytest.mark.parametrize("width", [375, 1280])
def test_finance_sets_a_refund_whose_payment_never_arrived_aside(page, live_server, width):
    event = WebhookEvent.objects.create(
        provider="stripe",
        event_id="evt_refund_early",
        type="charge.refunded",
        payload={  # a gift's refund whose charge never reached us (as Stripe sends it, trimmed)
            "id": "evt_refund_early",
            "type": "charge.refunded",
            "data": {"object": {"id": "ch_lost", "object": "charge", "metadata": {"outlet_purpose": "donation"}}},
        },
        created_at_provider=timezone.now(),
        status=WebhookEvent.Status.UNMATCHED,
        waiting_for="ch_lost",
    )
    staff, secret = finance_staff_with_app()
    page.set_viewport_size({"width": width, "height": 900})
    sign_in_staff_in_browser(page, live_server.url, staff, secret, next_path="/admin/")

    page.get_by_role("link", name=NOTICE).click()
    row = page.locator("#result_list tbody tr").filter(has_text="evt_refund_early")
    row.locator("input.action-select").check()
    page.locator("select[name=action]").select_option("set_aside")
    page.locator(".actions button[name=index]").click()  # the admin's "Go"

    expect(page.get_by_text("Set 1 event aside?")).to_be_visible()
    expect(page.locator("#content-main li")).to_contain_text("Donation")
    expect(page.locator("#content-main li")).to_contain_text("waiting for ch_lost")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"
    Path("var/screenshots").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=f"var/screenshots/staff-set-aside-{width}.png", full_page=True)
    page.get_by_label("How it was settled (optional)").fill("refunded by hand in Stripe")
    page.get_by_role("button", name="Yes, set aside").click()

    expect(page.locator(".messagelist")).to_contain_text("Set aside 1 event(s).")
    event.refresh_from_db()
    assert event.status != WebhookEvent.Status.UNMATCHED
    assert "refunded by hand in Stripe" in event.last_error
    page.goto(live_server.url + "/admin/")
    expect(page.get_by_text("whose payment never arrived")).to_have_count(0)
