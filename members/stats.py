"""Membership figures for the revenue dashboard: recurring revenue, who has access now, and how many joined,
cancelled and lapsed each month.

Each function is one grouped query (or two), so the dashboard costs the same with 100 members or 100,000. At
100,000 members those scans still cost 20-80 ms each, so on PostgreSQL their results are kept in the cache under
the members' figures version (figures_version(): moved by a trigger, in the same transaction, by every change to a
membership or the timeline, however it is written) and reused until it moves; a copy in KeptFigure serves when
the cache has lost them. The time-dependent parts are brought
up to `now` exactly: members whose access ran out since are subtracted, and timeline rows dated after the cached
moment are added (each a range on an index)."""

from __future__ import annotations

import logging
import pickle
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, DateField, Q, Sum
from django.db.models.functions import TruncMonth

from members.models import KeptFigure, MemberEvent, Membership, Tier, TierPrice
from outlet.common.months import month_starts_at, recent_months, site_zone
from outlet.common.release import code_fingerprint

logger = logging.getLogger(__name__)

# --- Monthly recurring revenue ------------------------------------------------------------------------------

# "Renewing" means the provider will try to charge again: active, or past due while it retries the card. A member
# who asked to end at the period end (status "cancelled") still has access but will not pay again, so they are not
# recurring revenue; neither are comps (they pay nothing) nor lapsed members.
RENEWING_STATUSES = (Membership.Status.ACTIVE, Membership.Status.PAST_DUE)


@dataclass(frozen=True)
class MembershipRecurringRevenue:
    """One currency's monthly recurring revenue from memberships, in minor units."""

    currency: str
    monthly_plans_minor: int  # sum of what monthly members pay each month
    yearly_plans_minor: int  # sum of what yearly members pay each year (before dividing by 12)
    monthly_members: int
    yearly_members: int

    @property
    def monthly_minor(self) -> int:
        """Monthly plans plus yearly plans spread over twelve months.

        The yearly amounts are summed first and divided by 12 once, rounding half up, so the figure does not
        drift by a minor unit per member: 3 yearly members at 100.00 add 25.00, not 3 x 8.33 = 24.99."""
        return self.monthly_plans_minor + (self.yearly_plans_minor + 6) // 12

    @property
    def members(self) -> int:
        return self.monthly_members + self.yearly_members


def renewing_memberships():
    return Membership.objects.filter(
        source=Membership.Source.PAID, status__in=RENEWING_STATUSES, cancel_at_period_end=False
    )


def membership_recurring_revenue() -> tuple[list[MembershipRecurringRevenue], int]:
    """membership_recurring_revenue_now(), from the cache while no membership changed since it was computed."""
    return _once_per_version("recurring-revenue", membership_recurring_revenue_now)


def membership_recurring_revenue_now() -> tuple[list[MembershipRecurringRevenue], int]:
    """Monthly recurring revenue per currency (one query), and how many renewing members could not be counted
    because the provider has not told us their plan yet (billing interval, amount or currency missing: e.g. a
    member imported from Ghost awaiting the provider check). Those are shown on the dashboard, never guessed."""
    rows = (
        renewing_memberships()
        .values("currency", "interval")
        .annotate(total=Sum("amount_minor"), members=Count("id"), priced=Count("amount_minor"))
    )
    sums: dict[str, dict[str, tuple[int, int]]] = defaultdict(dict)
    plan_unknown = 0
    for row in rows:
        if row["interval"] not in TierPrice.Interval.values or not row["currency"] or not row["priced"]:
            plan_unknown += row["members"]
            continue
        plan_unknown += row["members"] - row["priced"]  # an amount missing in an otherwise known plan
        sums[row["currency"]][row["interval"]] = (row["total"], row["priced"])
    revenue = []
    for currency in sorted(sums):
        monthly_total, monthly_members = sums[currency].get(TierPrice.Interval.MONTH, (0, 0))
        yearly_total, yearly_members = sums[currency].get(TierPrice.Interval.YEAR, (0, 0))
        revenue.append(
            MembershipRecurringRevenue(
                currency=currency,
                monthly_plans_minor=monthly_total,
                yearly_plans_minor=yearly_total,
                monthly_members=monthly_members,
                yearly_members=yearly_members,
            )
        )
    return revenue, plan_unknown


# --- Members with access now --------------------------------------------------------------------------------


def has_access_q(*, now: datetime) -> Q:
    """members.services.membership_grants_access as a query filter, so a count needs no row-by-row Python.

    Same rule: never when lapsed; a past-due member until the grace period ends; a paying active member until
    the period end plus the renewal leeway; anyone else (cancelled-at-period-end, comp) until the period end; no
    end date means open-ended. tests/dashboard/test_dashboard_numbers.py checks both agree on every combination."""
    leeway = timedelta(hours=settings.MEMBERSHIP_RENEWAL_LEEWAY_HOURS)
    in_grace = Q(status=Membership.Status.PAST_DUE, grace_until__isnull=False)
    paying_active = Q(source=Membership.Source.PAID, status=Membership.Status.ACTIVE)
    until_period_end = (
        Q(current_period_end__isnull=True)
        | (paying_active & Q(current_period_end__gt=now - leeway))
        | (~paying_active & Q(current_period_end__gt=now))
    )
    return ~Q(status=Membership.Status.LAPSED) & ((in_grace & Q(grace_until__gt=now)) | (~in_grace & until_period_end))


