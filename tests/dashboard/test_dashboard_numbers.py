"""The revenue dashboard's figures, reconciled against a small data set whose every number is worked out by hand
below (see KNOWN, and the comments next to each row).

"Now" is 15 June 2026, 12:00 in Tbilisi (the site's time zone, UTC+4), so the twelve months shown are July 2025
to June 2026."""

from __future__ import annotations

import itertools
import pickle
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from donations.models import Campaign, CampaignTotal, Donation, RecurringDonation
from donations.stats import gifts_by_campaign, recurring_gift_revenue
from members import stats as member_stats
from members.models import KeptFigure, MemberEvent, Membership, Tier
from members.services import membership_grants_access
from members.stats import has_access_q, member_movement_by_month, members_by_tier, membership_recurring_revenue
from outlet.common.months import month_starts_at, recent_months
from outlet.payments.models import Payment, WebhookEvent
from tests.factories import UserFactory

TBILISI = ZoneInfo("Asia/Tbilisi")
UTC = ZoneInfo("UTC")
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=TBILISI)
WINDOW = [date(2025, 7, 1)] + [date(2025, m, 1) for m in range(8, 13)] + [date(2026, m, 1) for m in range(1, 7)]

_sequence = itertools.count(1)


@pytest.fixture
def at_now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture(autouse=True)
def _no_snapshot_from_another_test():
    cache.clear()


# --- The hand-computed data set -------------------------------------------------------------------------------


def member(
    tier: Tier,
    *,
    status: str = Membership.Status.ACTIVE,
    source: str = Membership.Source.PAID,
    interval: str = "month",
    currency: str = "GEL",
    amount_minor: int | None = 1500,
    period_end_in_days: int | None = 20,
    grace_in_days: int | None = None,
    cancel_at_period_end: bool = False,
) -> Membership:
    n = next(_sequence)
    user = UserFactory(username=f"dash-member-{n}")
    if source == Membership.Source.COMP:
        interval, currency, amount_minor = "", "", None
    return Membership.objects.create(
        user=user,
        tier=tier,
        status=status,
        source=source,
        interval=interval,
        currency=currency,
        amount_minor=amount_minor,
        current_period_end=None if period_end_in_days is None else NOW + timedelta(days=period_end_in_days),
        grace_until=None if grace_in_days is None else NOW + timedelta(days=grace_in_days),
        cancel_at_period_end=cancel_at_period_end,
        provider="sandbox" if source == Membership.Source.PAID else "",
    )


def event(kind: str, at: datetime, *, from_status: str = "", user=None) -> MemberEvent:
    user = user or UserFactory(username=f"dash-event-{next(_sequence)}")
    return MemberEvent.objects.create(user=user, kind=kind, from_status=from_status, summary=kind, created_at=at)


def gift(campaign: Campaign, *, amount_minor: int, currency: str, at: datetime, refunded_minor: int = 0) -> Donation:
    n = next(_sequence)
    payment = Payment.objects.create(
        provider="sandbox",
        provider_ref=f"dash-{n}",
        purpose=Payment.Purpose.DONATION,
        amount_minor=amount_minor,
        currency=currency,
        amount_refunded_minor=refunded_minor,
        paid_at=at,
    )
    status = Donation.Status.SUCCEEDED
    if refunded_minor:
        status = Donation.Status.REFUNDED if refunded_minor == amount_minor else Donation.Status.PARTIALLY_REFUNDED
    return Donation.objects.create(
        campaign=campaign,
        payment=payment,
        email=f"donor{n}@example.org",
        currency=currency,
        amount_minor=amount_minor,
        net_minor=amount_minor,
        amount_refunded_minor=refunded_minor,
        status=status,
        donated_at=at,
    )


def monthly_gift(
    campaign: Campaign,
    *,
    amount_minor: int,
    currency: str,
    status: str = RecurringDonation.Status.ACTIVE,
    cancel_at_period_end: bool = False,
) -> RecurringDonation:
    return RecurringDonation.objects.create(
        campaign=campaign,
        provider="sandbox",
        subscription_id=f"dash-sub-{next(_sequence)}",
        currency=currency,
        amount_minor=amount_minor,
        status=status,
        cancel_at_period_end=cancel_at_period_end,
    )


