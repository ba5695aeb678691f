"""The members' figures are cached under a version PostgreSQL moves with every change to a membership or the
timeline (members/migrations/0010): whatever writes them, the next reading is the figures of the data as it is, and
time passing is applied exactly (access that ran out, timeline rows whose time came)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection, transaction

from members import stats
from members.models import MemberEvent, Membership, Tier
from members.stats import member_movement_by_month, members_by_tier, membership_recurring_revenue
from tests.dashboard.test_dashboard_numbers import NOW, event, member

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the figures' version is PostgreSQL's")


def cached(now=NOW) -> tuple:
    return (membership_recurring_revenue(), members_by_tier(now=now), member_movement_by_month(now=now))


def live(now=NOW, monkeypatch=None) -> tuple:
    """The same figures computed from the rows, nothing cached."""
    version = stats.figures_version
    stats.figures_version = lambda: None  # type: ignore[assignment]
    try:
        return cached(now)
    finally:
        stats.figures_version = version  # type: ignore[assignment]


def test_the_second_reading_comes_from_the_cache(known_data, django_assert_num_queries):
    cache.clear()
    first = cached()
    # Three versions, the tiers' names, and two small "since then" ranges (access ended, timeline rows): no scans.
    with django_assert_num_queries(6):
        assert cached() == first
    assert first == live()


def test_every_kind_of_write_moves_the_version_and_shows_at_once(known_data):
    cache.clear()
    tier = Tier.objects.get(slug="standard")
    assert cached() == live()

    added = member(tier, currency="USD", amount_minor=900)
    assert cached() == live()

    Membership.objects.filter(pk=added.pk).update(amount_minor=1900)  # queryset.update(): no signal
    assert cached() == live()

    Membership.objects.filter(pk=added.pk).update(status=Membership.Status.LAPSED)
    assert cached() == live()

    event(MemberEvent.Kind.JOINED, NOW - timedelta(days=3))
    assert cached() == live()

    with connection.cursor() as cursor:  # raw SQL, past every service
        cursor.execute("UPDATE members_membership SET cancel_at_period_end = TRUE WHERE id = %s", [added.pk])
        cursor.execute("DELETE FROM members_memberevent WHERE kind = 'joined'")
    assert cached() == live()

    Membership.objects.filter(pk=added.pk).delete()
    assert cached() == live()


def test_access_that_runs_out_after_the_figures_were_cached_is_taken_off(known_data):
    cache.clear()
    tier = Tier.objects.get(slug="standard")
    # Access until NOW + 10 min for a comp, a paying member's ends with the renewal leeway, a grace period too.
    comp = member(tier, source=Membership.Source.COMP, period_end_in_days=None)
    Membership.objects.filter(pk=comp.pk).update(current_period_end=NOW + timedelta(minutes=10))
    member(tier, status=Membership.Status.PAST_DUE, period_end_in_days=-3, grace_in_days=0)
    grace = Membership.objects.filter(grace_until=NOW).get()
    Membership.objects.filter(pk=grace.pk).update(grace_until=NOW + timedelta(minutes=20))
    cached(NOW)
    for minutes in (5, 15, 25, 50):
        later = NOW + timedelta(minutes=minutes)
        assert members_by_tier(now=later) == live(later)[1], minutes
    assert members_by_tier(now=NOW + timedelta(minutes=50)) != live(NOW)[1]


def test_a_timeline_row_dated_ahead_shows_once_its_time_comes(known_data):
    cache.clear()
    event(MemberEvent.Kind.JOINED, NOW + timedelta(minutes=10))
    assert member_movement_by_month(now=NOW) == live(NOW)[2]
    later = NOW + timedelta(minutes=20)
    assert member_movement_by_month(now=later) == live(later)[2]
    assert member_movement_by_month(now=later) != member_movement_by_month(now=NOW)


def test_figures_cached_inside_a_transaction_that_rolled_back_are_never_served(known_data):
    cache.clear()
    tier = Tier.objects.get(slug="standard")
    with transaction.atomic():
        member(tier, currency="EUR", amount_minor=5000)
        inside = cached()
        transaction.set_rollback(True)
    member(tier, currency="EUR", amount_minor=100)  # another change after the rollback
    assert cached() == live()
    assert cached() != inside


def test_a_statement_that_changes_no_row_keeps_the_version_and_one_that_does_moves_it(known_data):
    before = stats.figures_version()
    Membership.objects.filter(pk=-1).update(amount_minor=1)  # as a sweep that finds nothing
    MemberEvent.objects.filter(pk=-1).delete()
    assert stats.figures_version() == before
    Membership.objects.filter(pk=Membership.objects.order_by("pk").first().pk).update(amount_minor=1)
    assert stats.figures_version() != before