@dataclass(frozen=True)
class TierMembers:
    tier_id: int
    name: str
    paid: int
    comp: int

    @property
    def total(self) -> int:
        return self.paid + self.comp


TierCounts = dict[tuple[int, str], int]  # (tier id, source) -> members with access


def _access_counts(memberships) -> TierCounts:
    return {
        (row["tier_id"], row["source"]): row["n"]
        for row in memberships.values("tier_id", "source").annotate(n=Count("id")).order_by()
    }


def access_counts(*, now: datetime) -> TierCounts:
    """Members with access at `now` per tier and source. From the cache while no membership changed: the counts of
    the moment they were made (`then`), less the members whose access ended between `then` and `now`. Access only
    ever ends as time passes (every condition of has_access_q is "an end date is after now"), and only for a
    membership whose end date, or end date plus the renewal leeway, or grace period end, falls in between: a range
    on each of those indexes. After an hour the counts are made again, so that range stays short."""
    version = figures_version()
    if version is None:
        return _access_counts(Membership.objects.filter(has_access_q(now=now)))
    name = f"access:{settings.MEMBERSHIP_RENEWAL_LEEWAY_HOURS}"
    cached = _kept(version, name)
    if cached is not None:
        then, counts = cached
        if then <= now <= then + timedelta(hours=1):
            leeway = timedelta(hours=settings.MEMBERSHIP_RENEWAL_LEEWAY_HOURS)
            ended = Membership.objects.filter(
                Q(current_period_end__gt=then - leeway, current_period_end__lte=now - leeway)
                | Q(current_period_end__gt=then, current_period_end__lte=now)
                | Q(grace_until__gt=then, grace_until__lte=now)
            ).filter(has_access_q(now=then) & ~has_access_q(now=now))
            result = dict(counts)
            for group, n in _access_counts(ended).items():
                result[group] -= n
            return result
    counts = _access_counts(Membership.objects.filter(has_access_q(now=now)))
    _keep(version, name, (now, counts))
    return counts


def members_by_tier(*, now: datetime) -> list[TierMembers]:
    """Members with access now, per tier, paying and complimentary apart (the counts, then the tiers).

    Every tier that is on offer or has members is listed, in the membership page's order."""
    counts: dict[int, dict[str, int]] = defaultdict(lambda: {Membership.Source.PAID: 0, Membership.Source.COMP: 0})
    for (tier_id, source), n in access_counts(now=now).items():
        counts[tier_id][source] += n
    tiers = (
        Tier.objects.filter(Q(is_active=True) | Q(pk__in=list(counts)))
        .order_by("position", "name")
        .values("id", "name")
    )
    return [
        TierMembers(
            tier_id=t["id"],
            name=t["name"],
            paid=counts[t["id"]][Membership.Source.PAID],
            comp=counts[t["id"]][Membership.Source.COMP],
        )
        for t in tiers
    ]


# --- Joined, cancelled and lapsed per month -----------------------------------------------------------------

# Read from the member timeline (MemberEvent), which records each change once, with the moment it happened:
#   new       = JOINED: a paid membership began (a first join, or a rejoin after lapsing). Comps and members
#               imported from another platform are not joins.
#   cancelled = CANCEL_REQUESTED (a member, or staff for them, asked to stop renewing at the period end), plus a
#               LAPSED straight from active that the payment provider reported (a subscription cancelled at once,
#               with no request before it). A later "resume" does not take a request back.
#   lapsed    = LAPSED: a paid membership ended (the period ran out after a cancellation, a payment never
#               recovered, a cancellation at once, or paid time ran out with no renewal). The end of a comp
#               (COMP_ENDED) is not counted.
# So a member who cancels in March for the end of April counts as cancelled in March and lapsed in April; one
# cancelled at once counts as both in the same month. Staff requests to the provider are "staff_action" events
# and are not counted: the provider's own event that follows is.
MOVEMENT_KINDS = (MemberEvent.Kind.JOINED, MemberEvent.Kind.CANCEL_REQUESTED, MemberEvent.Kind.LAPSED)
CANCELLED_AT_ONCE = Q(kind=MemberEvent.Kind.LAPSED, from_status=Membership.Status.ACTIVE, webhook_event__isnull=False)


@dataclass(frozen=True)
class MonthMovement:
    month: date  # first day of the month, in the site's time zone
    new: int = 0
    cancelled: int = 0
    lapsed: int = 0