def make_campaign(slug: str, title: str, *, starts: datetime) -> Campaign:
    return Campaign.objects.create(
        slug=slug, title=title, goal_minor=1_000_000, currency="GEL", starts_at=starts, is_published=True
    )


def build_known_data() -> dict:
    """The data set. Expected figures are in KNOWN; each row says what it adds."""
    standard = Tier.objects.create(name="Standard", slug="standard", position=0)
    patron = Tier.objects.create(name="Patron", slug="patron", position=1)
    Tier.objects.create(
        name="Retired tier", slug="retired", position=2, is_active=False
    )  # no members, not on offer: not listed

    # Paying members. MRR GEL: monthly 1500 + 1500; yearly 3 x 10000 = 30000 -> 30000 / 12 = 2500 (dividing each
    # member's 10000 first would give 3 x 833 = 2499). MRR USD: monthly 500; yearly 12006 / 12 = 1000.5 -> 1001.
    member(standard, interval="month", amount_minor=1500)  # GEL month; access
    member(
        standard, status=Membership.Status.PAST_DUE, interval="month", amount_minor=1500, grace_in_days=3
    )  # GEL month; in grace: access
    member(standard, interval="year", amount_minor=10000)  # GEL year
    member(standard, interval="year", amount_minor=10000)  # GEL year
    member(patron, interval="year", amount_minor=10000)  # GEL year
    member(patron, interval="year", currency="USD", amount_minor=12006)  # USD year
    member(patron, interval="month", currency="USD", amount_minor=500)  # USD month
    # Asked to end at the period end: access until then (counts in the tier), but not recurring revenue.
    member(standard, status=Membership.Status.CANCELLED, cancel_at_period_end=True, period_end_in_days=10)
    # Lapsed: nothing.
    member(standard, status=Membership.Status.LAPSED, period_end_in_days=-30)
    # Renewing, but the provider has not said monthly or yearly yet: access; left out of MRR and reported.
    member(standard, interval="", amount_minor=1500)
    # Imported from Ghost, provisional until the provider is asked: paid, active, no plan known. Access; reported.
    imported = member(patron, interval="", currency="", amount_minor=None, period_end_in_days=30)
    Membership.objects.filter(pk=imported.pk).update(awaiting_provider_sync=True)
    # Comps: open-ended and dated give access; ended or run out do not. Never recurring revenue.
    member(standard, source=Membership.Source.COMP, period_end_in_days=None)
    member(patron, source=Membership.Source.COMP, period_end_in_days=100)
    member(patron, source=Membership.Source.COMP, status=Membership.Status.LAPSED, period_end_in_days=-5)
    member(patron, source=Membership.Source.COMP, period_end_in_days=-1)  # ran out yesterday, sweep not run yet

    # Timeline. Times in UTC where the month in Tbilisi differs.
    joined, cancel, lapsed = MemberEvent.Kind.JOINED, MemberEvent.Kind.CANCEL_REQUESTED, MemberEvent.Kind.LAPSED
    event(joined, datetime(2025, 6, 30, 12, 0, tzinfo=UTC))  # June 2025: before the window
    event(
        lapsed, datetime(2025, 6, 30, 20, 30, tzinfo=UTC), from_status="past_due"
    )  # 1 July 00:30 in Tbilisi: July 2025
    event(cancel, datetime(2026, 2, 10, 9, 0, tzinfo=TBILISI))  # February
    event(joined, datetime(2026, 3, 31, 19, 0, tzinfo=UTC))  # 31 March 23:00 in Tbilisi: March
    event(joined, datetime(2026, 3, 31, 21, 30, tzinfo=UTC))  # 1 April 01:30 in Tbilisi: April (still March in UTC)
    event(cancel, datetime(2026, 4, 5, 9, 0, tzinfo=TBILISI))  # April
    event(MemberEvent.Kind.RENEWED, datetime(2026, 4, 6, 9, 0, tzinfo=TBILISI))  # not counted
    event(
        lapsed, datetime(2026, 5, 10, 9, 0, tzinfo=TBILISI), from_status="cancelled"
    )  # May: lapsed after a cancellation
    cancel_now = event(
        lapsed, datetime(2026, 5, 20, 9, 0, tzinfo=TBILISI), from_status="active"
    )  # May: cancelled and lapsed
    MemberEvent.objects.filter(pk=cancel_now.pk).update(
        webhook_event=WebhookEvent.objects.create(  # the provider said so
            provider="sandbox",
            event_id="evt_cancel_now",
            type="customer.subscription.deleted",
            created_at_provider=cancel_now.created_at,
            payload={},
        )
    )
    event(
        lapsed, datetime(2026, 5, 25, 9, 0, tzinfo=TBILISI), from_status="active"
    )  # May: paid time ran out (sweep): lapsed only
    event(MemberEvent.Kind.COMP_ENDED, datetime(2026, 5, 21, 9, 0, tzinfo=TBILISI), from_status="active")  # not counted
    event("staff_action", datetime(2026, 5, 19, 9, 0, tzinfo=TBILISI))  # staff asked the provider: not counted
    event(joined, datetime(2026, 6, 1, 0, 10, tzinfo=TBILISI))  # June
    event(joined, datetime(2026, 6, 15, 11, 0, tzinfo=TBILISI))  # June, an hour before now
    event(MemberEvent.Kind.COMPED, datetime(2026, 6, 2, 9, 0, tzinfo=TBILISI))  # not counted

    # Fundraising. "Safety fund" (newer) in GEL and USD, "Court fund" in GEL with a gift before the window.
    safety = make_campaign("safety", "Safety fund", starts=datetime(2025, 9, 1, tzinfo=TBILISI))
    court = make_campaign("court", "Court fund", starts=datetime(2025, 1, 1, tzinfo=TBILISI))
    gift(
        safety, amount_minor=5000, currency="GEL", at=datetime(2026, 1, 31, 20, 30, tzinfo=UTC)
    )  # 1 Feb 00:30 Tbilisi: February
    gift(
        safety, amount_minor=2500, currency="GEL", at=datetime(2026, 1, 31, 19, 0, tzinfo=UTC)
    )  # 31 Jan 23:00 Tbilisi: January
    gift(
        safety,
        amount_minor=10000,
        currency="GEL",
        at=datetime(2026, 2, 14, 12, 0, tzinfo=TBILISI),
        refunded_minor=10000,
    )  # February, refunded
    gift(
        safety, amount_minor=3000, currency="GEL", at=datetime(2026, 6, 10, 12, 0, tzinfo=TBILISI), refunded_minor=1000
    )  # June, partly refunded
    gift(safety, amount_minor=1000, currency="USD", at=datetime(2026, 3, 3, 12, 0, tzinfo=TBILISI))  # March
    gift(
        safety, amount_minor=1500, currency="USD", at=datetime(2026, 3, 20, 12, 0, tzinfo=TBILISI), refunded_minor=500
    )  # March
    gift(
        court, amount_minor=7000, currency="GEL", at=datetime(2025, 3, 1, 12, 0, tzinfo=TBILISI), refunded_minor=2000
    )  # before the window
    gift(
        court, amount_minor=4000, currency="GEL", at=datetime(2025, 6, 30, 20, 0, tzinfo=UTC)
    )  # 1 July 00:00 Tbilisi: first month shown
    gift(
        court, amount_minor=9999, currency="GEL", at=datetime(2026, 7, 1, 12, 0, tzinfo=TBILISI)
    )  # dated after now: left out

    # Monthly gifts. GEL: 2000 (active) + 1000 (past due) = 3000 from 2 donors; USD: 700 from 1.
    monthly_gift(safety, amount_minor=2000, currency="GEL")
    monthly_gift(safety, amount_minor=1000, currency="GEL", status=RecurringDonation.Status.PAST_DUE)
    monthly_gift(safety, amount_minor=5000, currency="GEL", status=RecurringDonation.Status.CANCELED)
    monthly_gift(court, amount_minor=3000, currency="GEL", cancel_at_period_end=True)
    monthly_gift(court, amount_minor=700, currency="USD")
    return {"standard": standard, "patron": patron, "safety": safety, "court": court}


