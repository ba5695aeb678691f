"""The demo's collective fundraiser: three newsrooms, two updates, a few gifts on the wall and an end-of-article
appeal that embeds it.

Created once, when the campaign's slug is missing; a campaign staff edited is never touched, except that its texts
in the other languages (outlet.demo.translations_*) fill the columns that are still empty while the English is
still the demo's (outlet.demo.multilingual). The gifts go through the donation service and the sandbox provider's
checkout, like a donor's would, so the wall and the totals come from the provider's events (processed by the
worker `make run` starts) rather than from rows written here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse

from donations import services
from donations.models import Beneficiary, Campaign, CampaignCurrency, CampaignUpdate
from outlet.demo.images import describe_hero, render_hero
from outlet.demo.multilingual import SOURCE_LANGUAGE, fill_empty_translations
from outlet.demo.spec import CAMPAIGN_FIELDS, PROMPT_FIELDS, UPDATE_FIELDS, CatalogueTranslation
from outlet.payments.providers import get_provider
from outlet.payments.providers.sandbox.provider import SandboxProvider
from outlet.publishing.models import Prompt

SLUG = "reporters-safety-fund"
TITLE = "Keep three newsrooms reporting"
SUMMARY = "Safety kit, legal help and secure tools for three small independent newsrooms."
HERO = {"scene": "road", "time_of_day": "dawn"}
STORY = (
    "<p>Three small newsrooms cover the mountain valleys, the border crossings and the coast, where few reporters "
    "still work. This year they need the same three things: protective kit for reporters at protests and on the "
    "front line, lawyers when a story ends up in court, and secure phones and laptops.</p>"
    "<p>Every gift is shared between them by the split below, or by your own if you choose one. Each newsroom reports "
    "how it spent its part, and we publish those reports here.</p>"
)
NEWSROOMS = [
    (
        "mountain-voice",
        "Mountain Voice",
        "A five-person newsroom in the high valleys, reporting on mining and land.",
        40,
        True,
    ),
    (
        "border-dispatch",
        "Border Dispatch",
        "Reporters on both sides of the line, covering the people who live along it.",
        35,
        False,
    ),
    (
        "coast-radio",
        "Coast Radio",
        "Community radio and podcasts from the Black Sea coast, in three languages.",
        25,
        False,
    ),
]
UPDATES = [
    (
        10,
        "Helmets and vests have arrived",
        "The first order of protective kit reached Border Dispatch this week: eight vests and eight helmets.\n\n"
        "Thank you to everyone who gave in the first days.",
    ),
    (
        3,
        "A lawyer for Mountain Voice",
        "Mountain Voice faces a defamation claim over its reporting on the quarry. Your gifts pay for its defence.",
    ),
]
# The end-of-article appeal that embeds the fundraiser.
APPEAL = {
    "name": "Demo fundraiser appeal",
    "kicker": "Collective fundraiser",
    "headline": "Three newsrooms, one appeal",
    "body": "Reporters at the border, in the valleys and on the coast need protective kit, lawyers and secure tools.",
    "cta_label": "Give",
}
# (email, name, display name, amount, currency, on the wall, anonymous, message)
GIFTS = [
    (
        "nino.demo@example.org",
        "Nino Kapanadze",
        "Nino from Kutaisi",
        5000,
        "GEL",
        True,
        False,
        "For the reporters on the border. Stay safe.",
    ),
    ("anon.demo@example.org", "Demo Donor", "", 10000, "GEL", True, True, "Thank you for telling these stories."),
    ("sam.demo@example.org", "Sam Taylor", "", 2500, "USD", True, False, ""),
    ("quiet.demo@example.org", "Quiet Demo", "", 2000, "GEL", False, False, ""),
]


def ensure_demo_fundraiser(tally, *, now: datetime) -> Campaign | None:
    """Create the demo fundraiser and its appeal when the slug is missing; note what happened on the tally."""
    if Campaign.objects.filter(slug=SLUG).exists():
        tally.notes.append(f"Demo fundraiser: already present at /fundraisers/{SLUG}/.")
        return None
    campaign = _create_campaign(now=now)
    given = _give_demo_gifts(campaign) if settings.PAYMENT_PROVIDER == "sandbox" else 0
    tally.notes.append(
        f"Demo fundraiser: created at /fundraisers/{SLUG}/ with {given} demo gifts through the sandbox "
        "(the worker records them from the sandbox's events)."
    )
    return campaign


@transaction.atomic
def _create_campaign(*, now: datetime) -> Campaign:
    campaign = Campaign(
        slug=SLUG,
        title=TITLE,
        currency="GEL",
        goal_minor=6_000_000,
        summary=SUMMARY,
        story=STORY,
        starts_at=now - timedelta(days=12),
        ends_at=now + timedelta(days=48),
        is_published=True,
    )
    hero = render_hero(SLUG, HERO["scene"], time_of_day=HERO["time_of_day"])
    campaign.hero_image.save(f"{SLUG}.jpg", ContentFile(hero.jpeg), save=False)
    campaign.hero_alt = hero.alt
    campaign.save()
    CampaignCurrency.objects.bulk_create(
        [
            CampaignCurrency(
                campaign=campaign,
                currency="GEL",
                preset_amounts_minor=[2000, 5000, 10000],
                min_amount_minor=500,
                max_amount_minor=500_000,
                position=0,
            ),
            CampaignCurrency(
                campaign=campaign,
                currency="USD",
                preset_amounts_minor=[1000, 2500, 5000],
                min_amount_minor=300,
                max_amount_minor=200_000,
                rate_to_goal_ppm=2_700_000,
                position=1,
            ),
            CampaignCurrency(
                campaign=campaign,
                currency="EUR",
                preset_amounts_minor=[1000, 2500, 5000],
                min_amount_minor=300,
                max_amount_minor=200_000,
                rate_to_goal_ppm=2_950_000,
                position=2,
            ),
        ]
    )
    Beneficiary.objects.bulk_create(
        [
            Beneficiary(
                campaign=campaign,
                slug=slug,
                name=name,
                description=description,
                share=share,
                position=index,
                receives_rounding_remainder=remainder,
                url=f"https://example.org/{slug}",
            )
            for index, (slug, name, description, share, remainder) in enumerate(NEWSROOMS)
        ]
    )
    CampaignUpdate.objects.bulk_create(
        [
            CampaignUpdate(campaign=campaign, title=title, body=body, published_at=now - timedelta(days=days_ago))
            for days_ago, title, body in UPDATES
        ]
    )
    Prompt.objects.create(
        **APPEAL,
        placement=Prompt.Placement.END_OF_ARTICLE,
        priority=10,
        campaign=campaign,
        cta_url=reverse("donations:campaign", args=[SLUG]),
        show_to_anonymous=True,
        show_to_free=True,
        show_to_lapsed=True,
        is_active=True,
    )
    return campaign


def fill_fundraiser_translations(catalogues: Mapping[str, CatalogueTranslation]) -> int:
    """Write the demo campaign's texts (the campaign's own, its newsrooms' descriptions, its updates and its appeal)
    in the other languages where they are still empty; returns how many texts were filled. Cheap when nothing is
    missing: a handful of reads and no writes."""
    campaign = Campaign.objects.filter(slug=SLUG).first()
    if campaign is None:
        return 0
    hero_alt = describe_hero(SLUG, HERO["scene"], time_of_day=HERO["time_of_day"])
    filled = fill_empty_translations(
        campaign,
        dict(zip(CAMPAIGN_FIELDS, (TITLE, SUMMARY, STORY, hero_alt), strict=True)),
        {language: dict(zip(CAMPAIGN_FIELDS, texts.campaign, strict=True)) for language, texts in catalogues.items()},
    )
    descriptions = {slug: description for slug, _name, description, _share, _remainder in NEWSROOMS}
    for newsroom in campaign.beneficiaries.filter(slug__in=descriptions):
        filled += fill_empty_translations(
            newsroom,
            {"description": descriptions[newsroom.slug]},
            {language: {"description": texts.newsrooms[newsroom.slug]} for language, texts in catalogues.items()},
        )
    bodies = {title: body for _days_ago, title, body in UPDATES}
    english_title = f"title_{SOURCE_LANGUAGE}"  # the update's English title, whichever language is active
    for update in campaign.updates.filter(**{f"{english_title}__in": bodies}):
        title = getattr(update, english_title)
        filled += fill_empty_translations(
            update,
            {"title": title, "body": bodies[title]},
            {
                language: dict(zip(UPDATE_FIELDS, texts.updates[title], strict=True))
                for language, texts in catalogues.items()
            },
        )
    for appeal in Prompt.objects.filter(campaign=campaign, name=APPEAL["name"]):
        filled += fill_empty_translations(
            appeal,
            {field: APPEAL[field] for field in PROMPT_FIELDS},
            {
                language: dict(zip(PROMPT_FIELDS, texts.prompts[APPEAL["name"]], strict=True))
                for language, texts in catalogues.items()
            },
        )
    return len(filled)


def _give_demo_gifts(campaign: Campaign) -> int:
    sandbox = get_provider("sandbox")
    assert isinstance(sandbox, SandboxProvider)
    for email, name, display_name, amount, currency, on_wall, anonymous, message in GIFTS:
        _, redirect = services.start_donation_checkout(
            request=services.DonationRequest(
                campaign=campaign,
                email=email,
                currency=currency,
                gift_minor=amount,
                name=name,
                display_name=display_name,
                show_on_wall=on_wall,
                anonymous=anonymous,
                message=message,
            ),
            success_url=f"{settings.SITE_URL}/fundraisers/thanks/{{reference}}/",
            cancel_url=f"{settings.SITE_URL}/fundraisers/{SLUG}/",
        )
        sandbox.complete_checkout(redirect.session_id)
    return len(GIFTS)
