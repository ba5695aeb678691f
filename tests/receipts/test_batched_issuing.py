"""A task that makes its payment's receipt also makes those of the payments waiting just behind it, numbered in
one block (services.issue_receipts), and workers share the emailing: on the real PostgreSQL, with threads standing
in for worker processes. What must hold: numbers gap-free, one receipt per payment, one email per receipt, the same
words as a receipt issued alone, and a payment or receipt another worker holds is skipped, never waited for."""

from __future__ import annotations

import threading
from smtplib import SMTPServerDisconnected

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection, transaction

from outlet.common.models import SentEmail
from outlet.payments.models import Payment
from outlet.receipts import describers, tasks
from outlet.receipts import services as receipts
from outlet.receipts.models import Receipt, ReceiptSequence
from tests.donations.conftest import give
from tests.receipts.test_mail_connection import CountingBackend, counting  # noqa: F401  (the fixture)
from tests.receipts.test_services_numbering import run_together

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def waiting_gifts(campaign, real_postgres):
    """Gifts recorded with their receipts not yet issued (their tasks queued), in payment order."""

    def make(count: int) -> list[int]:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(receipts, "request_receipt", lambda **kwargs: None)
            for number in range(count):
                give(
                    campaign,
                    email=f"donor{number}@example.org",
                    gift_minor=1000 + 100 * number,
                    cover_fee=number % 2 == 0,
                )
        return list(Payment.objects.order_by("pk").values_list("pk", flat=True))

    return make


def sequences() -> list[tuple[int, int]]:
    return list(Receipt.objects.order_by("sequence").values_list("payment_id", "sequence"))


@pytest.fixture
def queued(monkeypatch):
    """Tasks queued and not run (the broker, held still): (task name, *args) in order. Run them by hand."""
    sent: list[tuple] = []

    def record(task_name, *args, **kwargs):
        sent.append((task_name, *args))
        return True

    monkeypatch.setattr(receipts, "_enqueue", record)
    return sent


def test_a_task_issues_the_receipts_waiting_behind_its_own_in_one_block_and_queues_the_next_block(
    waiting_gifts, monkeypatch, mailoutbox, queued, django_assert_num_queries
):
    monkeypatch.setattr(receipts, "ISSUE_BATCH", 4)
    payment_ids = waiting_gifts(6)
    assert tasks.issue_receipt(payment_ids[0]) is not None
    assert sequences() == list(zip(payment_ids[:4], range(1, 5), strict=True)), "numbered in payment order"
    assert sorted(m.to[0] for m in mailoutbox) == [f"donor{n}@example.org" for n in range(4)]
    assert queued == [("issue_receipt", payment_ids[3])], "a full batch queues the next, from its last payment"
    assert cache.get(receipts.ISSUE_QUEUED_KEY) == payment_ids[3]
    tasks.issue_receipt(payment_ids[3])  # that task: its own receipt is made, the two behind it wait
    assert sequences()[4:] == [(payment_ids[4], 5), (payment_ids[5], 6)]
    assert len(queued) == 1, "a batch that is not full queues nothing"
    assert cache.get(receipts.ISSUE_QUEUED_KEY) is None, "a started task clears the key"
    for payment_id in payment_ids:  # a task asked for again (a replayed event): two plain reads, nothing made
        with django_assert_num_queries(2):
            tasks.issue_receipt(payment_id)
    assert ReceiptSequence.objects.get().last_number == 6, "no number taken by a task that found its receipt"
    assert Receipt.objects.filter(emailed_at=None).count() == 0 and len(mailoutbox) == 6


def test_a_burst_of_payments_queues_one_task_per_batch_and_each_payment_gets_one_receipt_and_one_email(
    waiting_gifts, monkeypatch, mailoutbox, queued
):
    monkeypatch.setattr(receipts, "ISSUE_BATCH", 4)
    payment_ids = waiting_gifts(10)
    for payment_id in payment_ids:  # the payment pipeline, each on its commit
        receipts.request_receipt(payment_id=payment_id)
    assert queued == [("issue_receipt", payment_ids[0])], "the first task is left to take the others"
    ran = 0
    while ran < len(queued):
        tasks.issue_receipt(*queued[ran][1:])
        ran += 1
    assert queued == [("issue_receipt", payment_ids[n]) for n in (0, 3, 7)]
    assert sequences() == list(zip(payment_ids, range(1, 11), strict=True))
    assert sorted(m.to[0] for m in mailoutbox) == sorted(f"donor{n}@example.org" for n in range(10))
    assert SentEmail.objects.filter(kind="donation_receipt").count() == 10