KNOWN = {
    "mrr": {
        "GEL": {
            "memberships": 5500,
            "monthly_members": 2,
            "yearly_members": 3,
            "gifts": 3000,
            "donors": 2,
            "total": 8500,
        },
        "USD": {
            "memberships": 1501,
            "monthly_members": 1,
            "yearly_members": 1,
            "gifts": 700,
            "donors": 1,
            "total": 2201,
        },
    },
    "members_without_plan": 2,
    "tiers": [("Standard", 6, 1), ("Patron", 4, 1)],  # (tier, paying, comp)
    "movement": {  # month: (new, cancelled, lapsed); every other month of the window is 0, 0, 0
        date(2025, 7, 1): (0, 0, 1),
        date(2026, 2, 1): (0, 1, 0),
        date(2026, 3, 1): (1, 0, 0),
        date(2026, 4, 1): (1, 1, 0),
        date(2026, 5, 1): (0, 1, 3),
        date(2026, 6, 1): (2, 0, 0),
    },
    "gifts": {  # (campaign, currency): ({month: (gross, refunded, gifts)}, all time (gross, refunded, gifts))
        ("Safety fund", "GEL"): (
            {date(2026, 1, 1): (2500, 0, 1), date(2026, 2, 1): (15000, 10000, 2), date(2026, 6, 1): (3000, 1000, 1)},
            (20500, 11000, 4),
        ),
        ("Safety fund", "USD"): ({date(2026, 3, 1): (2500, 500, 2)}, (2500, 500, 2)),
        ("Court fund", "GEL"): ({date(2025, 7, 1): (4000, 0, 1)}, (11000, 2000, 2)),
    },
}


