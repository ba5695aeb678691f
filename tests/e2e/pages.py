"""Every page a reader, member or donor can open, and the small world they are opened in.

One list serves the width/overlap guard (test_layout.py) and `make screenshots` (test_screenshots.py), so a page
added here is both checked and photographed. The world is the demo newsroom (`load_demo_content`: real stories,
hero images and the demo fundraiser) plus a paying member, a donor with a monthly gift and a guest donor, all made
through the production payment pipeline and the sandbox provider, so every page has the data it shows in use.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from importlib import import_module

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from donations import recurring, services
from donations.models import Campaign, CampaignCurrency, DonationCheckout, RecurringDonation
from members import services as member_services
from members.models import MembershipCheckout, Tier
from outlet.common.personal_data import guest_erasure_token
from outlet.demo.loader import load_demo_content
from outlet.payments.providers import get_provider
from outlet.publishing.models import Article, Author, Section
from outlet.receipts import services as receipts
from outlet.receipts.models import Receipt

USERS = ("anonymous", "member", "donor")
SIGNED_IN = ("member", "donor")
WIDTHS = (375, 1280)
PASSWORD = "a long walk by the Mtkvari 7"
EMAILS = {
    "member": "lela.member@example.org",
    "donor": "giorgi.donor@example.org",
    "forgetful": "eter.reader@example.org",
}
GUEST_EMAIL = "mariam.guest@example.org"


@dataclass
class World:
    base_url: str
    paths: dict[str, str] = field(default_factory=dict)  # fixed addresses found while building (article slugs, ...)
    by_user: dict[str, dict[str, str]] = field(default_factory=dict)  # addresses that differ per user (portals, ...)
    users: dict = field(default_factory=dict)

    def url(self, path: str) -> str:
        return self.base_url + path


@dataclass(frozen=True)
class SitePage:
    """`path` is a fixed address, or a key into World.paths / World.by_user[user] (written `{key}`).
    `lands_on` is where the browser must end up (a pattern for the path) when it differs from `path`. `status` is the
    answer the page must give. `pending_signup`: the page is reached mid-flow (after the sign-up form), so it is
    opened in a fresh session that has just signed up."""

    name: str
    path: str
    users: tuple[str, ...] = USERS
    lands_on: str | None = None
    status: int = 200
    pending_signup: bool = False

    def address(self, world: World, user: str) -> str:
        if self.path.startswith("{"):
            key = self.path.strip("{}")
            return world.by_user.get(user, {}).get(key) or world.paths[key]
        return self.path


PAGES = [
    SitePage("home", "/"),
    SitePage("section", "{section}"),
    SitePage("region", "{region}"),
    SitePage("topic", "{topic}"),
    SitePage("author", "{author}"),
    SitePage("article-public", "{article_public}"),
    SitePage("article-metered", "{article_metered}"),
    SitePage("article-members", "{article_members}"),
    SitePage("membership", "/membership/"),
    SitePage("welcome", "{welcome}", users=("member",)),
    SitePage("sign-in", "/accounts/login/", users=("anonymous",)),
    SitePage("sign-in-code", "/accounts/login/code/", users=("anonymous",)),
    SitePage("sign-up", "/accounts/signup/", users=("anonymous",)),
    SitePage(
        "verify", "/accounts/signup/", users=("anonymous",), lands_on="/accounts/confirm-email/$", pending_signup=True
    ),
    SitePage("reset", "/accounts/password/reset/", users=("anonymous",)),
    SitePage(
        "reset-new-password",
        "{reset_key}",
        users=("anonymous",),
        lands_on=r"/accounts/password/reset/key/\w+-set-password/$",
    ),
    SitePage("account", "/accounts/membership/", users=SIGNED_IN),
    SitePage("account-email", "/accounts/email/", users=SIGNED_IN),
    SitePage("account-password", "/accounts/password/change/", users=SIGNED_IN),
    SitePage("two-factor", "/accounts/2fa/", users=SIGNED_IN),
    SitePage("confirm-access", "/accounts/2fa/totp/activate/", users=SIGNED_IN, lands_on="/accounts/reauthenticate/$"),
    SitePage("cancel-membership", "/accounts/membership/cancel/", users=("member",)),
    SitePage("sign-out", "/accounts/logout/", users=SIGNED_IN),
    SitePage("monthly-gifts", "/accounts/gifts/", users=SIGNED_IN),
    SitePage("receipts", "/accounts/receipts/", users=SIGNED_IN),
    SitePage("receipt-link", "{receipt_link}"),
    SitePage("gift-link", "{gift_link}"),
    SitePage("campaign", "{campaign}"),
    SitePage("thanks", "{thanks}"),
    SitePage("newsletter-signup", "/newsletters/signup/"),
    SitePage("newsletter-thanks", "/newsletters/thanks/?newsletter=weekly"),
    SitePage("donate-index", "/fundraisers/"),
    SitePage("sandbox-checkout", "{sandbox_checkout}"),
    SitePage("sandbox-portal", "{sandbox_portal}"),
    SitePage("your-data", "/accounts/privacy/", users=SIGNED_IN),
    SitePage("delete-account", "/accounts/privacy/delete/", users=SIGNED_IN),
    SitePage("guest-erase", "{guest_erase}"),
    SitePage("privacy-policy", "/privacy/"),
    SitePage("privacy-policy-ka", "/ka/privacy/"),
    SitePage("terms", "/terms/"),
    SitePage("not-found", "/no-such-page/", status=404),
]


def visits() -> list[tuple[SitePage, str]]:
    """Every (page, user) pair the guard and the screenshots cover."""
    return [(page, user) for page in PAGES for user in USERS if user in page.users]


# --- The world --------------------------------------------------------------------------------------------


def build_world(base_url: str) -> World:
    """Needs SITE_URL pointed at `base_url` (the provider's return addresses are built from it)."""
    load_demo_content()
    seed_legal_pages()
    world = World(base_url=base_url)
    _reading_pages(world)
    campaign = Campaign.objects.get(slug="reporters-safety-fund")
    world.paths["campaign"] = reverse("donations:campaign", args=[campaign.slug])
    _second_fundraiser()  # with two open, "Donate" lists them instead of going straight to the one
    member = _reader("member", first_name="Lela", last_name="Kvaratskhelia")
    donor = _reader("donor", first_name="Giorgi", last_name="Abashidze")
    world.users = {"member": member, "donor": donor}
    _make_member(world, member)
    _make_donor(world, donor, campaign)
    _make_guest(world, campaign)
    # The reset link of a reader who never signs in here (signing in changes last_login, which voids the token).
    forgetful = _reader("forgetful", first_name="Eter")
    world.paths["reset_key"] = reverse(
        "account_reset_password_from_key",
        kwargs={"uidb36": user_pk_to_url_str(forgetful), "key": default_token_generator.make_token(forgetful)},
    )
    return world


def _reading_pages(world: World) -> None:
    live = Article.objects.live().select_related("section", "region")
    by_access = {
        access: live.filter(access=access).order_by("-published_at").first() for access in Article.Access.values
    }
    for key, access in (("article_public", "public"), ("article_metered", "metered"), ("article_members", "members")):
        article = by_access[access]
        assert article is not None, f"the demo content has no live {access} story"
        world.paths[key] = article.get_absolute_url()
    story = by_access["public"]
    world.paths["section"] = story.section.get_absolute_url()
    world.paths["region"] = next(a.region for a in live if a.region).get_absolute_url()
    world.paths["topic"] = next(t for a in live for t in a.tags.all()).get_absolute_url()
    world.paths["author"] = Author.objects.filter(bylines__article__in=live).order_by("pk").first().get_absolute_url()
    assert Section.objects.exists()


def _second_fundraiser() -> None:
    campaign = Campaign.objects.create(
        slug="winter-newsroom-appeal",
        title="Keep the lights on this winter",
        summary="Heating and generators for two newsrooms through the winter power cuts.",
        story="<p>Two newsrooms.</p>",
        goal_minor=1_200_000,
        currency="GEL",
        starts_at=timezone.now() - timedelta(days=2),
        is_published=True,
    )
    CampaignCurrency.objects.create(
        campaign=campaign,
        currency="GEL",
        preset_amounts_minor=[2000, 5000],
        min_amount_minor=500,
        max_amount_minor=500_000,
        position=0,
    )


def _reader(role: str, **names):
    user = get_user_model().objects.create_user(username=role, email=EMAILS[role], password=PASSWORD, **names)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def _session_id(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[1]


def _make_member(world: World, member) -> None:
    """A paying Supporter, monthly, in GEL: through the membership checkout and the sandbox's Pay button."""
    tier = Tier.objects.filter(is_active=True).order_by("position").first()
    checkout_url = member_services.start_membership_checkout(user=member, tier=tier, interval="month", currency="GEL")
    get_provider("sandbox").complete_checkout(_session_id(checkout_url))
    checkout = MembershipCheckout.objects.get(user=member)
    world.paths["welcome"] = reverse("members:welcome", args=[checkout.reference])
    portal = member_services.billing_portal_url(user=member, return_url=world.url(reverse("members:account")))
    world.by_user["member"] = {"sandbox_portal": portal}
    world.by_user["member"]["sandbox_checkout"] = _open_checkout(world, email=member.email, user_id=member.pk)


def _pay(world: World, campaign: Campaign, **request) -> DonationCheckout:
    checkout, redirect = services.start_donation_checkout(
        request=services.DonationRequest(campaign=campaign, currency="GEL", **request),
        success_url=world.url("/fundraisers/thanks/{reference}/"),
        cancel_url=world.url(reverse("donations:campaign", args=[campaign.slug])),
    )
    get_provider("sandbox").complete_checkout(redirect.session_id)
    return checkout


def _open_checkout(world: World, *, email: str, user_id: int | None = None) -> str:
    """A donation checkout left open on the sandbox's page (nobody pressed Pay)."""
    campaign = Campaign.objects.get(slug="reporters-safety-fund")
    _, redirect = services.start_donation_checkout(
        request=services.DonationRequest(
            campaign=campaign,
            email=email,
            currency="GEL",
            gift_minor=3500,
            interval="month",
            cover_fee=True,
            user_id=user_id,
        ),
        success_url=world.url("/fundraisers/thanks/{reference}/"),
        cancel_url=world.url("/fundraisers/"),
    )
    return redirect.url


def _make_donor(world: World, donor, campaign: Campaign) -> None:
    """A free account with a monthly gift and a one-off gift: receipts, a statement, a card portal."""
    _pay(
        world,
        campaign,
        email=donor.email,
        gift_minor=2500,
        interval="month",
        cover_fee=True,
        user_id=donor.pk,
        name="Giorgi Abashidze",
    )
    _pay(world, campaign, email=donor.email, gift_minor=10000, user_id=donor.pk, name="Giorgi Abashidze")
    gift = RecurringDonation.objects.get(user=donor)
    world.by_user["donor"] = {
        "sandbox_portal": recurring.card_portal_url(gift=gift, return_url=world.url(reverse("donations:gifts"))),
        "sandbox_checkout": _open_checkout(world, email=donor.email, user_id=donor.pk),
    }


def _make_guest(world: World, campaign: Campaign) -> None:
    """A guest's monthly gift: the private links from the receipt email, the thank-you page."""
    checkout = _pay(
        world,
        campaign,
        email=GUEST_EMAIL,
        gift_minor=4000,
        interval="month",
        name="Mariam Guest",
        show_on_wall=True,
        display_name="Mariam from Batumi",
        message="For the coast.",
    )
    gift = RecurringDonation.objects.get(email=GUEST_EMAIL)
    receipt = Receipt.objects.filter(payment__email=GUEST_EMAIL).order_by("pk").first()
    assert receipt is not None, "the guest's receipt was not issued"
    world.paths |= {
        "thanks": reverse("donations:thanks", args=[checkout.reference]),
        "gift_link": reverse("donations:gift_link", args=[recurring.manage_token(gift)]),
        "receipt_link": reverse("receipts:signed", kwargs={"token": receipts.guest_token(receipt)}),
        "sandbox_portal": recurring.card_portal_url(
            gift=gift, return_url=world.url(reverse("donations:gift_link", args=[recurring.manage_token(gift)]))
        ),
        "sandbox_checkout": _open_checkout(world, email=GUEST_EMAIL),
        "guest_erase": reverse("privacy:guest_erase", args=[guest_erasure_token(GUEST_EMAIL)]),
    }


def seed_legal_pages() -> None:
    """The privacy policy and terms as their data migration writes them (a transactional test flushes them away)."""
    from django.apps import apps

    import_module("outlet.privacy.migrations.0002_seed_legal_pages").seed(apps, None)


# --- Opening a page as someone -----------------------------------------------------------------------------


def session_cookie(world: World, client: Client) -> dict:
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {"name": settings.SESSION_COOKIE_NAME, "value": value, "url": world.base_url}


def signed_in_cookie(world: World, user: str) -> dict:
    client = Client()
    client.force_login(world.users[user], backend="django.contrib.auth.backends.ModelBackend")
    return session_cookie(world, client)


def pending_signup_cookie(world: World) -> dict:
    """A session that has just sent the sign-up form, so it is on the code verification step (a new address each
    time: allauth sends one address at most one code per 10 seconds)."""
    email = f"new.reader.{uuid.uuid4().hex[:8]}@example.org"
    client = Client()
    response = client.post("/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302 and "/accounts/confirm-email/" in response["Location"], response
    return session_cookie(world, client)


def new_context(browser, world: World, user: str, width: int, *, height: int = 900, cookie: dict | None = None):
    """A browser context for `user` at `width` px (a phone's height at phone widths)."""
    context = browser.new_context(
        viewport={"width": width, "height": 812 if width < 600 else height}, device_scale_factor=1
    )
    if cookie is None and user != "anonymous":
        cookie = signed_in_cookie(world, user)
    if cookie:
        context.add_cookies([cookie])
    return context


class Visitor:
    """Opens each page as each user at one width, reusing one browser context per user."""

    def __init__(self, browser, world: World, width: int):
        self.browser, self.world, self.width = browser, world, width
        self.contexts: dict[str, object] = {}

    def open(self, site_page: SitePage, user: str):
        """Returns the Playwright page showing `site_page`, or raises AssertionError saying what went wrong."""
        if site_page.pending_signup:
            context = new_context(self.browser, self.world, user, self.width, cookie=pending_signup_cookie(self.world))
            self.contexts[f"{site_page.name}-{user}"] = context
        else:
            context = self.contexts.get(user) or new_context(self.browser, self.world, user, self.width)
            self.contexts[user] = context
        page = context.pages[0] if context.pages else context.new_page()
        address = site_page.address(self.world, user)
        response = page.goto(self.world.url(address))
        page.wait_for_load_state("load")
        where = page.url.removeprefix(self.world.base_url).split("?")[0]
        expected = site_page.lands_on or re.escape(address.split("?")[0]) + "$"
        problems = []
        if response is None or response.status != site_page.status:
            problems.append(f"answered {response and response.status} (expected {site_page.status})")
        if not re.match(expected, where):
            problems.append(f"ended on {where} (expected {expected})")
        if problems:
            raise AssertionError(f"{site_page.name} as {user}: " + ", ".join(problems))
        return page

    def close(self) -> None:
        for context in self.contexts.values():
            context.close()
        self.contexts.clear()
