"""Beat makes the dashboard's figures again in the worker after a change (outlet.dashboard.tasks), so the first
staff member to open the page afterwards reads them from the cache instead of waiting for the scans."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from members import stats
from members.models import Membership, Tier
from outlet.celery import app
from outlet.dashboard import figures, tasks
from tests.dashboard.test_dashboard_numbers import NOW, member

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the figures' version is PostgreSQL's")


def queries_for_the_page() -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        figures.build_revenue_dashboard(now=NOW)
        stats.membership_count()
        stats.member_event_count()
    return [query["sql"] for query in captured.captured_queries]


def test_after_a_change_the_task_makes_the_figures_and_the_page_only_reads_them(known_data):
    cache.clear()
    warm = queries_for_the_page()
    warm_again = queries_for_the_page()
    member(Tier.objects.get(slug="standard"), currency="USD", amount_minor=900)  # the version moves

    assert tasks.keep_figures_fresh.apply().get() is True
    after_the_task = queries_for_the_page()

    assert len(after_the_task) == len(warm_again) < len(warm)  # as cheap as a page whose figures were cached
    assert numbers(figures.build_revenue_dashboard(now=NOW)) == live_numbers()  # the new member included


def test_without_a_change_the_task_changes_nothing_and_reads_no_more_than_the_page(known_data):
    cache.clear()
    queries_for_the_page()
    page = queries_for_the_page()

    with CaptureQueriesContext(connection) as captured:
        figures.keep_figures_fresh(now=NOW)

    assert len(captured.captured_queries) == len(page) + 1  # and its own read of the version
    assert numbers(figures.build_revenue_dashboard(now=NOW)) == live_numbers()


def test_where_nothing_is_cached_the_task_makes_nothing(known_data, monkeypatch):
    monkeypatch.setattr(figures, "figures_version", lambda: None)  # as on SQLite, the embedded default
    made = []
    monkeypatch.setattr(figures, "build_revenue_dashboard", lambda **kwargs: made.append(kwargs))

    assert figures.keep_figures_fresh(now=NOW) is False
    assert made == []


def test_beat_runs_it_every_minute():
    entry = app.conf.beat_schedule["keep-dashboard-figures-fresh"]
    assert entry["schedule"] == 60.0
    assert entry["task"] in app.tasks  # registered although outlet.dashboard is not a Django app


def test_a_run_still_queued_when_the_next_is_due_is_dropped(db):
    """Through django-celery-beat's database scheduler, as beat runs it: the message carries an expiry."""
    from django_celery_beat.schedulers import ModelEntry

    entry = ModelEntry.from_entry(
        "keep-dashboard-figures-fresh", app=app, **app.conf.beat_schedule["keep-dashboard-figures-fresh"]
    )

    assert entry.model.expire_seconds == 55
    assert entry.options["expires"] == 55


def numbers(dashboard: figures.RevenueDashboard) -> tuple:
    """What the page says (the charts hold functions, which never compare equal)."""
    campaigns = [section.gifts for section in dashboard.campaigns]
    return (dashboard.recurring, dashboard.members_without_plan, dashboard.tiers, dashboard.movement, campaigns)


def live_numbers() -> tuple:
    """The same page's figures, made from the rows with nothing cached."""
    version = stats.figures_version
    stats.figures_version = lambda: None  # type: ignore[assignment]
    try:
        return numbers(figures.build_revenue_dashboard(now=NOW))
    finally:
        stats.figures_version = version  # type: ignore[assignment]


def test_memberships_stay_as_they_were(known_data):
    before = list(Membership.objects.order_by("pk").values())
    figures.keep_figures_fresh(now=NOW)
    assert list(Membership.objects.order_by("pk").values()) == before