@pytest.fixture
def known_data(db, at_now):
    return build_known_data()


# --- Months ---------------------------------------------------------------------------------------------------


def test_the_window_is_the_last_twelve_calendar_months_in_the_site_time_zone():
    assert recent_months(now=NOW) == WINDOW
    # 31 May 22:00 UTC is already 1 June in Tbilisi: June is the current month.
    assert recent_months(now=datetime(2026, 5, 31, 22, 0, tzinfo=UTC), count=2) == [date(2026, 5, 1), date(2026, 6, 1)]
    assert recent_months(now=datetime(2026, 1, 10, tzinfo=TBILISI), count=3) == [
        date(2025, 11, 1),
        date(2025, 12, 1),
        date(2026, 1, 1),
    ]
    assert month_starts_at(date(2026, 4, 1)) == datetime(2026, 3, 31, 20, 0, tzinfo=UTC)


# --- Memberships ------------------------------------------------------------------------------------------------


def test_monthly_recurring_revenue_counts_renewing_paid_members_with_yearly_plans_spread_over_twelve_months(known_data):
    revenue, without_plan = membership_recurring_revenue()
    by_currency = {r.currency: r for r in revenue}
    assert sorted(by_currency) == ["GEL", "USD"]
    for currency, expected in KNOWN["mrr"].items():
        row = by_currency[currency]
        assert (row.monthly_minor, row.monthly_members, row.yearly_members) == (
            expected["memberships"],
            expected["monthly_members"],
            expected["yearly_members"],
        )
    assert without_plan == KNOWN["members_without_plan"]


def test_yearly_amounts_are_added_up_before_dividing_and_halves_round_up(db):
    tier = Tier.objects.create(name="T", slug="t")
    for amount in (1, 1, 1, 1, 1, 1):  # 6 / 12 = 0.5 -> 1; one at a time each would round to 0
        member(tier, interval="year", amount_minor=amount)
    member(tier, interval="year", currency="USD", amount_minor=17)  # 17 / 12 = 1.42 -> 1
    assert {r.currency: r.monthly_minor for r in membership_recurring_revenue()[0]} == {"GEL": 1, "USD": 1}


def test_members_with_access_now_by_tier_count_comps_apart(known_data):
    tiers = members_by_tier(now=NOW)
    assert [(t.name, t.paid, t.comp) for t in tiers] == KNOWN["tiers"]


