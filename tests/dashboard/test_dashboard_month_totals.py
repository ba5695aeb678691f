"""The gifts' month totals PostgreSQL keeps with triggers (donations/migrations/0011) are what the dashboard reads:
after every kind of write to the gifts (a new gift, a refund, a changed date or campaign, a bulk insert, raw SQL, a
delete) they give exactly the figures a scan of the gifts gives, and a gift dated after `now` is left out."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import override_settings

from donations import stats
from donations.models import Donation
from donations.stats import gifts_by_campaign
from tests.dashboard.test_dashboard_numbers import KNOWN, NOW, TBILISI, gift, make_campaign
from tests.dashboard.test_dashboard_snapshot import figures

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the month totals are PostgreSQL's")


def scanned(now: datetime) -> dict:
    """The figures read from the gifts themselves (the path without the month totals, no snapshot)."""
    cache.clear()
    kept = stats._kept_months
    stats._kept_months = lambda now: None  # type: ignore[assignment]
    try:
        return figures(gifts_by_campaign(now=now))
    finally:
        stats._kept_months = kept  # type: ignore[assignment]


def from_totals(now: datetime) -> dict:
    assert stats._kept_months(now=now) is not None, "the month totals were not used"
    return figures(gifts_by_campaign(now=now))


def test_the_totals_give_the_known_figures(known_data):
    Donation.objects.filter(donated_at__gt=NOW).delete()
    assert from_totals(NOW) == {key: (months, all_time) for key, (months, all_time) in KNOWN["gifts"].items()}


def test_every_kind_of_write_to_the_gifts_shows_at_once(known_data):
    safety = known_data["safety"]
    later = make_campaign("later", "Later fund", starts=NOW - timedelta(days=10))

    new = gift(safety, amount_minor=700, currency="GEL", at=NOW - timedelta(hours=1))  # a new gift this month
    assert from_totals(NOW) == scanned(NOW)

    old = Donation.objects.filter(campaign=safety, donated_at__lt=NOW - timedelta(days=60)).first()
    Donation.objects.filter(pk=old.pk).update(amount_refunded_minor=old.amount_minor, status="refunded")  # refund
    assert from_totals(NOW) == scanned(NOW)

    Donation.objects.filter(pk=new.pk).update(donated_at=NOW - timedelta(days=95), campaign=later)  # moved
    assert from_totals(NOW) == scanned(NOW)

    payments = [gift(safety, amount_minor=1, currency="USD", at=NOW).payment for _ in range(3)]
    Donation.objects.filter(payment__in=payments).delete()
    Donation.objects.bulk_create(  # one INSERT of several rows, months apart, one of them refunded in full
        [
            Donation(
                campaign=later,
                payment=payment,
                currency="EUR",
                amount_minor=1000 * (i + 1),
                net_minor=1000 * (i + 1),
                amount_refunded_minor=1000 if i == 0 else 0,
                donated_at=NOW - timedelta(days=40 * i),
            )
            for i, payment in enumerate(payments)
        ]
    )
    assert from_totals(NOW) == scanned(NOW)

    with connection.cursor() as cursor:  # raw SQL, past every service
        cursor.execute(
            "UPDATE donations_donation SET amount_minor = amount_minor + 5, amount_refunded_minor = 0 "
            "WHERE campaign_id = %s",
            [later.pk],
        )
    assert from_totals(NOW) == scanned(NOW)

    Donation.objects.filter(campaign=later).delete()
    assert from_totals(NOW) == scanned(NOW)


def test_a_gift_dated_after_now_is_left_out_until_its_time(known_data):
    safety = known_data["safety"]
    gift(safety, amount_minor=900, currency="GEL", at=NOW + timedelta(minutes=30))
    assert from_totals(NOW) == scanned(NOW)
    assert from_totals(NOW + timedelta(hours=1)) == scanned(NOW + timedelta(hours=1))
    assert from_totals(NOW) != from_totals(NOW + timedelta(hours=1))


def test_a_month_boundary_is_the_site_time_zone(known_data):
    safety = known_data["safety"]
    # 23:30 on 31 May in Tbilisi is 19:30 UTC the same day, but 00:30 on 1 June is 20:30 UTC on 31 May.
    gift(safety, amount_minor=300, currency="GEL", at=datetime(2026, 5, 31, 23, 30, tzinfo=TBILISI))
    gift(safety, amount_minor=400, currency="GEL", at=datetime(2026, 6, 1, 0, 30, tzinfo=TBILISI))
    assert from_totals(NOW) == scanned(NOW)


def test_totals_of_another_time_zone_are_not_used(known_data):
    with override_settings(TIME_ZONE="America/New_York"):
        assert stats._kept_months(now=NOW) is None
        assert figures(gifts_by_campaign(now=NOW)) == scanned(NOW)


def test_rebuilt_for_a_new_time_zone_they_are_used_and_right(known_data):
    with override_settings(TIME_ZONE="America/New_York"):
        stats.rebuild_month_totals()
        assert from_totals(NOW) == scanned(NOW)
    assert stats._kept_months(now=NOW) is None  # built for New York now: Tbilisi reads the gifts
    stats.rebuild_month_totals()
    assert from_totals(NOW) == scanned(NOW)
