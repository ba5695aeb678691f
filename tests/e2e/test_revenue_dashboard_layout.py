"""The revenue dashboard at a phone's width and a laptop's: its wide tables (the campaigns have nine columns) scroll
inside their own box, so the page itself never scrolls sideways (it was 812 px wide in a 375 px window)."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from tests.e2e.pages import WIDTHS
from tests.factories import UserFactory
from tests.staff import give_authenticator_app, sign_in_staff_in_browser

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_dashboard_never_scrolls_sideways_and_its_tables_stay_readable(browser, world, live_server):
    finance = UserFactory(username="dash-finance", email="dash-finance@example.org", is_staff=True, is_superuser=True)
    EmailAddress.objects.create(user=finance, email=finance.email, verified=True, primary=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        sign_in_staff_in_browser(page, live_server.url, finance, give_authenticator_app(finance))
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(live_server.url + reverse("revenue:dashboard"))
            assert page.evaluate("document.documentElement.scrollWidth") <= width, f"scrolls sideways at {width}px"
            campaigns = page.locator("#campaign-summary")
            assert campaigns.locator("tbody tr").count() >= 1  # the demo fundraiser's row is there
            box = campaigns.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
            # Every column is reachable: the table fits, or it scrolls sideways inside its own box.
            reachable = "t => t.scrollWidth <= t.clientWidth || getComputedStyle(t).overflowX === 'auto'"
            assert campaigns.evaluate(reachable), f"the campaigns' last columns are cut off at {width}px"
            if width < 768:  # nine columns do not fit a phone: the table scrolls (and so the rule above was tested)
                assert campaigns.evaluate("t => t.scrollWidth > t.clientWidth")
    finally:
        context.close()
