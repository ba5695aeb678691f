"""Tiers with prices in three currencies, as staff would set them up."""

from __future__ import annotations

import pytest

from members.models import TierPrice
from tests.factories import TierFactory

PRICES = {  # tier slug -> (monthly, yearly) in minor units, per currency
    "supporter": {"GEL": (1500, 15000), "USD": (600, 6000), "EUR": (500, 5000)},
    "insider": {"GEL": (3000, 30000), "USD": (1200, 12000), "EUR": (1000, 10000)},
}


@pytest.fixture
def priced_tiers(db):
    tiers = {
        "supporter": TierFactory(name="Supporter", slug="supporter", position=1, benefits="Every story, no limits\nThe weekly letter"),
        "insider": TierFactory(name="Insider", slug="insider", position=2, benefits="Everything in Supporter\nBriefings with editors"),
    }
    for slug, by_currency in PRICES.items():
        for currency, (monthly, yearly) in by_currency.items():
            TierPrice.objects.create(tier=tiers[slug], interval="month", currency=currency, amount_minor=monthly)
            TierPrice.objects.create(tier=tiers[slug], interval="year", currency=currency, amount_minor=yearly)
    return tiers
