"""A Membership manager imports a Ghost export in a real browser: uploads it, maps Ghost's "Premium" tier to our
Insider in the preview, sees the preview follow, applies it and sees what was done."""

from __future__ import annotations

import os
import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from members.models import GhostMember, Membership
from outlet.staff.roles import MEMBERSHIP_MANAGER
from tests.e2e.test_accessibility import axe_problems
from tests.factories import UserFactory
from tests.members.ghost_exports.helpers import EXPORTS, ghost_subscription, subscriptions_of
from tests.staff import give_authenticator_app, sign_in_staff_in_browser

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = os.environ.get("SCREENSHOT_DIR", "var/screenshots")


def membership_manager():
    user = UserFactory(username="eka", email="eka@example.org", first_name="Eka", is_staff=True)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    user.groups.add(Group.objects.get(name=MEMBERSHIP_MANAGER))
    return user, give_authenticator_app(user)


def test_a_membership_manager_maps_a_ghost_tier_in_the_preview_and_imports(
    page, live_server, priced_tiers, stripe_http
):
    stripe_http.respond(
        subscriptions_of(
            ghost_subscription(sub_id="sub_levan", customer="cus_ghost_levan", amount=3000, currency="gel")
        ),
        method="GET",
        path="/v1/subscriptions",
    )
    staff, secret = membership_manager()
    sign_in_staff_in_browser(page, live_server.url, staff, secret)

    page.get_by_role("link", name="Memberships").first.click()
    page.get_by_role("link", name="Import from Ghost").click()
    page.get_by_label("Ghost member export").set_input_files(str(EXPORTS / "ghost_default_tier.csv"))
    page.get_by_role("button", name="Upload and preview").click()

    expect(page.get_by_text("Nothing has changed yet")).to_be_visible()
    expect(page.get_by_label("Member", exact=True)).to_have_value("free")  # Ghost's free tier: a free account
    expect(page.get_by_label("Supporter", exact=True)).to_have_value(str(priced_tiers["supporter"].pk))
    expect(page.get_by_label("Premium", exact=True)).to_have_value("")  # not ours: staff choose
    expect(page.locator("tr", has_text="levan.paid@example.org")).to_contain_text(
        "which is not mapped to one of our tiers"
    )
    assert axe_problems(page) == []
    os.makedirs(SCREENSHOTS, exist_ok=True)
    page.screenshot(path=f"{SCREENSHOTS}/admin-ghost-import-preview-1280.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280  # the rows fit or scroll inside their box

    page.get_by_label("Premium", exact=True).select_option(label="Insider")
    page.get_by_role("button", name="Update the preview").click()

    expect(page.locator(".messagelist")).to_contain_text(re.compile("now uses your tier mapping: 0 row", re.I))
    expect(page.get_by_label("Premium", exact=True)).to_have_value(str(priced_tiers["insider"].pk))
    levan = page.locator("tr", has_text="levan.paid@example.org")
    expect(levan).to_contain_text("provisional paid access")
    expect(levan).to_contain_text("Insider")
    expect(page.locator("tr", has_text="ana.free@example.org")).to_contain_text("3 February 2020")  # in Tbilisi
    assert not GhostMember.objects.exists()  # a preview changes nobody

    page.get_by_label("I have checked the preview: import these members.").check()
    page.get_by_role("button", name="Import these members").click()

    expect(page.locator(".messagelist")).to_contain_text(re.compile("Imported: 4 new and 0 updated members", re.I))
    expect(page.get_by_role("heading", name="What was done")).to_be_visible()
    expect(page.locator(".ghost-tier-mapping")).to_contain_text("Insider")
    expect(page.get_by_role("button", name="Import these members")).to_have_count(0)
    page.screenshot(path=f"{SCREENSHOTS}/admin-ghost-import-applied-1280.png", full_page=True)

    membership = Membership.objects.get(user__email="levan.paid@example.org")
    assert (membership.tier.name, membership.provider_subscription_id) == ("Insider", "sub_levan")
    assert not Membership.objects.filter(user__email__in=["ana.free@example.org", "dato.free@example.org"]).exists()
