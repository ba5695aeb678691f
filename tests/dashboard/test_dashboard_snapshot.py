"""Where the trigger-kept month totals cannot be used (not PostgreSQL, or built for another time zone), the gifts'
older months come from a cached snapshot only while it reconciles exactly with the campaign counters
(donations.stats._closed_months): every change to an older month must show, and a cache outage only costs time.
These tests take that path on purpose (tests/dashboard/test_dashboard_month_totals.py covers the totals)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.core.cache import cache
from django.db.models import Count, F, Q, Sum

from donations.models import CampaignTotal, Donation
from donations.stats import GiftTotals, gifts_by_campaign
from tests.dashboard.test_dashboard_numbers import KNOWN, NOW, TBILISI, gift


@pytest.fixture(autouse=True)
def _no_snapshot_from_another_test(monkeypatch):
    cache.clear()
    monkeypatch.setattr("donations.stats._kept_months", lambda now: None)


def counters_as_the_pipeline_keeps_them() -> None:
    """CampaignTotal as donations.services keeps it with each gift and refund: net raised, gifts not fully refunded."""
    CampaignTotal.objects.all().delete()
    for row in (
        Donation.objects.values("campaign_id", "currency")
        .annotate(
            raised=Sum(F("amount_minor") - F("amount_refunded_minor")),
            kept=Count("id", filter=Q(amount_refunded_minor__lt=F("amount_minor"))),
        )
        .order_by()
    ):
        CampaignTotal.objects.create(
            campaign_id=row["campaign_id"],
            currency=row["currency"],
            raised_minor=row["raised"],
            donations=row["kept"],
            net_minor=0,
        )


def figures(report) -> dict:
    return {
        (r.title, r.currency): (
            {
                m.month: (m.totals.gross_minor, m.totals.refunded_minor, m.totals.gifts)
                for m in r.months
                if m.totals.gifts
            },
            (r.all_time.gross_minor, r.all_time.refunded_minor, r.all_time.gifts),
        )
        for r in report
    }


def test_older_months_are_reused_only_while_they_reconcile_with_the_campaign_counters(
    known_data, django_assert_num_queries
):
    Donation.objects.filter(donated_at__gt=NOW).delete()  # a gift dated in the future would always force a fresh count
    counters_as_the_pipeline_keeps_them()
    expected = figures(gifts_by_campaign(now=NOW))
    assert expected == {
        key: ({m: t for m, t in months.items()}, all_time) for key, (months, all_time) in KNOWN["gifts"].items()
    }
    with django_assert_num_queries(4):  # the older months come from the snapshot
        assert figures(gifts_by_campaign(now=NOW)) == expected

    # A new gift this month: read live, the snapshot still holds.
    safety = known_data["safety"]
    gift(safety, amount_minor=700, currency="GEL", at=NOW - timedelta(hours=1))
    counters_as_the_pipeline_keeps_them()
    with django_assert_num_queries(4):
        june = figures(gifts_by_campaign(now=NOW))[("Safety fund", "GEL")][0][date(2026, 6, 1)]
    assert june == (3700, 1000, 2)

    # A refund of a January gift: the counters disagree with the snapshot, the older months are read again.
    january = Donation.objects.get(campaign=safety, amount_minor=2500)
    Donation.objects.filter(pk=january.pk).update(amount_refunded_minor=500)
    counters_as_the_pipeline_keeps_them()
    with django_assert_num_queries(5):
        safety_gel = figures(gifts_by_campaign(now=NOW))[("Safety fund", "GEL")]
    assert safety_gel[0][date(2026, 1, 1)] == (2500, 500, 1) and safety_gel[1] == (21200, 11500, 5)


def test_a_full_refund_and_a_late_gift_of_the_same_amount_in_older_months_are_both_seen(known_data):
    """Net and gifts-not-refunded per campaign stay the same (+5000 -5000, +1 -1); the number of rows does not."""
    Donation.objects.filter(donated_at__gt=NOW).delete()
    counters_as_the_pipeline_keeps_them()
    gifts_by_campaign(now=NOW)
    safety = known_data["safety"]
    february = Donation.objects.get(campaign=safety, amount_minor=5000)
    Donation.objects.filter(pk=february.pk).update(amount_refunded_minor=5000, status=Donation.Status.REFUNDED)
    gift(
        safety, amount_minor=5000, currency="GEL", at=datetime(2026, 3, 10, 12, 0, tzinfo=TBILISI)
    )  # arrives late, dated March
    counters_as_the_pipeline_keeps_them()
    months, all_time = figures(gifts_by_campaign(now=NOW))[("Safety fund", "GEL")]
    assert months[date(2026, 2, 1)] == (15000, 15000, 2) and months[date(2026, 3, 1)] == (5000, 0, 1)
    assert all_time == (25500, 16000, 5)


def test_a_new_month_starts_a_new_snapshot(known_data, django_assert_num_queries):
    Donation.objects.filter(donated_at__gt=NOW).delete()
    counters_as_the_pipeline_keeps_them()
    gifts_by_campaign(now=NOW)
    next_month = datetime(2026, 7, 1, 0, 30, tzinfo=TBILISI)
    with django_assert_num_queries(5):
        report = gifts_by_campaign(now=next_month)
    safety_gel = next(r for r in report if (r.title, r.currency) == ("Safety fund", "GEL"))
    assert [m.month for m in safety_gel.months][-1] == date(2026, 7, 1)
    assert safety_gel.months[-2].totals == GiftTotals(3000, 1000, 1)  # June, now an older month


def test_with_the_cache_down_the_figures_are_read_from_the_gifts(known_data, monkeypatch):
    class CacheDown:
        def get(self, *args, **kwargs):
            raise ConnectionError("redis is down")

        set = get

    monkeypatch.setattr("donations.stats.cache", CacheDown())
    assert figures(gifts_by_campaign(now=NOW)) == {
        key: (months, all_time) for key, (months, all_time) in KNOWN["gifts"].items()
    }
