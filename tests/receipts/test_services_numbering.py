"""Receipt numbers under concurrency, on the real PostgreSQL: gap-free, never duplicated, one receipt per payment."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from outlet.payments.models import Payment
from outlet.receipts import services as receipts
from outlet.receipts.models import Receipt, ReceiptSequence

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

THREADS = 8


def make_payments(count: int) -> list[int]:
    now = timezone.now() - timedelta(minutes=1)
    return [
        Payment.objects.create(
            provider="sandbox",
            provider_ref=f"pi_numbering_{i}",
            purpose="membership",
            email=f"m{i}@example.org",
            amount_minor=1500,
            currency="GEL",
            description="Supporter membership (monthly)",
            paid_at=now,
        ).pk
        for i in range(count)
    ]


def run_together(work, items) -> list[BaseException]:
    """Each item in its own thread with its own database connection, all released at once by a barrier."""
    barrier = threading.Barrier(len(items))
    errors: list[BaseException] = []

    def worker(item):
        try:
            barrier.wait(timeout=30)
            work(item)
        except BaseException as exc:  # noqa: BLE001  (reported to the test below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_receipts_issued_concurrently_for_distinct_payments_are_numbered_one_to_n_without_gaps(real_postgres):
    payment_ids = make_payments(THREADS * 5)
    batches = [payment_ids[i::THREADS] for i in range(THREADS)]  # each thread issues five, racing the others

    def issue_batch(batch):
        for payment_id in batch:
            receipts.issue_receipt(payment_id=payment_id)

    assert run_together(issue_batch, batches) == []
    sequences = sorted(Receipt.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, len(payment_ids) + 1))
    year = timezone.localtime().year
    assert sorted(Receipt.objects.values_list("number", flat=True)) == [f"{year}-{n:06d}" for n in sequences]
    assert ReceiptSequence.objects.get(issuer="CL", year=year).last_number == len(payment_ids)
    assert Receipt.objects.values("payment").distinct().count() == len(payment_ids)


def test_concurrent_tasks_for_one_payment_make_one_receipt_and_use_one_number(real_postgres):
    [payment_id] = make_payments(1)
    results: list[tuple] = []
    errors = run_together(lambda _: results.append(receipts.issue_receipt(payment_id=payment_id)), range(THREADS))
    assert errors == []
    assert Receipt.objects.count() == 1
    assert sum(created for _, created in results) == 1 and {receipt.pk for receipt, _ in results} == {
        Receipt.objects.get().pk
    }
    assert ReceiptSequence.objects.get().last_number == 1  # the losers took no number: nothing to leave a gap


def test_concurrent_refund_reflections_make_one_correction(real_postgres):
    [payment_id] = make_payments(1)
    receipts.issue_receipt(payment_id=payment_id)
    Payment.objects.filter(pk=payment_id).update(amount_refunded_minor=500, status="partially_refunded")
    assert run_together(lambda _: receipts.apply_refund(payment_id=payment_id), range(THREADS)) == []
    assert Receipt.objects.filter(kind="correction").count() == 1
    assert Receipt.objects.filter(voided_at=None).get().amount_minor == 1000
    assert sorted(Receipt.objects.values_list("sequence", flat=True)) == [1, 2]


def test_the_first_receipts_of_a_new_year_start_at_one_even_when_they_race(real_postgres, settings):
    settings.RECEIPT_ISSUER = {**settings.RECEIPT_ISSUER, "code": "NEWORG"}  # no sequence row yet: they race to make it
    payment_ids = make_payments(THREADS)
    assert run_together(lambda payment_id: receipts.issue_receipt(payment_id=payment_id), payment_ids) == []
    assert sorted(Receipt.objects.values_list("sequence", flat=True)) == list(range(1, THREADS + 1))
    assert ReceiptSequence.objects.filter(issuer="NEWORG").count() == 1
