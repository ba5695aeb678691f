"""Fundraising figures for the revenue dashboard: gifts per campaign and currency by month and all time, and the
monthly gifts that will be charged again.

Amounts are integer minor units per currency; currencies are never added together."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, DateField, F, Q, Sum
from django.db.models.functions import TruncMonth

from donations.models import Campaign, CampaignTotal, Donation, RecurringDonation
from outlet.common.months import month_starts_at, recent_months, site_zone

logger = logging.getLogger(__name__)


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
        return GiftTotals(
            self.gross_minor + other.gross_minor, self.refunded_minor + other.refunded_minor, self.gifts + other.gifts
        )


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


# Per campaign and currency, per month: (gross, refunded, gifts, gifts not fully refunded).
Tally = tuple[int, int, int, int]
MonthRows = dict[tuple[int, str], dict[date, Tally]]

SNAPSHOT_SECONDS = 7 * 24 * 3600


def gifts_by_campaign(*, now: datetime, months: int = 12) -> list[CampaignGifts]:
    """Gifts per campaign and currency: each of the last `months` calendar months (site time zone, current month
    included, months without gifts as zeros) and all time. Gifts dated after `now` are left out.

    A refund counts against the month of the gift it refunds (the gift row holds the refunded total, not when),
    so a month's net is what that month's gifts finally brought in.

    On PostgreSQL every month comes from donations_month_total, which triggers keep in the same transaction as
    each change to a gift (donations/migrations/0011), less any gift dated after `now` (_kept_months). Elsewhere,
    or while those totals are of another time zone, the current month is read from the gifts (one grouped query
    over the donated_at index) and the months before it come from a cached snapshot, used only while it still
    reconciles exactly with the campaign counters (see _closed_months), else from one grouped scan of the older
    gifts. Either way the figures are the rows'."""
    window = recent_months(now=now, count=months)
    current = window[-1]
    kept = _kept_months(now=now)
    if kept is not None:
        live: MonthRows = {}
        closed = kept
    else:
        live = _monthly_rows(Donation.objects.filter(donated_at__gte=month_starts_at(current), donated_at__lte=now))
        closed = _closed_months(current=current, live=live)
    keys = set(live) | set(closed)
    if not keys:
        return []
    campaigns = (
        Campaign.objects.filter(pk__in={campaign_id for campaign_id, _ in keys})
        .order_by("-starts_at", "pk")
        .values("id", "title")
    )
    report = []
    for campaign in campaigns:
        for key in sorted((k for k in keys if k[0] == campaign["id"]), key=lambda k: k[1]):
            by_month = closed.get(key, {}) | live.get(key, {})
            report.append(
                _campaign_gifts(
                    campaign_id=campaign["id"],
                    title=campaign["title"],
                    currency=key[1],
                    by_month=by_month,
                    window=window,
                )
            )
    return report


def _campaign_gifts(
    *, campaign_id: int, title: str, currency: str, by_month: dict[date, Tally], window: list[date]
) -> CampaignGifts:
    def totals(tally: Tally) -> GiftTotals:
        return GiftTotals(tally[0], tally[1], tally[2])

    month_rows = [MonthGifts(month, totals(by_month[month]) if month in by_month else GiftTotals()) for month in window]
    all_time = GiftTotals()
    for tally in by_month.values():
        all_time += totals(tally)
    return CampaignGifts(campaign_id=campaign_id, title=title, currency=currency, months=month_rows, all_time=all_time)


def _monthly_rows(gifts) -> MonthRows:
    """One grouped query: the gifts per campaign, currency and calendar month (site time zone)."""
    rows = (
        gifts.annotate(month=TruncMonth("donated_at", output_field=DateField(), tzinfo=site_zone()))
        .values("campaign_id", "currency", "month")
        .annotate(
            gross=Sum("amount_minor"),
            refunded=Sum("amount_refunded_minor"),
            gifts=Count("id"),
            kept=Count("id", filter=Q(amount_refunded_minor__lt=F("amount_minor"))),
        )
        .order_by()
    )
    result: MonthRows = defaultdict(dict)
    for row in rows:
        result[(row["campaign_id"], row["currency"])][row["month"]] = (
            row["gross"],
            row["refunded"],
            row["gifts"],
            row["kept"],
        )
    return dict(result)


