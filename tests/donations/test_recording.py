"""A gift is recorded from the provider's event only, once, split between the newsrooms, and counted."""

from __future__ import annotations

import pytest

from donations import services
from donations.models import AllocationEntry, CampaignDonorCount, CampaignTotal, Donation, RecurringDonation
from outlet.payments.models import WebhookEvent
from outlet.payments.providers import get_provider
from tests.donations.conftest import give

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_one_time_gift_is_recorded_split_and_counted(campaign):
    give(campaign, gift_minor=5000)
    donation = Donation.objects.get()
    fee = services.processing_fee_minor(amount_minor=5000, currency="GEL")
    assert (donation.amount_minor, donation.net_minor, donation.processing_fee_minor) == (5000, 5000 - fee, fee)
    parts = {e.beneficiary.slug: e.amount_minor for e in AllocationEntry.objects.select_related("beneficiary")}
    assert sum(parts.values()) == donation.net_minor
    assert parts["valley-dispatch"] == donation.net_minor * 30 // 100
    total = CampaignTotal.objects.get(campaign=campaign, currency="GEL")
    assert (total.raised_minor, total.donations) == (5000, 1)
    assert CampaignDonorCount.objects.get(campaign=campaign).donors == 1


def test_the_same_donor_giving_twice_counts_as_one_donor(campaign):
    give(campaign, email="a@example.org")
    give(campaign, email="A@example.org ")
    give(campaign, email="b@example.org")
    progress = services.campaign_progress(campaign)
    assert (progress.donations, progress.donors, progress.raised_minor) == (3, 2, 15000)


def test_a_replayed_payment_event_changes_nothing(campaign):
    give(campaign)
    event = WebhookEvent.objects.get(type="payment.succeeded")
    from outlet.payments import services as payments

    WebhookEvent.objects.filter(pk=event.pk).update(status=WebhookEvent.Status.RECEIVED)
    payments.process_webhook_event(webhook_event_pk=event.pk)
    assert Donation.objects.count() == 1
    assert CampaignTotal.objects.get().raised_minor == 5000


def test_covering_the_fee_gives_the_newsrooms_the_whole_gift(campaign):
    give(campaign, gift_minor=5000, cover_fee=True)
    donation = Donation.objects.get()
    assert donation.amount_minor > 5000 and donation.fee_covered_minor == donation.amount_minor - 5000
    assert donation.net_minor >= 5000


def test_a_monthly_gift_follows_the_subscription_and_renewals_add_donations(campaign):
    give(campaign, gift_minor=2000, interval="month", weights={})
    recurring = RecurringDonation.objects.get()
    assert recurring.status == "active" and recurring.amount_minor == 2000
    get_provider("sandbox").renew(recurring.subscription_id)
    assert Donation.objects.filter(recurring=recurring).count() == 2
    assert CampaignTotal.objects.get().raised_minor == 4000


def test_a_donors_own_split_is_used(campaign):
    only = campaign.beneficiaries.get(slug="border-radio")
    give(campaign, gift_minor=5000, weights={str(only.pk): 1})
    assert {e.beneficiary_id for e in AllocationEntry.objects.all()} == {only.pk}


def test_a_full_refund_reverses_the_split_and_lowers_totals(campaign):
    paid = give(campaign, gift_minor=5000)
    get_provider("sandbox").refund(payment_ref=paid["payment"], amount_minor=None, idempotency_key="r1")
    donation = Donation.objects.get()
    assert donation.status == "refunded"
    assert sum(AllocationEntry.objects.values_list("amount_minor", flat=True)) == 0
    progress = services.campaign_progress(campaign)
    assert (progress.raised_minor, progress.donations, progress.donors) == (0, 0, 0)


def test_a_partial_refund_lowers_totals_by_what_was_refunded(campaign):
    paid = give(campaign, gift_minor=5000)
    get_provider("sandbox").refund(payment_ref=paid["payment"], amount_minor=1000, idempotency_key="r1")
    donation = Donation.objects.get()
    assert donation.status == "partially_refunded" and donation.amount_refunded_minor == 1000
    assert sum(AllocationEntry.objects.values_list("amount_minor", flat=True)) == donation.net_minor - 1000
    progress = services.campaign_progress(campaign)
    assert (progress.raised_minor, progress.donations, progress.donors) == (4000, 1, 1)


def test_gifts_outside_the_limits_are_refused_with_a_clear_message(campaign):
    with pytest.raises(services.DonationError, match="between GEL"):
        give(campaign, gift_minor=100)


def test_a_covered_monthly_gift_keeps_covering_the_fee_after_its_amount_changes(campaign):
    from outlet.payments.providers.sandbox.provider import SandboxProvider

    give(campaign, gift_minor=2000, interval="month", cover_fee=True)
    recurring = RecurringDonation.objects.get()
    new_charge = 5000 + services.fee_to_cover_minor(gift_minor=5000, currency="GEL")
    price = services.donation_price(campaign=campaign, currency="GEL", amount_minor=new_charge)
    SandboxProvider().change_subscription_price(
        subscription_id=recurring.subscription_id, price=price, idempotency_key="c1"
    )
    recurring.refresh_from_db()
    assert (recurring.amount_minor, recurring.amount_minor - recurring.fee_covered_minor) == (new_charge, 5000)


def test_a_guests_monthly_gift_receipt_carries_the_link_to_manage_it(campaign, mailoutbox):
    from donations import recurring as monthly

    give(campaign, gift_minor=2000, interval="month", email="guest@example.org")
    gift = RecurringDonation.objects.get()
    (message,) = [m for m in mailoutbox if m.to == ["guest@example.org"]]
    link = next(line for line in message.body.splitlines() if "/fundraisers/gifts/" in line).strip()
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert monthly.monthly_gift_for_token(token=token) == gift
    assert message.attachments[0][2] == "application/pdf"
