"""Deleting an account leaves no trace of the reader's name or address in any table, and keeps what the books
need: amounts, receipt numbers, the allocation ledger and the campaign's totals."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection, models

from donations.models import AllocationEntry, CampaignTotal, Donation, RecurringDonation
from members.models import Membership
from outlet.common.models import SentEmail
from outlet.payments.models import Payment, SandboxObject, WebhookEvent
from outlet.payments.providers.base import ProviderUnavailable
from outlet.privacy import erasure
from outlet.privacy.models import ErasureRecord
from outlet.receipts.models import Receipt
from tests.privacy.conftest import EMAIL, FULL_NAME, SURNAME

pytestmark = pytest.mark.django_db(transaction=True)

TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField, models.EmailField)
# The sandbox plays the payment provider's own database (Stripe's, in production): it is the provider's copy of the
# customer, not ours, and it does not exist with a real provider. Every other table is scanned.
PROVIDERS_OWN = {SandboxObject}


def tables_mentioning(*needles: str) -> dict[str, int]:
    """Every text, char and JSON column of every model's table, searched with ILIKE for each needle."""
    found: dict[str, int] = {}
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            if model in PROVIDERS_OWN or model._meta.proxy or not model._meta.managed:
                continue
            columns = [f.column for f in model._meta.local_fields if isinstance(f, TEXT_FIELDS)]
            for column in columns:
                for needle in needles:
                    cursor.execute(
                        f'SELECT count(*) FROM "{model._meta.db_table}" WHERE "{column}"::text ILIKE %s',
                        [f"%{needle}%"],
                    )
                    count = cursor.fetchone()[0]
                    if count:
                        found[f"{model._meta.db_table}.{column} ~ {needle}"] = count
    return found


def test_deleting_an_account_leaves_no_name_or_address_anywhere_and_keeps_the_books(history):
    before = tables_mentioning(EMAIL, SURNAME)
    # The history really is full: the scan finds the reader in all these places first.
    for place in (
        "auth_user.email",
        "donations_donation.name",
        "donations_donation.message",
        "outlet_sentemail.to",
        "payments_webhookevent.payload",
        "donations_receipt.donor_email",
        "members_memberevent.summary",
        "django_admin_log.change_message",
        "payments_payment.email",
        "account_emailaddress.email",
        "members_ghostmember.name",
        "common_emailconsent.address",
        "common_suppressedaddress.address",
        "newsletters_delivery.address",
    ):
        assert any(key.startswith(place) for key in before), (place, before)
    amounts = sorted(Payment.objects.values_list("amount_minor", "currency"))
    numbers = sorted(Receipt.objects.values_list("number", flat=True))
    ledger = sorted(AllocationEntry.objects.values_list("donation_id", "beneficiary_id", "amount_minor", "kind"))
    totals = sorted(CampaignTotal.objects.values_list("currency", "raised_minor", "net_minor", "donations"))
    assert len(numbers) >= 4 and ledger

    record = erasure.erase(user_id=history.user.pk)

    assert tables_mentioning(EMAIL, SURNAME, "Tamar K.") == {}
    assert sorted(Payment.objects.values_list("amount_minor", "currency")) == amounts
    assert sorted(Receipt.objects.values_list("number", flat=True)) == numbers
    assert (
        sorted(AllocationEntry.objects.values_list("donation_id", "beneficiary_id", "amount_minor", "kind")) == ledger
    )
    assert sorted(CampaignTotal.objects.values_list("currency", "raised_minor", "net_minor", "donations")) == totals
    assert all(gift.anonymised_at for gift in Donation.objects.all())
    # The provider was told to stop charging before anything went.
    assert not RecurringDonation.objects.exclude(status="canceled").exists()
    assert Membership.objects.get(pk=history.membership.pk).status == Membership.Status.LAPSED
    # The tombstone: the account row stays for the membership and payments that point at it, but is nobody.
    history.user.refresh_from_db()
    assert not history.user.is_active and history.user.email.endswith("@invalid")
    assert not history.user.has_usable_password()
    assert record.kind == ErasureRecord.Kind.ACCOUNT and record.counts["gifts"] >= 2
    assert history.client.get("/accounts/membership/").status_code == 302  # signed out


def test_a_provider_that_cannot_stop_the_charges_blocks_the_deletion_and_nothing_is_erased(history, monkeypatch):
    def unreachable(subscription):
        raise ProviderUnavailable("The payment provider is not answering.")

    monkeypatch.setattr("outlet.payments.subscriptions.cancel_now", unreachable)
    before = tables_mentioning(EMAIL, SURNAME)
    with pytest.raises(erasure.ErasureBlocked):
        erasure.erase(user_id=history.user.pk)
    assert tables_mentioning(EMAIL, SURNAME) == before
    history.user.refresh_from_db()
    assert history.user.is_active and history.user.email == EMAIL
    assert not ErasureRecord.objects.exists()
    assert SentEmail.objects.filter(to=EMAIL).exists()
    assert WebhookEvent.objects.exists()
    assert FULL_NAME in Donation.objects.first().name
