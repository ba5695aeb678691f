"""Every payment gets one numbered receipt, emailed with its PDF; refunds void it, partial refunds correct it."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from smtplib import SMTPServerDisconnected

import pytest
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.test import Client
from django.utils import timezone
from kombu.exceptions import OperationalError
from pypdf import PdfReader

from donations.models import Donation
from outlet.celery import app as celery_app
from outlet.common.models import SentEmail
from outlet.payments.models import Payment, WebhookEvent
from outlet.payments.providers import get_provider
from outlet.payments.providers.base import ProviderError
from outlet.payments.providers.sandbox.provider import sign
from outlet.receipts import services as receipts
from outlet.receipts import tasks
from outlet.receipts.models import Receipt
from tests.donations.conftest import give
from tests.factories import UserFactory
from tests.members.sandbox_journey import join_and_pay

pytestmark = pytest.mark.django_db(transaction=True)

YEAR = timezone.localtime().year


def pdf_text(content: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return text.replace("\xa0", " ")  # money is formatted with a no-break space: "GEL 50.50"


def receipt_mails(mailoutbox, kind_words: str = "receipt"):
    return [m for m in mailoutbox if kind_words in m.subject.lower()]


def attached_pdf(message) -> bytes:
    [(name, content, mimetype)] = message.attachments
    assert mimetype == "application/pdf" and name.endswith(".pdf")
    return content


def test_a_gift_gets_one_numbered_receipt_emailed_as_the_thank_you_with_its_pdf(campaign, mailoutbox):
    give(campaign, email="nino@example.org", name="ნინო ბერიძე", gift_minor=5050)
    receipt = Receipt.objects.get()
    assert receipt.number == f"{YEAR}-000001" and receipt.kind == "original" and not receipt.is_void
    assert receipt.emailed_at is not None
    [message] = receipt_mails(mailoutbox)
    assert message.to == ["nino@example.org"]
    assert "Thank you" in message.subject and receipt.number in message.subject
    assert "Thank you" in message.body and "/receipts/" in message.body  # warm thanks and the guest link
    text = pdf_text(attached_pdf(message))
    assert receipt.number in text and "ნინო ბერიძე" in text and "GEL 50.50" in text
    assert "Caucasus Ledger Media Foundation" in text and "Gift to Keep reporters safe" in text
    assert "VOID" not in text


def test_the_receipt_shows_each_newsrooms_part_and_the_fee_the_donor_covered(campaign, mailoutbox):
    give(campaign, gift_minor=10000, cover_fee=True, name="Lasha")
    donation = Donation.objects.get()
    receipt = Receipt.objects.get()
    newsrooms = {line["name"]: line["amount_minor"] for line in receipt.lines if line["kind"] == "outlet"}
    [fee] = [line["amount_minor"] for line in receipt.lines if line["kind"] == "fee"]
    [covered] = [line["amount_minor"] for line in receipt.lines if line["kind"] == "fee_cover"]
    assert set(newsrooms) == {"Mountain Voice", "Valley Dispatch", "Border Radio"}
    assert (
        sum(newsrooms.values()) == donation.net_minor
        and sum(newsrooms.values()) + fee == receipt.amount_minor == donation.amount_minor
    )
    assert covered == donation.fee_covered_minor > 0
    text = pdf_text(attached_pdf(receipt_mails(mailoutbox)[0]))
    for name in newsrooms:
        assert name in text
    assert "cover the processing fee" in text


def test_running_the_issue_task_twice_makes_one_receipt_and_one_email(campaign, mailoutbox):
    give(campaign)
    payment = Payment.objects.get()
    tasks.issue_receipt.apply(args=[payment.pk])
    tasks.issue_receipt.apply(args=[payment.pk])
    assert Receipt.objects.count() == 1
    assert len(receipt_mails(mailoutbox)) == 1
    assert SentEmail.objects.filter(kind="donation_receipt").count() == 1


def test_a_webhook_delivered_ten_times_makes_one_receipt_and_one_email(campaign, mailoutbox):
    give(campaign)
    stored = WebhookEvent.objects.get(type="payment.succeeded")
    body = json.dumps(stored.payload).encode()
    for _ in range(10):  # the provider retrying its delivery
        response = Client().post(
            "/payments/webhooks/sandbox/", body, content_type="application/json", HTTP_SANDBOX_SIGNATURE=sign(body)
        )
        assert response.status_code == 200
    from outlet.payments import services as payments

    for _ in range(10):  # and staff pressing "process again": the handler runs, asks for the receipt again
        payments.reprocess_events(webhook_event_pks=[stored.pk])
    assert Receipt.objects.count() == 1 and Receipt.objects.get().sequence == 1
    assert len(receipt_mails(mailoutbox)) == 1


def test_numbers_count_up_without_gaps_for_each_payment(campaign):
    for email in ("a@example.org", "b@example.org", "c@example.org"):
        give(campaign, email=email)
    assert sorted(Receipt.objects.values_list("number", flat=True)) == [f"{YEAR}-00000{n}" for n in (1, 2, 3)]


def test_a_receipt_rolled_back_with_its_transaction_gives_its_number_back(campaign, monkeypatch):
    monkeypatch.setattr(receipts, "request_receipt", lambda **kwargs: None)  # issue by hand below
    give(campaign, email="a@example.org")
    give(campaign, email="b@example.org")
    first, second = Payment.objects.order_by("pk")
    with pytest.raises(RuntimeError), transaction.atomic():
        receipts.issue_receipt(payment_id=first.pk)
        raise RuntimeError("something after the receipt failed")
    assert not Receipt.objects.exists()
    receipt, created = receipts.issue_receipt(payment_id=second.pk)
    assert created and receipt.number == f"{YEAR}-000001"


def test_a_full_refund_voids_the_receipt_and_issues_no_correction(campaign, mailoutbox):
    paid = give(campaign, gift_minor=5000)
    get_provider("sandbox").refund(payment_ref=paid["payment"], amount_minor=None, idempotency_key="full")
    receipt = Receipt.objects.get()
    assert receipt.is_void and "refunded in full" in receipt.void_reason
    from outlet.receipts.pdf import render_receipt

    text = pdf_text(render_receipt(Receipt.objects.select_related("payment").get()))
    assert "VOID" in text and receipt.number in text
    assert len(receipt_mails(mailoutbox)) == 1  # the thank-you that went out before the refund; nothing more


def test_a_partial_refund_voids_the_receipt_and_emails_a_corrected_one_for_what_remains(campaign, mailoutbox):
    paid = give(campaign, gift_minor=5000, name="Ana")
    sandbox = get_provider("sandbox")
    sandbox.refund(payment_ref=paid["payment"], amount_minor=1000, idempotency_key="part-1")
    original, correction = Receipt.objects.order_by("sequence")
    assert original.is_void and correction.number in original.void_reason
    assert (correction.kind, correction.amount_minor, correction.refund_level_minor, correction.replaces_id) == (
        "correction",
        4000,
        1000,
        original.pk,
    )
    assert correction.number == f"{YEAR}-000002" and not correction.is_void
    shared = sum(line["amount_minor"] for line in correction.lines if line["kind"] in ("outlet", "fee"))
    assert shared == 4000
    [message] = [m for m in mailoutbox if "corrected receipt" in m.subject]
    text = pdf_text(attached_pdf(message))
    assert correction.number in text and original.number in text and "GEL 40" in text and "Corrected receipt" in text

    sandbox.refund(payment_ref=paid["payment"], amount_minor=500, idempotency_key="part-2")  # a second partial refund
    third = Receipt.objects.get(refund_level_minor=1500)
    assert third.amount_minor == 3500 and third.replaces_id == correction.pk
    assert Receipt.objects.get(pk=correction.pk).is_void
    assert Receipt.objects.filter(voided_at=None).count() == 1


def test_the_same_refund_reflected_twice_changes_nothing(campaign, mailoutbox):
    paid = give(campaign, gift_minor=5000)
    get_provider("sandbox").refund(payment_ref=paid["payment"], amount_minor=1000, idempotency_key="part")
    payment = Payment.objects.get()
    for _ in range(3):
        tasks.reflect_refund.apply(args=[payment.pk])
    assert Receipt.objects.count() == 2
    assert len([m for m in mailoutbox if "corrected receipt" in m.subject]) == 1


def test_a_refund_processed_before_the_receipt_still_leaves_exactly_one_original(campaign, mailoutbox, monkeypatch):
    monkeypatch.setattr(receipts, "request_receipt", lambda **kwargs: None)  # the issue task is late
    paid = give(campaign, gift_minor=5000)
    get_provider("sandbox").refund(payment_ref=paid["payment"], amount_minor=2000, idempotency_key="early")
    payment = Payment.objects.get()
    tasks.issue_receipt.apply(args=[payment.pk])  # it arrives after all
    assert Receipt.objects.filter(kind="original").count() == 1 and Receipt.objects.get(kind="original").is_void
    assert Receipt.objects.get(kind="correction").amount_minor == 3000
    assert [m.subject for m in mailoutbox if "receipt" in m.subject.lower()] == [
        m.subject for m in mailoutbox if "corrected receipt" in m.subject
    ]  # only the receipt in force was emailed


def test_a_membership_charge_gets_a_membership_receipt(priced_tiers, mailoutbox):
    user = UserFactory(username="aram", email="aram@example.org", first_name="Արամ", last_name="Պետրոսյան")
    client = Client()
    client.force_login(user)
    join_and_pay(client, tier="supporter", interval="month", currency="GEL")
    payment = Payment.objects.get(purpose="membership")
    receipt = Receipt.objects.get(payment=payment)
    assert (receipt.amount_minor, receipt.currency, receipt.donor_email) == (1500, "GEL", "aram@example.org")
    assert receipt.donor_name == "Արամ Պետրոսյան" and receipt.lines == []
    [message] = [m for m in mailoutbox if "membership receipt" in m.subject]
    text = pdf_text(attached_pdf(message))
    assert receipt.number in text and "Արամ Պետրոսյան" in text and "GEL 15" in text


def test_a_refunded_membership_charge_voids_its_receipt(priced_tiers):
    user = UserFactory(username="giorgi", email="giorgi@example.org")
    client = Client()
    client.force_login(user)
    join_and_pay(client)
    payment = Payment.objects.get(purpose="membership")
    get_provider("sandbox").refund(payment_ref=payment.provider_ref, amount_minor=None, idempotency_key="m")
    assert Receipt.objects.get(payment=payment).is_void


def test_a_receipt_whose_queueing_was_lost_is_issued_by_the_sweep(campaign, monkeypatch, mailoutbox):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.issue_receipt, "delay", broker_down)
    give(campaign)
    assert Donation.objects.count() == 1 and not Receipt.objects.exists()  # the gift is safe; the receipt waits
    monkeypatch.undo()
    assert receipts.sweep()["issue_receipt"] == 0  # too recent: the normal path may still be on its way
    counts = receipts.sweep(now=timezone.now() + timedelta(minutes=10))
    assert counts["issue_receipt"] == 1
    assert Receipt.objects.count() == 1 and len(receipt_mails(mailoutbox)) == 1
    assert receipts.sweep(now=timezone.now() + timedelta(minutes=10)) == {
        "issue_receipt": 0,
        "reflect_refund": 0,
        "email_receipt": 0,
    }


def test_a_mail_server_failure_is_retried_and_the_receipt_is_sent_once(campaign, monkeypatch, mailoutbox):
    monkeypatch.setattr(receipts, "request_receipt", lambda **kwargs: None)  # run the task by hand below
    give(campaign)
    real_send = EmailMultiAlternatives.send
    failures = {"left": 2}

    def flaky_send(self, *args, **kwargs):
        if failures["left"]:
            failures["left"] -= 1
            raise SMTPServerDisconnected("Connection unexpectedly closed")
        return real_send(self, *args, **kwargs)

    monkeypatch.setattr(EmailMultiAlternatives, "send", flaky_send)
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", False)  # let apply() run the retries in-process
    result = tasks.issue_receipt.apply(args=[Payment.objects.get().pk])
    assert result.successful() and failures["left"] == 0
    assert Receipt.objects.count() == 1 and Receipt.objects.get().emailed_at is not None
    assert len(receipt_mails(mailoutbox)) == 1 and SentEmail.objects.filter(kind="donation_receipt").count() == 1


def test_staff_resending_sends_a_new_email_each_time_and_records_who_asked(campaign, mailoutbox, caplog):
    give(campaign)
    receipt = Receipt.objects.get()
    staff = UserFactory(username="editor", is_staff=True)
    with caplog.at_level("INFO", logger="outlet.receipts.services"):
        receipts.resend_receipt(receipt_id=receipt.pk, staff_user_id=staff.pk)
        receipts.resend_receipt(receipt_id=receipt.pk, staff_user_id=staff.pk)
    assert len(receipt_mails(mailoutbox)) == 3
    assert SentEmail.objects.filter(key__contains=f"resend-by-{staff.pk}-").count() == 2
    assert f"staff user {staff.pk} asked to resend receipt {receipt.number}" in caplog.text
    assert Receipt.objects.count() == 1


def test_a_full_refund_asked_again_with_its_key_gets_the_same_refund_not_an_error(campaign):
    """As at Stripe: the idempotency key is honoured before any check, so a repeated request is answered, not
    refused."""
    paid = give(campaign, gift_minor=5000)
    sandbox = get_provider("sandbox")
    first = sandbox.refund(payment_ref=paid["payment"], amount_minor=5000, idempotency_key="full-once")
    assert sandbox.refund(payment_ref=paid["payment"], amount_minor=5000, idempotency_key="full-once") == first
    assert Payment.objects.get().amount_refunded_minor == 5000
    with pytest.raises(ProviderError, match="more than what is left"):
        sandbox.refund(payment_ref=paid["payment"], amount_minor=5000, idempotency_key="full-again")