def member_movement_by_month(*, now: datetime, months: int = 12) -> list[MonthMovement]:
    """New, cancelled and lapsed per calendar month (site time zone) for the last `months` months, the current one
    included, oldest first; a month without events shows zeros. One query, grouped by kind and month, over the
    (kind, created_at) index."""
    window = recent_months(now=now, count=months)
    counts: dict[date, dict[str, int]] = defaultdict(lambda: {"new": 0, "cancelled": 0, "lapsed": 0})
    for row in _movement_rows(window_start=month_starts_at(window[0]), now=now):
        month = counts[row["month"]]
        if row["kind"] == MemberEvent.Kind.JOINED:
            month["new"] += row["n"]
        elif row["kind"] == MemberEvent.Kind.CANCEL_REQUESTED:
            month["cancelled"] += row["n"]
        else:
            month["lapsed"] += row["n"]
            month["cancelled"] += row["at_once"]
    return [MonthMovement(month=month, **counts[month]) for month in window]


MovementRow = dict  # {"kind", "month", "n", "at_once"}


def _movement_query(**created_at) -> list[MovementRow]:
    return [
        dict(row)
        for row in MemberEvent.objects.filter(kind__in=MOVEMENT_KINDS, **created_at)
        .annotate(month=TruncMonth("created_at", output_field=DateField(), tzinfo=site_zone()))
        .values("kind", "month")
        .annotate(n=Count("id"), at_once=Count("id", filter=CANCELLED_AT_ONCE))
        .order_by()
    ]


def _movement_rows(*, window_start: datetime, now: datetime) -> list[MovementRow]:
    """The grouped timeline rows from `window_start` to `now`. From the cache while the timeline did not change:
    the rows up to the moment they were counted (`then`), plus those dated between `then` and `now` (a timeline
    row dated ahead of its writing shows once its time comes), on the (kind, created_at) index."""
    version = figures_version()
    if version is None:
        return _movement_query(created_at__gte=window_start, created_at__lte=now)
    name = f"movement:{settings.TIME_ZONE}:{window_start.isoformat()}"
    cached = _kept(version, name)
    if cached is not None:
        then, rows = cached
        if then <= now:
            return rows + _movement_query(created_at__gt=then, created_at__lte=now)
    rows = _movement_query(created_at__gte=window_start, created_at__lte=now)
    _keep(version, name, (now, rows))
    return rows


# --- How many memberships and timeline rows there are (the lists' counts) -------------------------------------


def membership_count() -> int:
    """Every membership, counted (an index scan of all 100,000 at the bench: 5-25 ms) once per figures' version."""
    return _once_per_version("count:memberships", Membership.objects.count)


def member_event_count() -> int:
    """Every timeline row (half a million at the bench: 40-70 ms to count), once per figures' version."""
    return _once_per_version("count:member-events", MemberEvent.objects.count)


def _once_per_version(name: str, compute):
    """compute(), made once per figures' version (every membership or timeline write moves it)."""
    version = figures_version()
    if version is None:
        return compute()
    cached = _kept(version, name)
    if cached is None:
        cached = compute()
        _keep(version, name, cached)
    return cached


# --- The figures' version -----------------------------------------------------------------------------------

CACHE_SECONDS = 24 * 3600


def figures_version() -> str | None:
    """The counters members/migrations/0010 keeps, as one text: it changes in the same transaction as any change to
    a membership or the timeline and never comes back to an earlier value. Read before the figures, so figures
    cached under it are never older than it. None where there are no such counters (not PostgreSQL): then nothing
    is cached."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT md5(string_agg(version::text, ',' ORDER BY shard)) FROM members_figures_version")
        row = cursor.fetchone()
    return row[0] if row else None


def _kept(version: str, name: str):
    """The figure made under this version: from the cache, else from its row in KeptFigure (put back in the cache),
    else None. The cache only saves time: unreachable, it is a miss (outlet.common.redis_cache). Measured at
    100,000 members: the revenue dashboard's first request after a cache flush took 122 ms against 54 ms with the
    figures cached, every figure made again from the memberships."""
    key = f"members-figures:{version}:{name}"
    value = cache.get(key)
    if value is None:
        value = _kept_row(version, name)
        if value is not None:
            cache.set(key, value, CACHE_SECONDS)
    return value


def _keep(version: str, name: str, value) -> None:
    cache.set(f"members-figures:{version}:{name}", value, CACHE_SECONDS)
    KeptFigure.objects.bulk_create(
        [KeptFigure(name=name, version=_row_version(version), value=pickle.dumps(value, pickle.HIGHEST_PROTOCOL))],
        update_conflicts=True,
        unique_fields=["name"],
        update_fields=["version", "value", "made_at"],
    )


def _row_version(version: str) -> str:
    # A release that changed these figures' classes never reads the previous one's pickles.
    return f"{version}:{code_fingerprint()}"


def _kept_row(version: str, name: str):
    row = KeptFigure.objects.filter(name=name, version=_row_version(version)).values_list("value", flat=True).first()
    if row is None:
        return None
    try:
        return pickle.loads(bytes(row))  # written only by _keep, in our own database
    except Exception:  # noqa: BLE001 - a row that cannot be read is a figure to make again, never a failed page
        logger.warning("members' figures: kept %s could not be read, making it again", name, exc_info=True)
        return None