def test_a_retired_tier_with_members_is_still_listed(known_data):
    retired = Tier.objects.get(slug="retired")
    member(retired, interval="month")
    assert [(t.name, t.paid, t.comp) for t in members_by_tier(now=NOW)][-1] == ("Retired tier", 1, 0)


def test_the_access_filter_agrees_with_the_sites_access_rule_on_every_combination(db, at_now):
    """has_access_q is members.services.membership_grants_access as SQL: try every status, source and end date."""
    tier = Tier.objects.create(name="Grid", slug="grid")
    hours = [None, -72, -47, -1, 1, 72]  # around the 48-hour renewal leeway
    for status, source, period_end, grace in itertools.product(
        Membership.Status.values, Membership.Source.values, hours, [None, -1, 1]
    ):
        user = UserFactory(username=f"grid-{next(_sequence)}")
        Membership.objects.create(
            user=user,
            tier=tier,
            status=status,
            source=source,
            current_period_end=None if period_end is None else NOW + timedelta(hours=period_end),
            grace_until=None if grace is None else NOW + timedelta(hours=grace),
        )
    expected = {m.pk for m in Membership.objects.all() if membership_grants_access(m, now=NOW)}
    assert 0 < len(expected) < Membership.objects.count()
    assert set(Membership.objects.filter(has_access_q(now=NOW)).values_list("pk", flat=True)) == expected


def test_new_cancelled_and_lapsed_per_month_in_the_site_time_zone(known_data):
    movement = member_movement_by_month(now=NOW)
    assert [m.month for m in movement] == WINDOW
    assert {m.month: (m.new, m.cancelled, m.lapsed) for m in movement} == {
        month: KNOWN["movement"].get(month, (0, 0, 0)) for month in WINDOW
    }


# --- Donations --------------------------------------------------------------------------------------------------


def test_gifts_per_campaign_and_currency_by_month_and_all_time(known_data):
    report = gifts_by_campaign(now=NOW)
    # Newest campaign first; currencies alphabetical within a campaign.
    assert [(c.title, c.currency) for c in report] == [
        ("Safety fund", "GEL"),
        ("Safety fund", "USD"),
        ("Court fund", "GEL"),
    ]
    for row in report:
        months, all_time = KNOWN["gifts"][(row.title, row.currency)]
        assert [m.month for m in row.months] == WINDOW
        assert {m.month: (m.totals.gross_minor, m.totals.refunded_minor, m.totals.gifts) for m in row.months} == {
            month: months.get(month, (0, 0, 0)) for month in WINDOW
        }, row.title
        assert (row.all_time.gross_minor, row.all_time.refunded_minor, row.all_time.gifts) == all_time
        assert row.all_time.net_minor == all_time[0] - all_time[1]
    court = report[2]
    assert (court.recent.gross_minor, court.recent.refunded_minor, court.recent.net_minor, court.recent.gifts) == (
        4000,
        0,
        4000,
        1,
    )


def test_monthly_gifts_that_will_be_charged_again(known_data):
    assert [(r.currency, r.monthly_minor, r.donors) for r in recurring_gift_revenue()] == [
        (currency, known["gifts"], known["donors"]) for currency, known in KNOWN["mrr"].items()
    ]


def test_an_empty_database_gives_zeros_not_errors(db):
    assert membership_recurring_revenue() == ([], 0)
    assert members_by_tier(now=timezone.now()) == []
    movement = member_movement_by_month(now=timezone.now())
    assert len(movement) == 12 and all((m.new, m.cancelled, m.lapsed) == (0, 0, 0) for m in movement)
    assert gifts_by_campaign(now=timezone.now()) == []
    assert recurring_gift_revenue() == []