def test_a_batch_whose_first_payments_were_made_meanwhile_goes_on_to_those_behind_them(
    waiting_gifts, monkeypatch, mailoutbox, queued
):
    """Seen once in the benchmark (payment 6267 of 10,000 waited for the sweep). A batch's statement saw payments
    waiting that another worker's batch committed receipts for before this one reached them (READ COMMITTED: the
    snapshot is the statement's start). Dropped, they had used up the batch's LIMIT: the batch came back short,
    queued no next task, and the payment just past them was nobody's."""
    monkeypatch.setattr(receipts, "ISSUE_BATCH", 4)
    payment_ids = waiting_gifts(8)
    receipts.issue_receipts(payment_id=payment_ids[1], batch=3)  # the other worker's batch: payments 1-3
    behind = receipts._waiting_behind
    with monkeypatch.context() as stale:  # the statement's snapshot predates that batch's commit
        stale.setattr(
            receipts,
            "_waiting_behind",
            lambda payment_id: Payment.objects.filter(pk__gt=payment_id, pk__lte=payment_id + receipts.ISSUE_LOOKAHEAD),
        )
        tasks.issue_receipt(payment_ids[0])
    assert receipts._waiting_behind is behind
    assert sequences()[3:] == [(payment_ids[n], number) for n, number in ((0, 4), (4, 5), (5, 6), (6, 7))], (
        "the batch went on past the three made meanwhile"
    )
    assert queued == [("issue_receipt", payment_ids[6])], "a full batch, so the next is queued"
    tasks.issue_receipt(payment_ids[6])
    assert sorted(payment_id for payment_id, _number in sequences()) == payment_ids
    assert [number for _payment, number in sequences()] == list(range(1, 9)), "gap-free"
    assert len(mailoutbox) == 5 and Receipt.objects.filter(emailed_at=None).count() == 3, "the other batch's to send"


def test_a_payment_the_queued_task_may_not_see_queues_a_task_of_its_own(waiting_gifts, monkeypatch, queued):
    """Recorded after that task started (it no longer looks), further on than its lookahead, or before its payment
    (committed later): each of these is queued, never left waiting for the sweep."""
    monkeypatch.setattr(receipts, "ISSUE_LOOKAHEAD", 2)
    payment_ids = waiting_gifts(5)
    receipts.request_receipt(payment_id=payment_ids[1])
    receipts.request_receipt(payment_id=payment_ids[1])  # the same payment again: its task is queued already
    receipts.request_receipt(payment_id=payment_ids[3])  # within the lookahead: left to it
    receipts.request_receipt(payment_id=payment_ids[0])  # an earlier payment, committed later
    assert [args[1] for args in queued] == [payment_ids[1], payment_ids[0]]
    receipts.request_receipt(payment_id=payment_ids[4])  # beyond payment_ids[0]'s lookahead
    assert [args[1] for args in queued] == [payment_ids[1], payment_ids[0], payment_ids[4]]
    tasks.issue_receipt(payment_ids[4])
    receipts.request_receipt(payment_id=payment_ids[4])  # after its task started: the key is gone
    assert [args[1] for args in queued][-1] == payment_ids[4] and len(queued) == 4


def test_when_the_task_cannot_be_queued_no_payment_is_left_to_it(waiting_gifts, monkeypatch):
    from kombu.exceptions import OperationalError

    payment_ids = waiting_gifts(2)
    tried: list[int] = []

    def broker_down(payment_id):
        tried.append(payment_id)
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.issue_receipt, "delay", broker_down)
    for payment_id in payment_ids:
        receipts.request_receipt(payment_id=payment_id)
    assert tried == payment_ids, "each tried its own: the sweep will find both"
    assert cache.get(receipts.ISSUE_QUEUED_KEY) is None