def _kept_months(*, now: datetime) -> MonthRows | None:
    """Every month's totals as the triggers keep them (a row per campaign, currency and month: a few hundred at
    most), less the gifts dated after `now` (normally none; a range on the donated_at index). None when there are
    no such totals for the site's time zone, and the caller reads the gifts."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.campaign_id, t.currency, t.month, t.gross, t.refunded, t.gifts, t.kept "
            "FROM donations_month_total_zone AS z LEFT JOIN donations_month_total AS t ON t.gifts <> 0 "
            "WHERE z.zone = %s",
            [settings.TIME_ZONE],
        )
        rows = cursor.fetchall()
    if not rows:
        return None  # built for another zone (or not at all): the months would be cut elsewhere
    result: dict[tuple[int, str], dict[date, Tally]] = defaultdict(dict)
    for campaign_id, currency, month, gross, refunded, gifts, kept in rows:
        if campaign_id is not None:
            result[(campaign_id, currency)][month] = (int(gross), int(refunded), int(gifts), int(kept))
    later = Donation.objects.filter(donated_at__gt=now)
    for key, months in _monthly_rows(later).items():
        for month, (gross, refunded, gifts, kept) in months.items():
            before = result[key][month]
            tally = (before[0] - gross, before[1] - refunded, before[2] - gifts, before[3] - kept)
            if tally[2]:
                result[key][month] = tally
            else:
                del result[key][month]
    return {key: months for key, months in result.items() if months}


def rebuild_month_totals() -> None:
    """Make donations_month_total again from the gifts, in the site's time zone (after TIME_ZONE changed: until
    then the dashboard reads the gifts). Gift writers wait while it runs (a few seconds at a million gifts)."""
    from importlib import import_module

    build = import_module("donations.migrations.0011_month_totals").BUILD
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in filter(None, (s.strip() for s in build.split(";"))):
            cursor.execute(statement, {"zone": settings.TIME_ZONE} if "%(zone)s" in statement else None)


def _closed_months(*, current: date, live: MonthRows) -> MonthRows:
    """The months before `current`, per campaign and currency.

    At a million gifts the grouped scan of every gift takes most of a second, while new gifts land in the current
    month. So the older months are kept in the cache and reused only when, together with the current month just
    read, they add up exactly to CampaignTotal (net raised and gifts not fully refunded, per campaign and currency:
    counters kept in the same transaction as every gift and refund) and to the number of gift rows. A refund of an
    older gift changes the net, a late gift dated in an older month changes the row count: either makes the
    snapshot disagree, and it is recomputed from the gifts. Gift rows are never deleted, which is what makes the
    check exact. A new month, or another site time zone, starts a new snapshot."""
    key = f"revenue-dashboard:closed-months:{settings.TIME_ZONE}:{current.isoformat()}"
    counters = {
        (campaign_id, currency): (raised, gifts)
        for campaign_id, currency, raised, gifts in CampaignTotal.objects.values_list(
            "campaign_id", "currency", "raised_minor", "donations"
        )
    }
    rows = Donation.objects.count()
    snapshot = _cached(lambda: cache.get(key))
    if snapshot is not None and _reconciles(closed=snapshot, live=live, counters=counters, rows=rows):
        return snapshot
    closed = _monthly_rows(Donation.objects.filter(donated_at__lt=month_starts_at(current)))
    _cached(lambda: cache.set(key, closed, SNAPSHOT_SECONDS))
    return closed


def _cached(operation):
    """The snapshot only saves time: with the cache down (Redis outage) the figures are read from the gifts."""
    try:
        return operation()
    except Exception:  # noqa: BLE001 - any cache failure means "no snapshot", never a failed page
        logger.warning("revenue dashboard: cache unavailable, reading every gift", exc_info=True)
        return None


def _reconciles(
    *, closed: MonthRows, live: MonthRows, counters: dict[tuple[int, str], tuple[int, int]], rows: int
) -> bool:
    sums: dict[tuple[int, str], tuple[int, int]] = {}
    counted = 0
    for part in (closed, live):
        for key, months in part.items():
            net, kept = sums.get(key, (0, 0))
            for gross, refunded, gifts, kept_gifts in months.values():
                net, kept, counted = net + gross - refunded, kept + kept_gifts, counted + gifts
            sums[key] = (net, kept)

    def nonzero(pairs: dict) -> dict:
        return {key: pair for key, pair in pairs.items() if pair != (0, 0)}

    return counted == rows and nonzero(sums) == nonzero(counters)


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
        .values("currency")
        .annotate(total=Sum("amount_minor"), donors=Count("id"))
        .order_by("currency")
    )
    return [RecurringGifts(currency=row["currency"], monthly_minor=row["total"], donors=row["donors"]) for row in rows]
