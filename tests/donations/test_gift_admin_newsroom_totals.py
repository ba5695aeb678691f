"""What each newsroom is owed, on the campaign's admin page, comes from running sums kept with the ledger: they equal
the ledger's own sums after gifts, monthly renewals, partial and full refunds, and the page reads a few rows."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import connection

from donations import reports
from donations.models import BeneficiaryTotal, Donation, RecurringDonation
from outlet.payments.providers import get_provider
from tests.donations.conftest import give, make_campaign
from tests.donations.factories_gift_admin import staff_with

pytestmark = pytest.mark.django_db(transaction=True)


def ledger_sums(campaign) -> dict:
    return {
        (line.beneficiary_id, line.currency): (line.gifts_minor, line.refunds_minor, line.number_of_gifts)
        for line in reports.beneficiary_lines(campaign=campaign)
    }


def counter_sums(campaign) -> dict:
    return {
        (t.beneficiary_id, t.currency): (t.gifts_minor, t.refunds_minor, t.number_of_gifts)
        for t in BeneficiaryTotal.objects.filter(beneficiary__campaign=campaign)
    }


@pytest.fixture
def busy_campaign(campaign):
    """Gifts in two currencies, a donor's own split, a monthly gift renewed, a partial, a second partial and a full
    refund: every way the ledger moves."""
    sandbox = get_provider("sandbox")
    newsrooms = {b.slug: b.pk for b in campaign.beneficiaries.all()}
    first = give(campaign, email="a@example.org", gift_minor=10_001)
    give(campaign, email="b@example.org", gift_minor=2_500, currency="USD", cover_fee=True)
    give(
        campaign,
        email="c@example.org",
        gift_minor=7_777,
        weights={newsrooms["border-radio"]: 3, newsrooms["valley-dispatch"]: 1},
    )
    refunded = give(campaign, email="d@example.org", gift_minor=3_000)
    give(campaign, email="e@example.org", gift_minor=2_000, interval="month")
    sandbox.renew(RecurringDonation.objects.get().subscription_id)
    sandbox.refund(payment_ref=first["payment"], amount_minor=1_234, idempotency_key="partial-1")
    sandbox.refund(payment_ref=first["payment"], amount_minor=99, idempotency_key="partial-2")
    sandbox.refund(payment_ref=refunded["payment"], amount_minor=None, idempotency_key="full")
    return campaign


def test_the_newsrooms_running_sums_equal_the_ledger_after_gifts_renewals_and_refunds(busy_campaign):
    counters, ledger = counter_sums(busy_campaign), ledger_sums(busy_campaign)
    assert counters == ledger
    assert {currency for _, currency in counters} == {"GEL", "USD"}
    assert any(refunds < 0 for _, refunds, _ in counters.values()), "the refunds were booked"
    gel_net = sum(gifts + refunds for (_, currency), (gifts, refunds, _) in counters.items() if currency == "GEL")
    gel_gifts = Donation.objects.filter(campaign=busy_campaign, currency="GEL")
    assert gel_net == sum(d.net_minor - min(d.amount_refunded_minor, d.net_minor) for d in gel_gifts)


def test_a_replayed_refund_event_moves_the_sums_once(busy_campaign):
    from outlet.payments import services as payments
    from outlet.payments.models import WebhookEvent

    before = counter_sums(busy_campaign)
    for event in WebhookEvent.objects.filter(type="charge.refunded"):
        WebhookEvent.objects.filter(pk=event.pk).update(status=WebhookEvent.Status.RECEIVED)
        payments.process_webhook_event(webhook_event_pk=event.pk)
    assert counter_sums(busy_campaign) == before == ledger_sums(busy_campaign)


def test_the_campaign_page_breakdown_reads_the_counters_in_two_queries(busy_campaign, django_assert_num_queries):
    make_campaign(slug="other-fund")  # another campaign's newsrooms stay out
    with django_assert_num_queries(2):  # the newsrooms, and their running sums
        lines = reports.campaign_breakdown(campaign=busy_campaign)
    by_key = {
        (line.beneficiary_id, line.currency): (line.gifts_minor, line.refunds_minor, line.number_of_gifts)
        for line in lines
    }
    assert by_key == ledger_sums(busy_campaign)
    _, client = staff_with("donations.view_campaign", "donations.change_campaign", username="editor")
    html = client.get(f"/admin/donations/campaign/{busy_campaign.pk}/change/").content.decode()
    assert "What each newsroom has been allocated" in html and "Valley Dispatch" in html


def test_a_newsroom_with_no_gifts_yet_shows_a_zero_line(campaign):
    lines = reports.campaign_breakdown(campaign=campaign)
    assert [(line.slug, line.currency, line.net_minor) for line in lines] == [
        ("mountain-voice", "GEL", 0),
        ("valley-dispatch", "GEL", 0),
        ("border-radio", "GEL", 0),
    ]


def test_recounting_from_the_ledger_gives_the_same_sums(busy_campaign):
    kept = counter_sums(busy_campaign)
    BeneficiaryTotal.objects.update(gifts_minor=0)  # as if a bulk load had skipped them
    assert reports.recount_beneficiary_totals(campaign=busy_campaign) == len(kept)
    assert counter_sums(busy_campaign) == kept


def test_the_migration_fills_the_sums_from_an_existing_ledger(busy_campaign):
    migration = importlib.import_module("donations.migrations.0004_beneficiary_totals_search_indexes")
    kept = counter_sums(busy_campaign)
    BeneficiaryTotal.objects.all().delete()

    class Editor:  # what the migration reads from its schema editor
        pass

    editor = Editor()
    editor.connection = connection
    migration.fill_beneficiary_totals(apps, editor)
    assert counter_sums(busy_campaign) == kept


def test_the_payout_report_needs_its_own_permission(campaign):
    _, viewer = staff_with("donations.view_donation", "donations.view_campaign", username="viewer")
    assert viewer.get("/admin/donations/campaign/payout-report/").status_code == 403
    assert "Payout report (CSV)" not in viewer.get(f"/admin/donations/campaign/{campaign.pk}/change/").content.decode()
    _, finance = staff_with("donations.view_campaign", "donations.download_payout_report", username="finance")
    assert finance.get("/admin/donations/campaign/payout-report/").status_code == 200
    download = finance.get(
        f"/admin/donations/campaign/payout-report/?campaign={campaign.pk}&date_from=2026-01-01"
        "&date_to=2026-01-31&download=1"
    )
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")


@pytest.mark.integration
def test_the_running_sums_equal_the_ledger_after_concurrent_gifts_duplicates_and_refunds(real_postgres, campaign):
    """Several workers booking gifts and refunds for the same newsrooms at once: no lost update, no deadlock."""
    from tests.donations.test_totals_concurrency import GIFTS, THREADS, handle, plan_gifts, plan_refunds, run_in_threads

    gifts = plan_gifts(campaign)
    deliveries = gifts[: GIFTS // 2] * 2
    assert not run_in_threads([deliveries[i::THREADS] for i in range(THREADS)], handle)
    mixed = plan_refunds(gifts) + gifts[GIFTS // 2 :]
    assert not run_in_threads([mixed[i::THREADS] for i in range(THREADS)], handle)
    assert Donation.objects.count() == GIFTS
    assert counter_sums(campaign) == ledger_sums(campaign)
    assert any(refunds < 0 for _, refunds, _ in counter_sums(campaign).values())