def test_a_receipt_issued_in_a_batch_says_what_it_would_say_issued_alone(waiting_gifts):
    payment_ids = waiting_gifts(4)
    receipts.issue_receipts(payment_id=payment_ids[0], batch=4)
    batched = {r.payment_id: r for r in Receipt.objects.all()}
    Receipt.objects.all().delete()
    for payment_id in payment_ids:
        receipts.issue_receipt(payment_id=payment_id)
    alone = {r.payment_id: r for r in Receipt.objects.all()}
    fields = ("donor_name", "donor_email", "description", "amount_minor", "currency", "lines", "language")
    for payment_id in payment_ids:
        assert [getattr(batched[payment_id], f) for f in fields] == [getattr(alone[payment_id], f) for f in fields]
    assert any(line["kind"] == "fee_cover" for line in alone[payment_ids[0]].lines), "the covered fee is there"
    assert sum(line["kind"] == "outlet" for line in alone[payment_ids[1]].lines) >= 2, "each newsroom's part"


def test_prepare_reads_a_batch_of_gifts_in_two_queries(waiting_gifts, django_assert_num_queries):
    payment_ids = waiting_gifts(5)
    payments = list(Payment.objects.filter(pk__in=payment_ids))
    with django_assert_num_queries(2):
        describers.prepare(payments)
    with django_assert_num_queries(0):
        for payment in payments:
            describers.describer_for(payment.purpose).describe(payment, 0)


def test_a_payment_another_worker_holds_is_skipped_not_waited_for(waiting_gifts):
    payment_ids = waiting_gifts(5)
    held, release = threading.Event(), threading.Event()

    def hold_the_second():
        with transaction.atomic():
            Payment.objects.select_for_update().get(pk=payment_ids[1])
            held.set()
            release.wait(timeout=30)
        connection.close()

    holder = threading.Thread(target=hold_the_second)
    holder.start()
    assert held.wait(timeout=10)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '5s'")  # a wait would fail the test rather than hang it
        _, made = receipts.issue_receipts(payment_id=payment_ids[0], batch=5)
    finally:
        release.set()
        holder.join(timeout=30)
    assert [r.payment_id for r in made] == [payment_ids[0], *payment_ids[2:]]
    own, made = receipts.issue_receipts(payment_id=payment_ids[1], batch=5)  # its own task, once the holder is done
    assert [r.payment_id for r in made] == [payment_ids[1]] and own.sequence == 5
    assert sorted(sequence for _, sequence in sequences()) == [1, 2, 3, 4, 5]


def test_workers_walking_the_same_queue_make_one_receipt_and_one_email_each_without_gaps(
    waiting_gifts, monkeypatch, mailoutbox
):
    monkeypatch.setattr(receipts, "ISSUE_BATCH", 5)
    payment_ids = waiting_gifts(24)

    def worker(offset: int) -> None:  # each starts at its own place in the queue, as prefetched tasks do
        for payment_id in payment_ids[offset:] + payment_ids[:offset]:
            tasks.issue_receipt(payment_id)

    assert run_together(worker, [0, 1, 2, 7]) == []
    assert sorted(sequence for _, sequence in sequences()) == list(range(1, 25))
    assert Receipt.objects.values("payment").distinct().count() == 24
    assert SentEmail.objects.filter(kind="donation_receipt").count() == 24
    assert sorted(m.to[0] for m in mailoutbox) == sorted(f"donor{n}@example.org" for n in range(24))
    assert not Receipt.objects.filter(emailed_at=None).exists()