# --- Reconciled with the live pipeline's counters ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_all_time_gifts_match_the_campaign_counters_kept_by_the_payment_pipeline():
    """Gifts paid and refunded through the sandbox provider, the real intake and handlers: the dashboard's all-time
    net equals CampaignTotal.raised_minor, and its gifts less the fully refunded equal CampaignTotal.donations."""
    from outlet.payments.providers import get_provider
    from tests.donations.conftest import give
    from tests.donations.conftest import make_campaign as make_fundraiser

    campaign = make_fundraiser()
    paid = [
        give(campaign, email=f"d{i}@example.org", gift_minor=amount, currency=currency)
        for i, (amount, currency) in enumerate([(5000, "GEL"), (2500, "GEL"), (1000, "USD"), (7000, "GEL")])
    ]
    get_provider("sandbox").refund(payment_ref=paid[1]["payment"], amount_minor=2500, idempotency_key="full")
    get_provider("sandbox").refund(payment_ref=paid[3]["payment"], amount_minor=1200, idempotency_key="part")

    cache.clear()
    report = {row.currency: row for row in gifts_by_campaign(now=timezone.now())}
    # The month totals the triggers kept through the pipeline's writes: three small queries, no scan of the gifts.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as again:
        assert {row.currency: row for row in gifts_by_campaign(now=timezone.now())} == report
    assert len(again) == 3
    counters = {t.currency: t for t in CampaignTotal.objects.filter(campaign=campaign)}
    assert (
        report["GEL"].all_time.gross_minor,
        report["GEL"].all_time.refunded_minor,
        report["GEL"].all_time.gifts,
    ) == (14500, 3700, 3)
    for currency, counter in counters.items():
        assert report[currency].all_time.net_minor == counter.raised_minor
        fully_refunded = Donation.objects.filter(
            campaign=campaign, currency=currency, status=Donation.Status.REFUNDED
        ).count()
        assert report[currency].all_time.gifts - fully_refunded == counter.donations


# --- Cost ---------------------------------------------------------------------------------------------------------


def test_each_figure_is_one_grouped_query_not_one_per_month_or_campaign(known_data, django_assert_num_queries):
    cache.clear()
    # Each members' figure: the figures' version, its kept row (none yet), its grouped query, then the row written.
    with django_assert_num_queries(4):
        membership_recurring_revenue()
    with django_assert_num_queries(5):  # as above, and the tiers' names
        members_by_tier(now=NOW)
    with django_assert_num_queries(4):  # as above: all three series, all twelve months
        member_movement_by_month(now=NOW)
    # The month totals the triggers keep, the gifts dated after now, the titles.
    with django_assert_num_queries(3):
        gifts_by_campaign(now=NOW)
    with django_assert_num_queries(1):
        recurring_gift_revenue()


def test_after_the_cache_is_lost_each_members_figure_is_read_back_from_its_kept_row(
    known_data, django_assert_num_queries
):
    made = (membership_recurring_revenue(), members_by_tier(now=NOW), member_movement_by_month(now=NOW))
    cache.clear()  # as a Redis restart leaves it
    with django_assert_num_queries(2):  # the figures' version, the kept row: no scan of the memberships
        recurring = membership_recurring_revenue()
    with django_assert_num_queries(4):  # and the members whose access ended since it was made, and the tiers' names
        by_tier = members_by_tier(now=NOW)
    with django_assert_num_queries(3):  # and the timeline rows dated after the moment it was made (none)
        movement = member_movement_by_month(now=NOW)
    assert (recurring, by_tier, movement) == made
    with django_assert_num_queries(1):  # put back in the cache: only the version is read again
        membership_recurring_revenue()


def test_a_kept_figure_is_never_read_for_another_version_or_release(known_data, monkeypatch):
    before = membership_recurring_revenue()
    tier = Tier.objects.order_by("pk").first()
    member(tier, amount_minor=123_400)  # a new monthly GEL member moves the figures' version
    cache.clear()
    after = membership_recurring_revenue()
    assert after != before, "made again for the new version, not read from the old row"
    cache.clear()
    KeptFigure.objects.update(value=pickle.dumps("kept by the previous release"))
    monkeypatch.setattr(member_stats, "code_fingerprint", lambda: "another-release")
    assert membership_recurring_revenue() == after, "a row of another release is made again, never unpickled"
    cache.clear()
    KeptFigure.objects.update(value=b"not a pickle at all")
    assert membership_recurring_revenue() == after, "a row that cannot be read is made again, not a failed page"
