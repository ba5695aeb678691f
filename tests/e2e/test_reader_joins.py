"""A reader meets the paywall on a members-only story, signs up, verifies their address with the emailed code,
pays through the sandbox checkout, reads the whole story as a member and then cancels at the period's end.

Everything runs through the real pages in Debian's chromium. The payment pipeline is the production one: the
sandbox posts its event to the same intake, which enqueues processing with transaction.on_commit, so the live
server must commit for real (pytest-django's live_server is transactional) and Celery runs eagerly in-process."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from members.models import Membership
from outlet.common.local_time import date_text
from outlet.publishing.models import Article, Prompt
from tests.factories import ArticleFactory, PromptFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL = "tamar@example.org"
PASSWORD = "a quiet river at dusk 42"


@pytest.fixture
def site(settings, live_server, priced_tiers):
    # The provider's return addresses (success/cancel URLs) are built from SITE_URL: point it at this server.
    settings.SITE_URL = live_server.url
    article = ArticleFactory(title="Who owns the mountain road", slug="mountain-road", access=Article.Access.MEMBERS)
    PromptFactory(
        placement=Prompt.Placement.PAYWALL,
        kicker="Members only",
        headline="Read the rest as a member",
        body="Members fund this investigation.",
        cta_label="Become a member",
        cta_url="/membership/",
    )
    return {"article": article, "url": f"{live_server.url}/articles/mountain-road/"}


def _code_from(message) -> str:
    match = re.search(r"verification code is:\s*(\S+)", message.body)
    assert match, message.body
    return match.group(1)


def _choose_supporter_monthly(page: Page):
    supporter = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name="Supporter", exact=True))
    supporter.get_by_role("button", name="Join Supporter monthly").click()


@pytest.mark.date_sensitive
def test_a_reader_becomes_a_member_reads_the_story_and_cancels(page: Page, live_server, site, mailoutbox):
    # A members-only story: the opening paragraphs, then the paywall prompt instead of the rest.
    page.goto(site["url"])
    expect(page.get_by_role("heading", level=1)).to_have_text("Who owns the mountain road")
    expect(page.get_by_text("mountain-road-P1")).to_be_visible()
    expect(page.get_by_text("mountain-road-P2")).to_be_visible()
    for hidden in ("P3", "P5", "P8"):
        expect(page.get_by_text(f"mountain-road-{hidden}")).to_have_count(0)
    paywall = page.get_by_role("region", name="This story is for members.")
    expect(paywall.get_by_role("heading", name="Read the rest as a member")).to_be_visible()

    # The prompt leads to the membership page; choosing a tier while anonymous leads to sign up.
    paywall.get_by_role("link", name="Become a member").click()
    page.wait_for_url(f"{live_server.url}/membership/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Support independent journalism")
    _choose_supporter_monthly(page)
    page.wait_for_url(re.compile(r"/accounts/signup/\?next="))
    expect(
        page.get_by_text(
            "You chose Supporter, monthly. Create a free account, or sign in, and you go straight on to payment."
        )
    ).to_be_visible()

    page.get_by_label("Your name").fill("Tamar Beridze")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label(re.compile(r"Password \(again\)|Confirm password", re.I)).fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()

    # Mandatory verification by code: the code arrives by email and is typed on the page that is open.
    expect(page.get_by_label("Code")).to_be_visible()
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [EMAIL]
    page.get_by_label("Code").fill(_code_from(mailoutbox[0]))
    page.get_by_role("button", name="Confirm").click()

    # Straight on to the sandbox's hosted checkout with the same choice (no second pick), then back to the welcome
    # page once the provider's event is processed.
    page.wait_for_url(re.compile(r"/payments/sandbox/checkout/"))
    expect(page.get_by_text(re.compile(r"Supporter membership"))).to_be_visible()
    expect(page.get_by_text("Sandbox payment provider")).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()
    page.wait_for_url(re.compile(r"/membership/welcome/[\w-]+/"))
    # The page refreshes by itself while it waits for the confirmation.
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, you are a member", timeout=15_000)
    expect(page.get_by_text("Your Supporter membership is active")).to_be_visible()
    membership = Membership.objects.get(user__email=EMAIL)
    assert (membership.status, membership.tier.slug, membership.interval, membership.currency) == (
        "active",
        "supporter",
        "month",
        "GEL",
    )
    welcome = [m for m in mail.outbox if "welcome, you are a member" in m.subject]
    assert len(welcome) == 1 and welcome[0].to == [EMAIL]
    assert welcome[0].body.startswith("Dear Tamar Beridze,")

    # Back to the story they came from: the whole of it is open now.
    page.get_by_role("link", name="Back to the story you were reading").click()
    page.wait_for_url(site["url"])
    for shown in ("P1", "P3", "P5", "P8"):
        expect(page.get_by_text(f"mountain-road-{shown}")).to_be_visible()
    expect(page.get_by_text("This story is for members.")).to_have_count(0)

    # Cancel at the period's end: the account page says when access ends.
    page.goto(f"{live_server.url}/accounts/membership/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your membership")
    page.get_by_role("link", name="Cancel my membership…").click()
    page.wait_for_url(f"{live_server.url}/accounts/membership/cancel/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel your membership?")
    page.get_by_role("button", name="Yes, cancel at the end of this period").click()
    page.wait_for_url(f"{live_server.url}/accounts/membership/")
    # Said once (the site layout shows messages; the page used to repeat them).
    expect(page.get_by_text("Your membership will not renew.")).to_have_count(1)
    expect(page.get_by_text("Your membership will not renew.")).to_be_visible()
    membership.refresh_from_db()
    ends = date_text(membership.current_period_end)
    expect(page.get_by_text(f"Cancelled — ends on {ends}")).to_be_visible()
    expect(page.get_by_role("button", name="Resume my membership")).to_be_visible()
