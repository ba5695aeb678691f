"""Every kind of reader-facing page passes axe-core's accessibility rules (contrast, landmarks, alt text, names)."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings as django_settings
from django.test import Client

from outlet.publishing.models import Article, Byline, Prompt
from tests.factories import ArticleFactory, AuthorFactory, PromptFactory, SectionFactory, TierFactory, UserFactory
from tests.members import sandbox_journey as journey

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def newsroom():
    section = SectionFactory(name="Environment", slug="environment")
    reporter = AuthorFactory(name="Nino Gelashvili", slug="nino-gelashvili", bio="Environment reporter in Tbilisi.")
    lead = ArticleFactory(
        title="A village fights the dam",
        slug="village-dam",
        featured=True,
        section=section,
        authors=[reporter],
        dek="Pensioners block the survey crews.",
    )
    Byline.objects.create(article=lead, author=AuthorFactory(name="Giorgi T."), role=Byline.Role.ADDITIONAL, position=1)
    ArticleFactory(
        title="Shepherds and the dry spring", slug="dry-spring", section=section, access=Article.Access.MEMBERS
    )
    TierFactory(name="Supporter", slug="supporter", description="Read every story.")
    PromptFactory(kicker="Become a member", headline="Support independent journalism", cta_label="Join today")
    PromptFactory(placement=Prompt.Placement.IN_ARTICLE, after_paragraph=2, headline="Paid for by members")
    PromptFactory(placement=Prompt.Placement.END_OF_ARTICLE, headline="Keep reporters on the road")
    PromptFactory(placement=Prompt.Placement.PAYWALL, headline="Keep reading with a membership")
    from outlet.newsletters.models import Newsletter  # its sign-up box is on the home page and every story

    Newsletter.objects.create(name="The Weekly", slug="weekly", description="Every Sunday.")


PAGES = [
    "/",
    "/articles/village-dam/",
    "/articles/dry-spring/",
    "/sections/environment/",
    "/authors/nino-gelashvili/",
    "/membership/",
    "/no-such-page/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/accounts/login/code/",
    "/newsletters/signup/",
    "/newsletters/thanks/?newsletter=weekly",
]


def axe_problems(page) -> list[str]:
    result = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result.response["violations"]
    ]


@pytest.mark.parametrize("path", PAGES)
def test_the_page_has_no_accessibility_violations(page, live_server, newsroom, settings, path):
    settings.DEBUG = False  # the styled 404, as readers get it
    page.goto(live_server.url + path)
    assert axe_problems(page) == []


def test_the_membership_pages_a_member_uses_have_no_accessibility_violations(page, live_server, priced_tiers, settings):
    """Checkout (sandbox), welcome, account with payments and history, and the card portal."""
    settings.SITE_URL = live_server.url
    reader = UserFactory(username="axe", email="axe@example.org")
    client = Client()
    client.force_login(reader)
    checkout_url = journey.join(client)["Location"]
    page.context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    paths = [checkout_url]
    welcome = journey.pay(client, checkout_url)["Location"]
    paths += [welcome.removeprefix(live_server.url), "/accounts/membership/", journey.portal(client), "/membership/"]
    for path in paths:
        page.goto(live_server.url + path)
        assert (path, axe_problems(page)) == (path, [])


def test_a_keyboard_reader_can_skip_to_the_story_and_dismiss_the_banner(page, live_server, newsroom):
    page.goto(live_server.url + "/articles/village-dam/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"

    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('aria-label')") == "Dismiss":
            break
    else:
        pytest.fail("the banner's dismiss button is not reachable with Tab")
    page.keyboard.press("Enter")
    page.locator("#site-banner").wait_for(state="detached")
    assert page.evaluate("document.activeElement.id") == "main", "focus lands on the story, not lost on <body>"


def test_the_fundraiser_pages_have_no_accessibility_violations(page, live_server, settings):
    """The campaign page (with newsrooms, updates, the wall and the form, also showing errors), the thank-you page
    while confirming and once confirmed, and a donor's monthly gifts."""
    from donations import services
    from donations.models import CampaignUpdate
    from outlet.payments.providers import get_provider
    from tests.donations.conftest import give, make_campaign

    settings.SITE_URL = live_server.url
    campaign = make_campaign()
    CampaignUpdate.objects.create(
        campaign=campaign, title="Helmets ordered", body="Eight vests.", published_at=campaign.starts_at
    )
    donor = UserFactory(username="giver", email="giver@example.org")
    give(
        campaign,
        email=donor.email,
        user_id=donor.pk,
        interval="month",
        cover_fee=True,
        show_on_wall=True,
        display_name="Nino",
        message="Stay safe.",
    )
    checkout, redirect = services.start_donation_checkout(
        request=services.DonationRequest(campaign=campaign, email="guest@example.org", currency="GEL", gift_minor=5000),
        success_url=f"{live_server.url}/fundraisers/thanks/{{reference}}/",
        cancel_url=live_server.url,
    )
    page.goto(f"{live_server.url}/fundraisers/safety-fund/")
    assert ("campaign", axe_problems(page)) == ("campaign", [])
    page.get_by_label("Other amount in GEL").fill("12.345")
    page.get_by_label("Email").fill("guest@example.org")
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_text("Use at most 2 decimal places.").first.wait_for()
    assert ("form errors", axe_problems(page)) == ("form errors", [])
    page.goto(f"{live_server.url}/fundraisers/thanks/{checkout.reference}/")
    assert ("confirming", axe_problems(page)) == ("confirming", [])
    get_provider("sandbox").complete_checkout(redirect.session_id)
    page.goto(f"{live_server.url}/fundraisers/thanks/{checkout.reference}/")
    assert ("thanks", axe_problems(page)) == ("thanks", [])

    client = Client()
    client.force_login(donor)
    page.context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page.goto(f"{live_server.url}/accounts/gifts/")
    assert ("monthly gifts", axe_problems(page)) == ("monthly gifts", [])
