"""The staff forms around sending that the compose-and-send walk does not submit, each in Debian's chromium at 375
and 1280 px: an editor schedules an issue in the newsroom's time and cancels the schedule, stops an issue half sent,
and the membership team lifts an address's suppression after confirming."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

from outlet.common import email_preferences, local_time
from outlet.common.models import SuppressedAddress
from outlet.newsletters.models import Delivery, NewsletterSend
from outlet.staff.roles import MEMBERSHIP_MANAGER
from tests.e2e.test_newsletters import editor_in_browser, weekly  # noqa: F401  (a fixture)
from tests.factories import ArticleFactory, UserFactory
from tests.staff import give_authenticator_app, sign_in_staff_in_browser

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
WIDTHS = [375, 1280]


def _issue(newsletter, **fields) -> NewsletterSend:
    send = NewsletterSend.objects.create(newsletter=newsletter, subject="The week in the Caucasus", **fields)
    send.story_rows.create(article=ArticleFactory(title="Night buses return to the valley"), position=0)
    return send


@pytest.mark.parametrize("width", WIDTHS)
def test_an_editor_schedules_an_issue_in_tbilisi_time_and_cancels_the_schedule(page, live_server, weekly, width):  # noqa: F811
    send = _issue(weekly)
    page.set_viewport_size({"width": width, "height": 900})
    editor_in_browser(page, live_server, next_path=f"/admin/newsletters/newslettersend/{send.pk}/change/")
    page.get_by_role("link", name="Schedule").click()
    expect(page.get_by_text(f"Send at ({local_time.zone_label()})")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"
    # Tomorrow at 08:00 on the newsroom's clock, typed as the browser's date-time field takes it.
    tomorrow = (timezone.localtime(timezone.now(), local_time.site_zone()) + timedelta(days=1)).date()
    page.fill("#id_when", f"{tomorrow.isoformat()}T08:00")
    page.get_by_role("button", name="Schedule").click()

    send.refresh_from_db()
    assert send.status == NewsletterSend.Status.SCHEDULED
    expected = timezone.make_aware(
        datetime.combine(tomorrow, datetime.min.time()).replace(hour=8), local_time.site_zone()
    )
    assert send.scheduled_for == expected
    expect(page.locator(".messagelist")).to_contain_text(f"Scheduled for {local_time.datetime_text(expected)}.")

    page.get_by_role("button", name="Cancel the schedule").click()
    expect(page.locator(".messagelist")).to_contain_text("Cancelled. Nothing more of this issue will be sent.")
    send.refresh_from_db()
    assert send.status == NewsletterSend.Status.CANCELLED


@pytest.mark.parametrize("width", WIDTHS)
def test_an_editor_stops_an_issue_half_sent(page, live_server, weekly, width):  # noqa: F811
    send = _issue(weekly, status=NewsletterSend.Status.SENDING, started_at=timezone.now())
    Delivery.objects.create(send=send, address="sent@example.org", status=Delivery.Status.SENT, sent_at=timezone.now())
    Delivery.objects.create(send=send, address="waiting@example.org")
    page.set_viewport_size({"width": width, "height": 900})
    editor_in_browser(page, live_server, next_path=f"/admin/newsletters/newslettersend/{send.pk}/progress/")
    expect(page.locator("[data-field=remaining]")).to_have_text("1")
    page.get_by_role("button", name="Stop sending the rest").click()
    expect(page.locator(".messagelist")).to_contain_text("Cancelled. Nothing more of this issue will be sent.")
    expect(page.locator("[data-field=sent]")).to_have_text("1")
    send.refresh_from_db()
    assert send.status == NewsletterSend.Status.CANCELLED
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", WIDTHS)
def test_the_membership_team_lifts_a_suppression_after_confirming(page, live_server, width):
    email_preferences.suppress(address="bounced@example.org", reason="bounced", detail="550", source="mailgun")
    email_preferences.suppress(address="other@example.org", reason="complained", source="postmark")
    team = UserFactory(username="members-desk", email="members-desk@example.org", is_staff=True)
    team.groups.add(Group.objects.get(name=MEMBERSHIP_MANAGER))
    EmailAddress.objects.create(user=team, email=team.email, verified=True, primary=True)
    page.set_viewport_size({"width": width, "height": 900})
    sign_in_staff_in_browser(
        page, live_server.url, team, give_authenticator_app(team), next_path="/admin/common/suppressedaddress/"
    )
    row = page.locator("#result_list tr", has_text="bounced@example.org")
    row.locator("input[name=_selected_action]").check()
    page.select_option("select[name=action]", "lift_suppression")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_text("bounced@example.org — Bounced (mailgun)")).to_be_visible()
    assert email_preferences.is_suppressed("bounced@example.org")  # the first click only asks
    page.get_by_role("button", name="Yes, lift the suppression").click()
    expect(page.locator(".messagelist")).to_contain_text("Suppressions lifted: 1.")
    assert not email_preferences.is_suppressed("bounced@example.org")
    assert SuppressedAddress.objects.filter(address="other@example.org").exists()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
