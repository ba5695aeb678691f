"""Campaign totals stay right when gifts, duplicated deliveries and refunds arrive at the same time on several
workers. Run against the real PostgreSQL (row locks and READ COMMITTED are what is under test; SQLite serialises
everything and would prove nothing).

Each thread is a webhook worker calling the same services the handlers call, with the provider's domain events
built here. Afterwards the counters the campaign page reads must equal what the rows add up to, and what the plan
of gifts and refunds says they should be."""

from __future__ import annotations

import threading
import uuid
from collections import defaultdict
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from donations import services
from donations.models import (
    AllocationEntry,
    CampaignDonor,
    CampaignDonorCount,
    CampaignTotal,
    Donation,
    DonationCheckout,
)
from outlet.payments import services as payment_pipeline
from outlet.payments.providers.base import OUR_MARKER, PaymentRefunded, PaymentSucceeded

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

THREADS = 6
GIFTS = 96
DONORS = 14  # fewer donors than gifts: the same person gives several times, sometimes at the same moment


def plan_gifts(campaign) -> list[PaymentSucceeded]:
    start = timezone.now() - timedelta(hours=1)
    events = []
    for i in range(GIFTS):
        currency = "USD" if i % 3 == 0 else "GEL"
        email = f"donor{i % DONORS}@example.org"
        checkout = DonationCheckout.objects.create(
            campaign=campaign, email=email, currency=currency, gift_minor=500 + (i * 137) % 9000, provider="sandbox"
        )
        events.append(
            PaymentSucceeded(
                provider="sandbox",
                event_id=f"evt_pay_{i}",
                occurred_at=start + timedelta(seconds=i),
                payment_ref=f"pi_{i}",
                amount_minor=checkout.gift_minor,
                currency=currency,
                email=email,
                metadata={OUR_MARKER: "donation", "outlet_checkout": str(checkout.reference)},
            )
        )
    return events


def plan_refunds(gifts: list[PaymentSucceeded]) -> list[PaymentRefunded]:
    """Every fifth gift refunded in full, every seventh in part then in full; some events delivered twice and the
    partial one arriving after the full one."""
    refunds = []
    for i, gift in enumerate(gifts[: GIFTS // 2]):

        def refund(amount, *, full=False, gift=gift):
            return PaymentRefunded(
                provider="sandbox",
                event_id=f"evt_refund_{uuid.uuid4().hex[:10]}",
                occurred_at=timezone.now(),
                payment_refs=(gift.payment_ref,),
                amount_refunded_minor=amount,
                currency=gift.currency,
                fully_refunded=full,
            )

        if i % 5 == 0:
            refunds += [refund(gift.amount_minor, full=True)] * 2
        elif i % 7 == 0:
            refunds += [
                refund(gift.amount_minor, full=True),
                refund(gift.amount_minor // 3),
                refund(gift.amount_minor // 3),
            ]
        elif i % 4 == 0:
            refunds += [refund(250), refund(250)]
    return refunds


def run_in_threads(work: list[list], handle) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(work))

    def worker(items):
        try:
            barrier.wait()
            for item in items:
                handle(item)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(items,)) for items in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def handle(event):
    if isinstance(event, PaymentSucceeded):
        payment_pipeline.apply_domain_event(event)
    else:
        payment_pipeline.apply_domain_event(event)


def test_totals_match_the_rows_after_concurrent_gifts_duplicates_and_refunds(real_postgres, campaign):
    gifts = plan_gifts(campaign)
    first_half, second_half = gifts[: GIFTS // 2], gifts[GIFTS // 2 :]
    # Round one: the first half of the gifts, each delivered twice, on different threads.
    deliveries = first_half + first_half[::-1]
    assert not run_in_threads([deliveries[i::THREADS] for i in range(THREADS)], handle)
    # Round two: refunds of round one's gifts while the second half of the gifts arrives.
    mixed = plan_refunds(gifts) + second_half
    assert not run_in_threads([mixed[i::THREADS] for i in range(THREADS)], handle)

    # What the plan says, worked out without the database.
    refunded = defaultdict(int)
    for event in plan_refunds(gifts):
        ref = event.payment_refs[0]
        refunded[ref] = max(refunded[ref], event.amount_refunded_minor)
    raised, net, counted, active_by_donor = defaultdict(int), defaultdict(int), defaultdict(int), defaultdict(int)
    for gift in gifts:
        fee = services.processing_fee_minor(amount_minor=gift.amount_minor, currency=gift.currency)
        back = refunded[gift.payment_ref]
        raised[gift.currency] += gift.amount_minor - back
        net[gift.currency] += (gift.amount_minor - fee) - min(back, gift.amount_minor - fee)
        if back < gift.amount_minor:
            counted[gift.currency] += 1
            active_by_donor[services.donor_key(gift.email)] += 1

    assert Donation.objects.count() == GIFTS  # duplicated deliveries recorded once
    totals = {t.currency: t for t in CampaignTotal.objects.filter(campaign=campaign)}
    for currency in ("GEL", "USD"):
        total = totals[currency]
        rows = Donation.objects.filter(campaign=campaign, currency=currency)
        from_rows = rows.aggregate(amount=Sum("amount_minor"), back=Sum("amount_refunded_minor"))
        ledger = AllocationEntry.objects.filter(donation__campaign=campaign, currency=currency).aggregate(
            s=Sum("amount_minor")
        )["s"]
        assert total.raised_minor == from_rows["amount"] - from_rows["back"] == raised[currency]
        assert total.net_minor == ledger == net[currency]
        assert total.donations == rows.exclude(status=Donation.Status.REFUNDED).count() == counted[currency]

    donors = {d.donor_key: d.active_gifts for d in CampaignDonor.objects.filter(campaign=campaign) if d.active_gifts}
    assert donors == dict(active_by_donor)
    assert CampaignDonorCount.objects.get(campaign=campaign).donors == len(active_by_donor)
    progress = services.campaign_progress(campaign)
    assert progress.donors == len(active_by_donor) and progress.donations == sum(counted.values())
    for donation in Donation.objects.prefetch_related("allocations"):  # every gift's ledger adds up to what it kept
        kept = donation.net_minor - min(donation.amount_refunded_minor, donation.net_minor)
        assert sum(entry.amount_minor for entry in donation.allocations.all()) == kept
