"""Finance staff refund a gift and resend its receipt from the gift's page: each confirmed, each through the
provider or the worker, each recorded in the gift's history with their name; the gift, the totals, the newsrooms'
ledger and the receipt follow the provider's refund event."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client

from donations.models import AllocationEntry, BeneficiaryTotal, CampaignTotal, Donation
from outlet.payments.models import Payment, SandboxObject
from outlet.receipts.models import Receipt
from tests.donations.conftest import give
from tests.donations.factories_gift_admin import FINANCE, staff_with

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def finance(db):
    return staff_with(*FINANCE)


@pytest.fixture
def gift(campaign) -> Donation:
    give(campaign, email="nino@example.org", name="Nino", gift_minor=5000)
    return Donation.objects.select_related("payment").get()


def refund_url(donation: Donation) -> str:
    return f"/admin/donations/donation/{donation.pk}/refund/"


def refund(client: Client, donation: Donation, amount: str, *, seen: int = 0):
    """Both steps as staff would click them: the amount, then "Yes, refund"."""
    step_one = client.post(refund_url(donation), {"amount": amount, "refunded_seen": seen})
    assert step_one.status_code == 200 and "Yes, refund" in step_one.content.decode(), step_one.content.decode()[:2000]
    return client.post(refund_url(donation), {"amount": amount, "refunded_seen": seen, "confirmed": "yes"}, follow=True)


def charge_refunds(donation: Donation) -> list[str]:
    return SandboxObject.objects.get(kind="charge", object_id=donation.payment.provider_ref).data["refunds"]


def test_a_partial_refund_typed_in_major_units_moves_the_gift_totals_ledger_and_receipt(finance, gift, campaign):
    user, client = finance
    page = client.get(refund_url(gift)).content.decode()
    assert "Left to refund" in page and "GEL\u00a050" in page and "Amount to refund (GEL)" in page

    confirm = client.post(refund_url(gift), {"amount": "10.50", "refunded_seen": 0}).content.decode()
    assert "Yes, refund GEL\u00a010.50" in confirm and "nino@example.org" in confirm
    assert Payment.objects.get().amount_refunded_minor == 0, "asking for confirmation must not refund"

    done = client.post(refund_url(gift), {"amount": "10.50", "refunded_seen": 0, "confirmed": "yes"}, follow=True)
    assert done.redirect_chain[-1][0] == f"/admin/donations/donation/{gift.pk}/change/"
    assert "asked to refund GEL\u00a010.50" in done.content.decode()

    gift.refresh_from_db()
    assert (gift.amount_refunded_minor, gift.status) == (1050, Donation.Status.PARTIALLY_REFUNDED)
    total = CampaignTotal.objects.get(campaign=campaign, currency="GEL")
    assert (total.raised_minor, total.donations) == (5000 - 1050, 1)
    refunds = AllocationEntry.objects.filter(donation=gift, kind="refund")
    assert sum(entry.amount_minor for entry in refunds) == -1050
    assert sum(t.refunds_minor for t in BeneficiaryTotal.objects.all()) == -1050
    original = Receipt.objects.get(payment=gift.payment, kind="original")
    correction = Receipt.objects.get(payment=gift.payment, kind="correction")
    assert original.is_void and not correction.is_void and correction.amount_minor == 5000 - 1050

    entry = LogEntry.objects.get(object_id=str(gift.pk))
    assert entry.user == user and "refund GEL\u00a010.50" in entry.get_change_message()
    history = client.get(f"/admin/donations/donation/{gift.pk}/history/").content.decode()
    assert "refund GEL\u00a010.50" in history


def test_leaving_the_amount_empty_refunds_everything_left(finance, gift, campaign):
    _, client = finance
    refund(client, gift, "")
    gift.refresh_from_db()
    assert (gift.amount_refunded_minor, gift.status) == (5000, Donation.Status.REFUNDED)
    total = CampaignTotal.objects.get(campaign=campaign, currency="GEL")
    assert (total.raised_minor, total.net_minor, total.donations) == (0, 0, 0)
    assert sum(t.gifts_minor + t.refunds_minor for t in BeneficiaryTotal.objects.all()) == 0
    assert all(receipt.is_void for receipt in Receipt.objects.filter(payment=gift.payment))
    page = client.get(f"/admin/donations/donation/{gift.pk}/change/").content.decode()
    assert "Refund…" not in page, "nothing is left to refund"


@pytest.mark.parametrize("amount", ["10.50", ""])
def test_a_double_post_refunds_once(finance, gift, amount):
    _, client = finance
    refund(client, gift, amount)
    again = client.post(refund_url(gift), {"amount": amount, "refunded_seen": 0, "confirmed": "yes"})
    html = again.content.decode()
    assert again.status_code == 200
    assert "refunded in full" in html or "refunded while you were deciding" in html
    gift.refresh_from_db()
    assert gift.amount_refunded_minor == (1050 if amount else 5000)
    assert len(charge_refunds(gift)) == 1
    assert LogEntry.objects.filter(object_id=str(gift.pk)).count() == 1


def test_a_double_post_before_the_provider_answers_refunds_once(finance, gift, monkeypatch):
    """With Stripe the refund event comes back later: both clicks send the same idempotency key."""
    from outlet.payments import services as payments

    monkeypatch.setattr(payments, "queue_event_processing", lambda pk: None)  # the provider's events wait in the intake
    _, client = finance
    refund(client, gift, "10")
    refund(client, gift, "10")
    assert len(charge_refunds(gift)) == 1
    gift.refresh_from_db()
    assert gift.amount_refunded_minor == 0, "nothing changes until the provider's event is processed"


def test_a_second_deliberate_partial_refund_is_its_own_refund(finance, gift):
    _, client = finance
    refund(client, gift, "10")
    refund(client, gift, "5", seen=1000)
    gift.refresh_from_db()
    assert gift.amount_refunded_minor == 1500 and len(charge_refunds(gift)) == 2
    assert Receipt.objects.filter(payment=gift.payment, voided_at=None).get().amount_minor == 3500


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        ("ten", "Enter an amount like 38.42."),
        ("10.555", "GEL amounts have at most 2 digits after the decimal point"),
        ("-5", "Enter an amount above 0, without a minus sign."),
        ("0", "The amount to refund must be more than 0."),
        ("50.01", "At most GEL\u00a050 is left to refund on this gift."),
        ("1,000.00", "At most GEL\u00a050 is left to refund on this gift."),
        ("1e3", "Enter an amount like 38.42."),
        ("USD 10", "Enter an amount like 38.42."),
    ],
)
def test_a_bad_amount_gets_a_clear_error_and_refunds_nothing(finance, gift, amount, error):
    _, client = finance
    for extra in ({}, {"confirmed": "yes"}):
        response = client.post(refund_url(gift), {"amount": amount, "refunded_seen": 0, **extra})
        assert response.status_code == 200 and error in response.content.decode()
    assert Payment.objects.get().amount_refunded_minor == 0 and charge_refunds(gift) == []


def test_a_comma_decimal_and_the_currency_code_are_understood(finance, gift):
    _, client = finance
    refund(client, gift, "GEL 1,5")
    gift.refresh_from_db()
    assert gift.amount_refunded_minor == 150


def test_a_disputed_gift_cannot_be_refunded_here(finance, gift):
    _, client = finance
    Donation.objects.filter(pk=gift.pk).update(status=Donation.Status.DISPUTED)
    response = client.post(refund_url(gift), {"amount": "", "refunded_seen": 0, "confirmed": "yes"})
    assert "disputed by the donor" in response.content.decode()
    assert charge_refunds(gift) == []


def test_staff_resend_a_gifts_receipt_after_confirming(finance, gift, mailoutbox):
    user, client = finance
    receipt = Receipt.objects.get(payment=gift.payment)
    before = len(mailoutbox)
    confirm = client.get(f"/admin/donations/donation/{gift.pk}/resend-receipt/").content.decode()
    assert f"Email receipt {receipt.number} to nino@example.org again?" in confirm
    assert len(mailoutbox) == before, "the confirmation page sends nothing"
    done = client.post(f"/admin/donations/donation/{gift.pk}/resend-receipt/", follow=True)
    assert f"Receipt {receipt.number} will be emailed to nino@example.org again." in done.content.decode()
    [message] = mailoutbox[before:]
    assert message.to == ["nino@example.org"] and message.attachments
    entry = LogEntry.objects.get(object_id=str(gift.pk))
    assert entry.user == user and receipt.number in entry.get_change_message()


def test_after_a_partial_refund_the_receipt_in_force_is_resent(finance, gift):
    _, client = finance
    refund(client, gift, "10")
    client.post(f"/admin/donations/donation/{gift.pk}/resend-receipt/")
    correction = Receipt.objects.get(payment=gift.payment, kind="correction")
    assert correction.number in LogEntry.objects.filter(object_id=str(gift.pk)).latest("pk").get_change_message()


def test_a_gift_without_a_receipt_yet_says_so(finance, gift):
    _, client = finance
    Receipt.objects.all().delete()
    assert "has no receipt yet" in client.get(f"/admin/donations/donation/{gift.pk}/resend-receipt/").content.decode()
    done = client.post(f"/admin/donations/donation/{gift.pk}/resend-receipt/", follow=True)
    assert "has no receipt yet" in done.content.decode() and not LogEntry.objects.exists()


# --- Who may ------------------------------------------------------------------------------------------------


def test_staff_who_may_only_read_gifts_see_no_buttons_and_get_403(gift):
    _, client = staff_with("donations.view_donation", username="reader")
    page = client.get(f"/admin/donations/donation/{gift.pk}/change/").content.decode()
    assert "Refund…" not in page and "Resend receipt…" not in page
    for url in (refund_url(gift), f"/admin/donations/donation/{gift.pk}/resend-receipt/"):
        assert client.get(url).status_code == 403
        assert client.post(url, {"amount": "", "refunded_seen": 0, "confirmed": "yes"}).status_code == 403
    assert charge_refunds(gift) == []


def test_each_action_needs_its_own_permission(gift):
    _, refunder = staff_with("donations.view_donation", "donations.refund_donation", username="refunder")
    page = refunder.get(f"/admin/donations/donation/{gift.pk}/change/").content.decode()
    assert "Refund…" in page and "Resend receipt…" not in page
    assert refunder.post(f"/admin/donations/donation/{gift.pk}/resend-receipt/").status_code == 403
    _, resender = staff_with("donations.view_donation", "receipts.resend_receipt", username="resender")
    assert resender.get(refund_url(gift)).status_code == 403
    assert resender.get(f"/admin/donations/donation/{gift.pk}/resend-receipt/").status_code == 200


def test_the_receipt_list_offers_resending_to_holders_of_resend_receipt(gift):
    _, viewer = staff_with("receipts.view_receipt", username="viewer")
    assert "resend_receipt_email" not in viewer.get("/admin/receipts/receipt/").content.decode()
    _, resender = staff_with("receipts.view_receipt", "receipts.resend_receipt", username="resender")
    assert "resend_receipt_email" in resender.get("/admin/receipts/receipt/").content.decode()


def test_a_missing_gift_is_a_404_not_a_500(finance):
    _, client = finance
    assert client.get("/admin/donations/donation/999999/refund/").status_code == 404
    assert client.post("/admin/donations/donation/999999/resend-receipt/").status_code == 404


def test_a_post_without_the_refunded_amount_seen_refunds_nothing(finance, gift):
    _, client = finance
    response = client.post(refund_url(gift), {"amount": "10", "confirmed": "yes"})
    assert response.status_code == 200 and "open the refund page from the gift again" in response.content.decode()
    assert charge_refunds(gift) == []
