"""A Finance staff member signs in with two-factor, types a campaign goal as people write it ("1500.50") in a real
browser, and reads it back as money ("GEL 1,500.50"); a goal they mistype comes back with what to type instead."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from donations.models import Campaign
from tests.donations.conftest import make_campaign
from tests.staff import finance_staff_with_app, sign_in_staff_in_browser

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_finance_types_a_goal_as_people_write_it_and_reads_it_back_as_money(page, live_server):
    campaign = make_campaign()
    staff, secret = finance_staff_with_app()
    change_page = f"/admin/donations/campaign/{campaign.pk}/change/"
    sign_in_staff_in_browser(page, live_server.url, staff, secret, next_path=change_page)

    goal = page.get_by_label("Goal:", exact=True)
    expect(goal).to_have_value("50000")
    goal.fill("fifteen hundred")
    page.get_by_role("button", name="Save and continue editing").first.click()
    expect(page.locator(".errorlist")).to_contain_text("Enter an amount like 38.42.")
    assert Campaign.objects.get(pk=campaign.pk).goal_minor == 5_000_000

    page.get_by_label("Goal:", exact=True).fill("1500.50")
    page.get_by_role("button", name="Save", exact=True).first.click()

    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    row = page.locator("#result_list tbody tr").filter(has_text="Keep reporters safe")
    expect(row.locator("td.field-goal")).to_have_text("GEL\u00a01,500.50")
    assert Campaign.objects.get(pk=campaign.pk).goal_minor == 150_050

    page.goto(live_server.url + change_page)
    expect(page.get_by_label("Goal:", exact=True)).to_have_value("1500.50")
    expect(page.locator(".field-progress_summary")).to_contain_text("GEL\u00a00 of GEL\u00a01,500.50")
    Path("var/screenshots").mkdir(parents=True, exist_ok=True)
    page.screenshot(path="var/screenshots/staff-campaign-goal.png", full_page=True)
