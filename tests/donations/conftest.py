"""A collective fundraiser as staff would set it up, and a donor's way through the sandbox provider."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from donations import services
from donations.models import Beneficiary, Campaign, CampaignCurrency
from outlet.payments.providers import get_provider


@pytest.fixture
def campaign(db):
    return make_campaign()


def make_campaign(*, slug: str = "safety-fund", goal_minor: int = 5_000_000, currency: str = "GEL") -> Campaign:
    campaign = Campaign.objects.create(
        slug=slug,
        title="Keep reporters safe",
        summary="Safety kit, legal help and secure tools for three small newsrooms.",
        story="<p>Three newsrooms, one appeal.</p>",
        goal_minor=goal_minor,
        currency=currency,
        starts_at=timezone.now() - timedelta(days=1),
        is_published=True,
    )
    CampaignCurrency.objects.create(
        campaign=campaign,
        currency="GEL",
        preset_amounts_minor=[2000, 5000, 10000],
        min_amount_minor=500,
        max_amount_minor=500_000,
        position=0,
    )
    CampaignCurrency.objects.create(
        campaign=campaign,
        currency="USD",
        preset_amounts_minor=[1000, 2500, 5000],
        min_amount_minor=200,
        max_amount_minor=200_000,
        rate_to_goal_ppm=2_700_000,
        position=1,
    )
    Beneficiary.objects.create(
        campaign=campaign,
        name="Mountain Voice",
        slug="mountain-voice",
        share=50,
        receives_rounding_remainder=True,
        position=0,
        url="https://example.org/mv",
    )
    Beneficiary.objects.create(campaign=campaign, name="Valley Dispatch", slug="valley-dispatch", share=30, position=1)
    Beneficiary.objects.create(campaign=campaign, name="Border Radio", slug="border-radio", share=20, position=2)
    return campaign


def give(
    campaign: Campaign,
    *,
    email: str = "donor@example.org",
    gift_minor: int = 5000,
    currency: str = "GEL",
    interval: str = "once",
    cover_fee: bool = False,
    user_id: int | None = None,
    **choices,
) -> dict:
    """Start a gift through the service and pay on the sandbox's hosted page, as a donor would.

    The sandbox emits the provider's events through the real intake; with eager Celery they are processed at
    commit. Returns the sandbox checkout data (with the payment id under "payment")."""
    checkout, redirect = services.start_donation_checkout(
        request=services.DonationRequest(
            campaign=campaign,
            email=email,
            currency=currency,
            gift_minor=gift_minor,
            interval=interval,
            cover_fee=cover_fee,
            user_id=user_id,
            **choices,
        ),
        success_url="http://testserver/donate/thanks/{reference}/",
        cancel_url="http://testserver/donate/",
    )
    return get_provider("sandbox").complete_checkout(redirect.session_id)