def test_a_receipt_another_worker_is_emailing_is_skipped_and_sent_if_that_send_fails(waiting_gifts, mailoutbox):
    [payment_id] = waiting_gifts(1)
    receipt, _ = receipts.issue_receipts(payment_id=payment_id)
    held, release = threading.Event(), threading.Event()

    def sending_and_failing():
        with transaction.atomic():
            Receipt.objects.select_for_update().get(pk=receipt.pk)
            held.set()
            release.wait(timeout=30)
            transaction.set_rollback(True)  # its send failed
        connection.close()

    holder = threading.Thread(target=sending_and_failing)
    holder.start()
    assert held.wait(timeout=10)
    try:
        assert receipts.email_issued(receipt) is False, "skipped while another worker holds it"
    finally:
        release.set()
        holder.join(timeout=30)
    assert mailoutbox == []
    assert receipts.email_issued(receipt) is True and len(mailoutbox) == 1
    assert receipts.email_issued(receipt) is False and receipts.email_receipt(receipt_id=receipt.pk) is False
    assert len(mailoutbox) == 1


@pytest.mark.usefixtures("counting")  # Django's in-memory backend behind the held connection, as in production
@pytest.mark.parametrize("refused", [1, 2], ids=["the task's own receipt", "a receipt behind it"])
def test_a_send_failing_mid_batch_hands_the_rest_to_email_tasks_of_their_own_each_sent_once(
    waiting_gifts, monkeypatch, queued, refused
):
    monkeypatch.setattr(receipts, "ISSUE_BATCH", 4)
    payment_ids = waiting_gifts(4)
    mail.outbox.clear()

    real_send = CountingBackend.send_messages
    sent = {"count": 0}

    def refuse_one(self, messages):
        sent["count"] += 1
        if sent["count"] == refused:
            raise SMTPServerDisconnected("Connection unexpectedly closed")
        return real_send(self, messages)

    monkeypatch.setattr(CountingBackend, "send_messages", refuse_one)
    with pytest.raises(SMTPServerDisconnected):  # raised for the task's retry, which sends its own receipt
        tasks.issue_receipt(payment_ids[0])
    assert Receipt.objects.count() == 4, "the batch's receipts stay issued"
    emailed = list(Receipt.objects.exclude(emailed_at=None).values_list("payment_id", flat=True))
    assert emailed == payment_ids[: refused - 1], "the refused send's claim rolled back"
    handed = [args[1] for args in queued if args[0] == "email_receipt"]
    assert handed == [Receipt.objects.get(payment_id=pk).pk for pk in payment_ids[1:]]
    for receipt_id in handed:
        tasks.email_receipt(receipt_id)
    tasks.issue_receipt(payment_ids[0])  # the first task's retry
    assert not Receipt.objects.filter(emailed_at=None).exists()
    assert sorted(m.to[0] for m in mail.outbox) == [f"donor{n}@example.org" for n in range(4)]
    assert SentEmail.objects.filter(kind="donation_receipt").count() == 4


def test_a_receipt_voided_before_its_batch_emailed_it_is_not_sent(waiting_gifts, mailoutbox):
    payment_ids = waiting_gifts(2)
    _, made = receipts.issue_receipts(payment_id=payment_ids[0], batch=2)
    Receipt.objects.filter(pk=made[1].pk).update(voided_at=made[1].issued_at, void_reason="refunded in full")
    assert [receipts.email_issued(receipt) for receipt in made] == [True, False]
    assert [m.to[0] for m in mailoutbox] == ["donor0@example.org"]


def test_a_receipts_email_is_sent_in_its_claims_transaction_with_no_savepoint(waiting_gifts, mailoutbox):
    """The claim, the SentEmail row and the send share one transaction that exists for this send: a savepoint
    inside it would cost two more round trips per receipt and protect nothing (a failure ends the transaction;
    test_a_send_failing_mid_batch_hands_the_rest... shows the claim and the row both roll back)."""
    from django.test.utils import CaptureQueriesContext

    payment_ids = waiting_gifts(1)
    receipt, _ = receipts.issue_receipts(payment_id=payment_ids[0])
    with CaptureQueriesContext(connection) as statements:
        assert receipts.email_issued(receipt) is True
    said = [query["sql"].split()[0].upper() for query in statements.captured_queries]
    assert "SAVEPOINT" not in said and "RELEASE" not in said, said
    assert said.count("UPDATE") == 1 and said.count("INSERT") == 1, said
    assert len(mailoutbox) == 1 and SentEmail.objects.filter(kind="donation_receipt").count() == 1
