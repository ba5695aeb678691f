"""Fundraising figures for the revenue dashboard: gifts per campaign and currency by month and all time, and the
monthly gifts that will be charged again.

Amounts are integer minor units per currency; currencies are never added together."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Count, DateField, Sum
from django.db.models.functions import TruncMonth

from donations.models import Campaign, Donation, RecurringDonation
from outlet.months import recent_months, site_zone


@dataclass(frozen=True)
class GiftTotals:
    """What a set of gifts brought in.

    gross: what donors were charged (gift plus any fee they chose to cover); refunded: what went back to them;
    net: gross less refunds (the provider's processing fees are not deducted here: the payout report has them);
    gifts: how many payments, refunded ones included."""

    gross_minor: int = 0
    refunded_minor: int = 0
    gifts: int = 0

    @property
    def net_minor(self) -> int:
        return self.gross_minor - self.refunded_minor

    def __add__(self, other: GiftTotals) -> GiftTotals:
        return GiftTotals(self.gross_minor + other.gross_minor, self.refunded_minor + other.refunded_minor, self.gifts + other.gifts)


@dataclass(frozen=True)
class MonthGifts:
    month: date  # first day, site time zone
    totals: GiftTotals


@dataclass(frozen=True)
class CampaignGifts:
    """One campaign in one currency."""

    campaign_id: int
    title: str
    currency: str
    months: list[MonthGifts]
    all_time: GiftTotals

    @property
    def recent(self) -> GiftTotals:
        """The months shown (the last twelve by default) added up."""
        total = GiftTotals()
        for month in self.months:
            total += month.totals
        return total


@dataclass
class _Buckets:
    by_month: dict[date, GiftTotals] = field(default_factory=dict)
    earlier: GiftTotals = field(default_factory=GiftTotals)


def gifts_by_campaign(*, now: datetime, months: int = 12) -> list[CampaignGifts]:
    """Gifts per campaign and currency: each of the last `months` calendar months (site time zone, current month
    included, months without gifts as zeros) and all time. Two queries: the gifts grouped by campaign, currency and
    month (all months: the older ones are added up here into all time, a few hundred rows at most), and the
    campaigns' titles.

    A refund counts against the month of the gift it refunds (the gift row holds the refunded total, not when),
    so a month's net is what that month's gifts finally brought in. Gifts dated after `now` are left out."""
    window = recent_months(now=now, count=months)
    rows = (
        Donation.objects.filter(donated_at__lte=now)
        .annotate(month=TruncMonth("donated_at", output_field=DateField(), tzinfo=site_zone()))
        .values("campaign_id", "currency", "month")
        .annotate(gross=Sum("amount_minor"), refunded=Sum("amount_refunded_minor"), gifts=Count("id")).order_by()
    )
    buckets: dict[tuple[int, str], _Buckets] = defaultdict(_Buckets)
    for row in rows:
        totals = GiftTotals(row["gross"], row["refunded"], row["gifts"])
        bucket = buckets[(row["campaign_id"], row["currency"])]
        if row["month"] < window[0]:
            bucket.earlier += totals
        else:
            bucket.by_month[row["month"]] = totals
    if not buckets:
        return []
    campaigns = Campaign.objects.filter(pk__in={campaign_id for campaign_id, _ in buckets}).order_by("-starts_at", "pk").values("id", "title")
    report = []
    for campaign in campaigns:
        for (campaign_id, currency), bucket in sorted(buckets.items(), key=lambda item: item[0][1]):
            if campaign_id == campaign["id"]:
                report.append(_campaign_gifts(campaign_id=campaign_id, title=campaign["title"], currency=currency, bucket=bucket, window=window))
    return report


def _campaign_gifts(*, campaign_id: int, title: str, currency: str, bucket: _Buckets, window: list[date]) -> CampaignGifts:
    month_rows = [MonthGifts(month, bucket.by_month.get(month, GiftTotals())) for month in window]
    all_time = bucket.earlier
    for month in month_rows:
        all_time += month.totals
    return CampaignGifts(campaign_id=campaign_id, title=title, currency=currency, months=month_rows, all_time=all_time)


# --- Monthly gifts ------------------------------------------------------------------------------------------

# Like memberships: a monthly gift is recurring revenue while the provider will charge it again (active, or past
# due while it retries the card), and not once the donor has asked it to stop at the period end.
RENEWING_STATUSES = (RecurringDonation.Status.ACTIVE, RecurringDonation.Status.PAST_DUE)


@dataclass(frozen=True)
class RecurringGifts:
    currency: str
    monthly_minor: int  # charged each month, including any fee the donors chose to cover
    donors: int


def recurring_gift_revenue() -> list[RecurringGifts]:
    """Monthly gifts that will be charged again, per currency (one query)."""
    rows = (
        RecurringDonation.objects.filter(status__in=RENEWING_STATUSES, cancel_at_period_end=False)
        .values("currency").annotate(total=Sum("amount_minor"), donors=Count("id")).order_by("currency")
    )
    return [RecurringGifts(currency=row["currency"], monthly_minor=row["total"], donors=row["donors"]) for row in rows]
