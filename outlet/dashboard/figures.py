"""The revenue dashboard's figures: recurring revenue, members, churn and fundraising, each with a chart and the
exact numbers.

The figures come from members.stats and donations.stats (plain functions, grouped queries); this module only puts
them side by side and draws the charts, so the page costs the same number of queries whatever the data (14, or 15
when the gifts' older months have to be read again rather than taken from their checked snapshot).

The members' figures stay in the cache until a membership or the timeline changes; made again, they cost about
100 ms at 100,000 members. keep_figures_fresh() runs in the worker once a minute (beat) and makes again whatever a
change made stale, so staff opening the page seldom wait for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.utils import dateformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from donations.stats import CampaignGifts, RecurringGifts, gifts_by_campaign, recurring_gift_revenue
from members.stats import (
    MembershipRecurringRevenue,
    MonthMovement,
    TierMembers,
    figures_version,
    member_event_count,
    member_movement_by_month,
    members_by_tier,
    membership_count,
    membership_recurring_revenue,
)
from outlet.common.money import format_money
from outlet.common.svg_charts import BarChart, Series

MONTHS = 12


@dataclass(frozen=True)
class CurrencyRecurringRevenue:
    """Monthly recurring revenue in one currency: memberships and monthly gifts apart, and together."""

    currency: str
    memberships: MembershipRecurringRevenue | None
    gifts: RecurringGifts | None

    @property
    def memberships_minor(self) -> int:
        return self.memberships.monthly_minor if self.memberships else 0

    @property
    def gifts_minor(self) -> int:
        return self.gifts.monthly_minor if self.gifts else 0

    @property
    def total_minor(self) -> int:
        return self.memberships_minor + self.gifts_minor


@dataclass(frozen=True)
class CampaignSection:
    gifts: CampaignGifts
    chart: BarChart


@dataclass(frozen=True)
class RevenueDashboard:
    now: datetime
    months: list[date]
    recurring: list[CurrencyRecurringRevenue]
    members_without_plan: int
    tiers: list[TierMembers]
    movement: list[MonthMovement]
    campaigns: list[CampaignSection]
    tiers_chart: BarChart
    movement_chart: BarChart

    @property
    def time_zone(self) -> str:
        return settings.TIME_ZONE

    @property
    def paid_members(self) -> int:
        return sum(t.paid for t in self.tiers)

    @property
    def comp_members(self) -> int:
        return sum(t.comp for t in self.tiers)

    @property
    def movement_totals(self) -> MonthMovement:
        return MonthMovement(
            month=self.months[0],
            new=sum(m.new for m in self.movement),
            cancelled=sum(m.cancelled for m in self.movement),
            lapsed=sum(m.lapsed for m in self.movement),
        )


def month_label(month: date) -> str:
    """ "Jan 2026", with the month's name in the page's language."""
    return dateformat.format(month, "M Y")


def combine_recurring(
    memberships: list[MembershipRecurringRevenue], gifts: list[RecurringGifts]
) -> list[CurrencyRecurringRevenue]:
    by_membership = {m.currency: m for m in memberships}
    by_gift = {g.currency: g for g in gifts}
    return [
        CurrencyRecurringRevenue(currency=c, memberships=by_membership.get(c), gifts=by_gift.get(c))
        for c in sorted(set(by_membership) | set(by_gift))
    ]


def tiers_chart(tiers: list[TierMembers]) -> BarChart:
    figures = "; ".join(
        _("%(tier)s: %(paid)s paying, %(comp)s complimentary") % {"tier": t.name, "paid": t.paid, "comp": t.comp}
        for t in tiers
    )
    return BarChart(
        chart_id="chart-members-by-tier",
        title=_("Members with access now, by tier"),
        # Translators: %(figures)s lists each tier's numbers, e.g. "Insider: 12 paying, 3 complimentary; ..."
        description=_("Stacked bars per tier: paying members and complimentary members. %(figures)s.")
        % {"figures": figures},
        labels=[t.name for t in tiers],
        series=[
            Series(pgettext("members", "Paying"), [t.paid for t in tiers]),
            Series(pgettext("members", "Complimentary"), [t.comp for t in tiers]),
        ],
        x_axis_label=_("Tier"),
        y_axis_label=_("Members"),
        stacked=True,
    )


def movement_chart(movement: list[MonthMovement]) -> BarChart:
    figures = "; ".join(
        _("%(month)s: %(new)s new, %(cancelled)s cancelled, %(lapsed)s lapsed")
        % {"month": month_label(m.month), "new": m.new, "cancelled": m.cancelled, "lapsed": m.lapsed}
        for m in movement
    )
    return BarChart(
        chart_id="chart-member-movement",
        title=ngettext(
            "New, cancelled and lapsed members per month (last %(count)s months)",
            "New, cancelled and lapsed members per month (last %(count)s months)",
            len(movement),
        )
        % {"count": len(movement)},
        description=_(
            # Translators: %(figures)s lists each month's numbers, e.g. "Jan 2026: 4 new, 1 cancelled, 0 lapsed; ..."
            "Grouped bars per month: members who joined, who cancelled, and whose membership ended. %(figures)s."
        )
        % {"figures": figures},
        labels=[month_label(m.month) for m in movement],
        series=[
            Series(pgettext("members", "New"), [m.new for m in movement]),
            Series(pgettext("members", "Cancelled"), [m.cancelled for m in movement]),
            Series(pgettext("members", "Lapsed"), [m.lapsed for m in movement]),
        ],
        x_axis_label=_("Month"),
        y_axis_label=_("Members"),
    )


def campaign_chart(gifts: CampaignGifts) -> BarChart:
    currency = gifts.currency
    figures = "; ".join(
        _("%(month)s: %(net)s net, %(refunded)s refunded")
        % {
            "month": month_label(m.month),
            "net": format_money(m.totals.net_minor, currency),
            "refunded": format_money(m.totals.refunded_minor, currency),
        }
        for m in gifts.months
    )
    return BarChart(
        chart_id=f"chart-campaign-{gifts.campaign_id}-{currency.lower()}",
        title=ngettext(
            "%(campaign)s: gifts in %(currency)s per month (last %(count)s months)",
            "%(campaign)s: gifts in %(currency)s per month (last %(count)s months)",
            len(gifts.months),
        )
        % {"campaign": gifts.title, "currency": currency, "count": len(gifts.months)},
        description=_(
            # Translators: %(figures)s lists each month's amounts, e.g. "Jan 2026: GEL 120 net, GEL 15 refunded; ..."
            "Stacked bars per month: net (kept) and refunded; together they are the gross raised in %(currency)s. "
            "%(figures)s."
        )
        % {"currency": currency, "figures": figures},
        labels=[month_label(m.month) for m in gifts.months],
        series=[
            Series(pgettext("gifts", "Net"), [m.totals.net_minor for m in gifts.months]),
            Series(pgettext("gifts", "Refunded"), [m.totals.refunded_minor for m in gifts.months]),
        ],
        x_axis_label=_("Month"),
        y_axis_label=currency,
        stacked=True,
        format_value=lambda minor: format_money(minor, currency),
    )


def build_revenue_dashboard(*, now: datetime, months: int = MONTHS) -> RevenueDashboard:
    """Every figure on the page, as of `now`."""
    membership_revenue, without_plan = membership_recurring_revenue()
    tiers = members_by_tier(now=now)
    movement = member_movement_by_month(now=now, months=months)
    campaigns = gifts_by_campaign(now=now, months=months)
    return RevenueDashboard(
        now=now,
        months=[m.month for m in movement],
        recurring=combine_recurring(membership_revenue, recurring_gift_revenue()),
        members_without_plan=without_plan,
        tiers=tiers,
        movement=movement,
        campaigns=[CampaignSection(gifts=c, chart=campaign_chart(c)) for c in campaigns],
        tiers_chart=tiers_chart(tiers),
        movement_chart=movement_chart(movement),
    )


def keep_figures_fresh(*, now: datetime) -> bool:
    """Every cached figure the dashboard and the member lists' counts read, made again where a change made it stale
    (where nothing changed, each is a cache read and a small query for what time alone changed). False where
    nothing is cached (not PostgreSQL), so there is nothing to keep fresh."""
    if figures_version() is None:
        return False
    build_revenue_dashboard(now=now)
    membership_count()
    member_event_count()
    return True
