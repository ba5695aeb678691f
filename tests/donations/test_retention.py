"""Donor personal data goes once the retention period is over; the money, the ledger and the totals stay."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from donations import retention, services
from donations.models import (
    AllocationEntry,
    CampaignDonor,
    Donation,
    DonationCheckout,
    RecurringDonation,
)
from outlet.payments import services as payment_pipeline
from outlet.payments.models import Payment
from outlet.payments.providers.base import OUR_MARKER, PaymentSucceeded
from outlet.receipts.models import Receipt

pytestmark = pytest.mark.django_db

NOW = datetime(2033, 6, 15, 12, 0, tzinfo=UTC)
LONG_AGO = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)  # more than 7 years before NOW
RECENTLY = datetime(2033, 5, 1, 12, 0, tzinfo=UTC)


def gift(
    campaign, *, email: str, at: datetime, name: str = "Nino Beridze", subscription: RecurringDonation | None = None
) -> Donation:
    checkout = (
        subscription.checkout
        if subscription
        else DonationCheckout.objects.create(
            campaign=campaign,
            email=email,
            name=name,
            display_name="N.",
            message="For the reporters",
            show_on_wall=True,
            currency="GEL",
            gift_minor=5000,
            provider="sandbox",
        )
    )
    DonationCheckout.objects.filter(pk=checkout.pk).update(created_at=at)
    ref = f"pi_{uuid.uuid4().hex[:10]}"
    payment_pipeline.apply_domain_event(
        PaymentSucceeded(
            provider="sandbox",
            event_id=f"evt_{ref}",
            occurred_at=at,
            payment_ref=ref,
            amount_minor=5000,
            currency="GEL",
            email=email,
            subscription_id=subscription.subscription_id if subscription else None,
            metadata={OUR_MARKER: "donation", "outlet_checkout": str(checkout.reference)},
        )
    )
    return Donation.objects.get(payment__provider_ref=ref)


def receipt_for(payment: Payment, *, issued_at: datetime, sequence: int) -> Receipt:
    return Receipt.objects.create(
        payment=payment,
        issuer="cl",
        year=issued_at.year,
        sequence=sequence,
        number=f"{issued_at.year}-{sequence:06d}",
        donor_name="Nino Beridze",
        donor_email=payment.email,
        description="Gift",
        amount_minor=payment.amount_minor,
        currency=payment.currency,
        issued_at=issued_at,
        access_key=uuid.uuid4().hex,
    )


def monthly(campaign, *, email: str, created: datetime, ended: datetime | None) -> RecurringDonation:
    checkout = DonationCheckout.objects.create(
        campaign=campaign,
        email=email,
        name="Giorgi",
        display_name="G.",
        currency="GEL",
        gift_minor=2000,
        interval="month",
        provider="sandbox",
        completed_at=created,
    )
    DonationCheckout.objects.filter(pk=checkout.pk).update(created_at=created)
    return RecurringDonation.objects.create(
        campaign=campaign,
        checkout=checkout,
        email=email,
        provider="sandbox",
        subscription_id=f"sub_{uuid.uuid4().hex[:8]}",
        currency="GEL",
        amount_minor=2000,
        status="canceled" if ended else "active",
        ended_at=ended,
    )


@pytest.fixture
def old_and_new_gifts(campaign):
    old = gift(campaign, email="old@example.org", at=LONG_AGO)
    new = gift(campaign, email="new@example.org", at=RECENTLY)
    receipt_for(old.payment, issued_at=LONG_AGO, sequence=1)
    receipt_for(new.payment, issued_at=RECENTLY, sequence=2)
    return old, new


def test_gifts_older_than_the_retention_period_lose_the_donors_personal_data(old_and_new_gifts):
    old, new = old_and_new_gifts
    counts = retention.anonymise_expired_donor_data(now=NOW)
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.email, old.name, old.display_name, old.message, old.anonymised_at) == ("", "", "", "", NOW)
    assert (new.email, new.name, new.message, new.anonymised_at) == (
        "new@example.org",
        "Nino Beridze",
        "For the reporters",
        None,
    )
    assert counts["donations"] == 1 and counts["receipts"] == 1 and counts["checkouts"] == 1
    old_receipt, new_receipt = Receipt.objects.order_by("sequence")
    assert (old_receipt.donor_name, old_receipt.donor_email, old_receipt.number) == ("", "", "2026-000001")
    assert new_receipt.donor_email == "new@example.org"
    assert DonationCheckout.objects.get(pk=old.checkout_id).email == ""
    assert DonationCheckout.objects.get(pk=new.checkout_id).email == "new@example.org"


def test_anonymised_gifts_still_count_in_the_totals_the_ledger_and_the_donor_count(campaign, old_and_new_gifts):
    before = services.campaign_progress(campaign)
    ledger = list(AllocationEntry.objects.order_by("pk").values_list("beneficiary_id", "amount_minor"))
    donor_keys = set(CampaignDonor.objects.values_list("donor_key", "active_gifts"))
    retention.anonymise_expired_donor_data(now=NOW)
    assert services.campaign_progress(campaign) == before and before.donors == 2 and before.raised_minor == 10_000
    assert list(AllocationEntry.objects.order_by("pk").values_list("beneficiary_id", "amount_minor")) == ledger
    assert set(CampaignDonor.objects.values_list("donor_key", "active_gifts")) == donor_keys


def test_an_anonymised_gift_leaves_the_donor_wall(campaign, old_and_new_gifts):
    assert len(services.donor_wall(campaign)) == 2
    retention.anonymise_expired_donor_data(now=NOW)
    assert [d.email for d in services.donor_wall(campaign)] == ["new@example.org"]


def test_running_it_again_changes_nothing(old_and_new_gifts):
    assert sum(retention.anonymise_expired_donor_data(now=NOW).values()) > 0
    first = list(Donation.objects.order_by("pk").values())
    assert retention.anonymise_expired_donor_data(now=NOW + timedelta(hours=1)) == dict.fromkeys(
        [
            "donations",
            "checkouts",
            "abandoned_checkouts",
            "recurring_donations",
            "receipts",
            "payments",
            "webhook_events",
        ],
        0,
    )
    assert list(Donation.objects.order_by("pk").values()) == first  # anonymised_at keeps the first run's time


def test_it_works_through_many_rows_a_small_batch_at_a_time(campaign):
    for i in range(7):
        gift(campaign, email=f"donor{i}@example.org", at=LONG_AGO + timedelta(minutes=i))
    with CaptureQueriesContext(connection) as queries:
        counts = retention.anonymise_expired_donor_data(now=NOW, batch_size=3)
    assert counts["donations"] == 7 and counts["checkouts"] == 7
    assert not Donation.objects.exclude(email="").exists()
    selects = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and '"donations_donation"' in q["sql"]
    ]
    assert selects and all("LIMIT 3" in sql for sql in selects)  # never the whole table at once


def test_checkouts_nobody_paid_are_deleted_after_a_month(campaign):
    abandoned = DonationCheckout.objects.create(
        campaign=campaign, email="typo@example.org", currency="GEL", gift_minor=500, provider="sandbox"
    )
    fresh = DonationCheckout.objects.create(
        campaign=campaign, email="thinking@example.org", currency="GEL", gift_minor=500, provider="sandbox"
    )
    DonationCheckout.objects.filter(pk=abandoned.pk).update(created_at=NOW - timedelta(days=31))
    DonationCheckout.objects.filter(pk=fresh.pk).update(created_at=NOW - timedelta(days=29))
    followed = monthly(campaign, email="pending@example.org", created=NOW - timedelta(days=40), ended=None)
    DonationCheckout.objects.filter(pk=followed.checkout_id).update(completed_at=None)
    paid = gift(campaign, email="paid@example.org", at=NOW - timedelta(days=60))
    assert retention.anonymise_expired_donor_data(now=NOW)["abandoned_checkouts"] == 1
    assert set(DonationCheckout.objects.values_list("pk", flat=True)) == {
        fresh.pk,
        followed.checkout_id,
        paid.checkout_id,
    }


def test_a_monthly_gift_keeps_its_donors_details_while_it_runs_and_loses_them_once_long_ended(campaign):
    running = monthly(campaign, email="loyal@example.org", created=LONG_AGO, ended=None)
    ended_long_ago = monthly(campaign, email="gone@example.org", created=LONG_AGO - timedelta(days=400), ended=LONG_AGO)
    ended_lately = monthly(campaign, email="lately@example.org", created=LONG_AGO, ended=RECENTLY)
    retention.anonymise_expired_donor_data(now=NOW)
    emails = dict(RecurringDonation.objects.values_list("pk", "email"))
    assert emails == {running.pk: "loyal@example.org", ended_long_ago.pk: "", ended_lately.pk: "lately@example.org"}
    names = dict(DonationCheckout.objects.values_list("pk", "name"))
    assert names[running.checkout_id] == "Giorgi" and names[ended_lately.checkout_id] == "Giorgi"
    assert names[ended_long_ago.checkout_id] == ""
    # The running gift's next invoice still carries the donor's chosen name to the wall and the receipt.
    renewal = gift(campaign, email="loyal@example.org", at=NOW, subscription=running)
    assert renewal.display_name == "G."


def test_the_cutoff_is_whole_calendar_years(settings):
    settings.DONOR_DATA_RETENTION_YEARS = 7
    leap_day = datetime(2032, 2, 29, 9, 0, tzinfo=UTC)
    assert retention.retention_cutoff(leap_day) == datetime(2025, 2, 28, 9, 0, tzinfo=UTC)
    assert retention.retention_cutoff(NOW) == datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def test_the_payment_rows_and_raw_provider_events_forget_the_donor_too(old_and_new_gifts):
    from outlet.payments.models import WebhookEvent

    old, new = old_and_new_gifts
    stale = WebhookEvent.objects.create(
        provider="sandbox",
        event_id="evt_old",
        type="payment.succeeded",
        created_at_provider=LONG_AGO,
        payload={"data": {"object": {"email": "old@example.org"}}},
    )
    WebhookEvent.objects.filter(pk=stale.pk).update(received_at=LONG_AGO)
    fresh = WebhookEvent.objects.create(
        provider="sandbox",
        event_id="evt_new",
        type="payment.succeeded",
        created_at_provider=RECENTLY,
        payload={"data": {"object": {"email": "new@example.org"}}},
    )
    counts = retention.anonymise_expired_donor_data(now=NOW)
    assert (counts["payments"], counts["webhook_events"]) == (1, 1)
    assert (
        Payment.objects.get(pk=old.payment_id).email == ""
        and Payment.objects.get(pk=old.payment_id).amount_minor == 5000
    )
    assert Payment.objects.get(pk=new.payment_id).email == "new@example.org"
    assert list(WebhookEvent.objects.values_list("pk", flat=True)) == [fresh.pk]
