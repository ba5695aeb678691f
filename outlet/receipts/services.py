"""Receipts: numbered, gap-free per issuer and year, one per payment state, issued by a Celery task.

Every Payment (a gift or a membership charge) gets one original receipt. What it says about the payment (who
paid, for what, how a gift is shared) is the describer's that the payment's product registered
(outlet.receipts.describers): this package imports no product. A refund voids the receipt in force; a
partial refund also issues a correction receipt for what remains (one per refund level). Numbers come from the
ReceiptSequence row, locked in the same transaction as the Receipt insert, so a rolled-back receipt gives its
number back. Work on one payment is serialised by locking the Payment row first, so two tasks for one payment
(a retry, a duplicated webhook, the sweep) find each other's receipt instead of making a second one.

Emails go out in a separate, later transaction through outlet.common.emails._send_once keyed by the receipt number, with
the Receipt row locked: a retried task finds the SentEmail row (or emailed_at) and sends nothing twice.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError

from outlet.common import emails, languages
from outlet.common.money import format_money
from outlet.payments.models import Payment
from outlet.receipts import describers
from outlet.receipts.models import Receipt, ReceiptSequence

logger = logging.getLogger(__name__)

LINK_SALT = "donations.receipts.guest-link"  # its name before the move: links already emailed keep working
# A payment this old with no receipt (or a refund not reflected, or a receipt not emailed) was lost on the way.
SWEEP_AFTER = timedelta(minutes=5)
SWEEP_BATCH = 500
# A task that makes its payment's receipt also makes those of up to ISSUE_BATCH - 1 payments recorded just after it
# (at most ISSUE_LOOKAHEAD ids on) that still wait: a burst of gifts costs a few statements per batch, not a dozen
# per receipt. Each batch holds its payments' locks only while it describes and inserts them.
ISSUE_BATCH = 25
ISSUE_LOOKAHEAD = 500
# A burst of payments queues one issuing task per batch, not one per payment: this shared cache key holds the payment
# id of the issuing task queued last and not yet started. A payment recorded within ISSUE_LOOKAHEAD ids after it is
# left to that task, which deletes the key before it looks for waiting payments, so it sees every payment that
# found the key. A task whose batch is full queues the next batch's task itself. Losing the key (Redis down,
# expiry) only means more tasks; a task lost with its key set is the sweep's, as any lost enqueue is.
ISSUE_QUEUED_KEY = "receipts:issue-queued"
ISSUE_QUEUED_SECONDS = 300


# --- Queueing (called by the payment handlers, inside their transaction) ------------------------------------


def request_receipt(*, payment_id: int) -> None:
    """Queue the receipt for a recorded payment after the current transaction commits. Safe to call again."""
    transaction.on_commit(lambda: _request_issue(payment_id))


def reflect_refund(*, payment_id: int) -> None:
    """Queue voiding (and, for a partial refund, correcting) the payment's receipt after commit."""
    transaction.on_commit(lambda: _enqueue("reflect_refund", payment_id))


class ReceiptsFollowPayments:
    """Registered with the payment pipeline: every payment it records gets a receipt, every refund voids or
    corrects it (both idempotent, so a replayed event re-requests only what got lost)."""

    def payment_recorded(self, *, payment_id: int) -> None:
        request_receipt(payment_id=payment_id)

    def refund_recorded(self, *, payment_id: int) -> None:
        reflect_refund(payment_id=payment_id)


RECEIPTS_FOLLOW_PAYMENTS = ReceiptsFollowPayments()


def _request_issue(payment_id: int) -> None:
    """After the payment's commit: its issuing task, unless one queued and not yet started will take it."""
    queued_for = cache.get(ISSUE_QUEUED_KEY)
    if isinstance(queued_for, int) and queued_for <= payment_id <= queued_for + ISSUE_LOOKAHEAD:
        return
    _queue_issue(payment_id)


def _queue_issue(payment_id: int) -> None:
    """The key first, then the task: a task started before the key was written would leave it standing."""
    cache.set(ISSUE_QUEUED_KEY, payment_id, ISSUE_QUEUED_SECONDS)
    queued = False
    try:
        queued = _enqueue("issue_receipt", payment_id)
    finally:
        if not queued:  # no task will clear it: the payments it would turn away must queue their own
            cache.delete(ISSUE_QUEUED_KEY)


def _enqueue(task_name: str, *args: int, **kwargs: str) -> bool:
    from outlet.receipts import tasks

    try:
        getattr(tasks, task_name).delay(*args, **kwargs)
    except (OperationalError, OSError):  # broker down: sweep_receipts re-derives the work from the database
        logger.warning("could not enqueue %s%s; the receipt sweep will retry it", task_name, args, exc_info=True)
        return False
    return True


# --- Issuing ------------------------------------------------------------------------------------------------


def issuer_code() -> str:
    return settings.RECEIPT_ISSUER["code"]


def _allocate_numbers(*, issuer: str, year: int, count: int = 1) -> int:
    """The first of `count` consecutive numbers for this issuer and year: one UPDATE .. RETURNING that takes the
    sequence row's lock (held to commit, so rolled-back receipts give their numbers back) and the numbers together.
    A batch of receipts takes its block in one statement, so the lock is held only from here to its commit. The
    first receipt of a year creates the row (INSERT .. ON CONFLICT DO NOTHING: a concurrent first waits for that
    insert to commit) and asks again."""
    table = connection.ops.quote_name(ReceiptSequence._meta.db_table)
    with connection.cursor() as cursor:
        for _attempt in range(2):
            cursor.execute(
                f"UPDATE {table} SET last_number = last_number + %s WHERE issuer = %s AND year = %s "
                "RETURNING last_number",
                [count, issuer, year],
            )
            row = cursor.fetchone()
            if row is not None:
                return int(row[0]) - count + 1
            ReceiptSequence.objects.bulk_create([ReceiptSequence(issuer=issuer, year=year)], ignore_conflicts=True)
    raise RuntimeError(f"no receipt sequence row for {issuer} {year}")  # pragma: no cover - the insert made it


def _unnumbered(
    *,
    payment: Payment,
    kind: str,
    amount_minor: int,
    issued_at: datetime,
    refund_level_minor: int = 0,
    replaces: Receipt | None = None,
) -> Receipt:
    """A receipt with its words (in the payer's language, copied on: they never change), not yet numbered."""
    describer = describers.describer_for(payment.purpose)
    language = languages.supported(describer.language(payment))
    with translation.override(language):  # the receipt's words are the payer's, and stay so
        content = describer.describe(payment, refund_level_minor)
    return Receipt(
        payment=payment,
        kind=kind,
        refund_level_minor=refund_level_minor,
        replaces=replaces,
        donor_name=content.name[:150],
        donor_email=content.email,
        description=content.description[:300],
        amount_minor=amount_minor,
        currency=payment.currency,
        lines=content.lines,
        issued_at=issued_at,
        access_key=secrets.token_urlsafe(24),
        language=language,
    )


def _number_and_save(receipts: list[Receipt]) -> list[Receipt]:
    """Numbers the receipts in order, from one block of the sequence, and inserts them in one statement. Last in
    the transaction on purpose: the sequence row stays locked from here to the commit, and no longer."""
    if not receipts:
        return []
    year = timezone.localtime(receipts[0].issued_at).year
    issuer = issuer_code()
    first = _allocate_numbers(issuer=issuer, year=year, count=len(receipts))
    for offset, receipt in enumerate(receipts):
        receipt.issuer, receipt.year, receipt.sequence = issuer, year, first + offset
        receipt.number = f"{year}-{first + offset:06d}"
    return Receipt.objects.bulk_create(receipts)


def _create(
    *, payment: Payment, kind: str, amount_minor: int, refund_level_minor: int = 0, replaces: Receipt | None = None
) -> Receipt:
    receipt = _unnumbered(
        payment=payment,
        kind=kind,
        amount_minor=amount_minor,
        issued_at=timezone.now(),
        refund_level_minor=refund_level_minor,
        replaces=replaces,
    )
    return _number_and_save([receipt])[0]


def issue_receipt(*, payment_id: int) -> tuple[Receipt | None, bool]:
    """The payment's original receipt, made once. Returns (receipt, created); (None, False) for no payment."""
    receipt, made = issue_receipts(payment_id=payment_id)
    return receipt, bool(made)


def issue_receipts(*, payment_id: int, batch: int = 1) -> tuple[Receipt | None, list[Receipt]]:
    """The payment's original receipt, made once; and with batch > 1, also the receipts of the payments recorded
    just after it that still wait for theirs (up to batch receipts made in all), numbered in one block. The issuing
    task's payment may have its receipt already (a batch before it made it) and still find payments waiting
    behind it: those it left to this task (_request_issue).

    Returns (the payment's receipt, the receipts made now); (None, []) for no payment. The payment's own lock is
    waited for (a task retried, the sweep and a refund take it too, and must find one receipt); the others are
    taken with SKIP LOCKED, so two workers batching side by side never wait for, nor share, a payment. Each one
    locked is checked again for a receipt, which a batch that committed meanwhile may have made. A receipt, once
    made, is never deleted: one already there is read with no lock, and with nothing waiting behind it (a plain
    read too) no transaction is opened."""
    existing = Receipt.objects.filter(payment_id=payment_id, kind=Receipt.Kind.ORIGINAL).first()
    if existing is not None and (batch == 1 or not _any_waiting_after(payment_id)):
        return existing, []
    with transaction.atomic():
        payments: list[Payment] = []
        if existing is None:
            payment = Payment.objects.select_for_update().filter(pk=payment_id).first()
            if payment is None:
                return None, []
            existing = Receipt.objects.filter(payment=payment, kind=Receipt.Kind.ORIGINAL).first()
            if existing is None:
                payments.append(payment)
        if batch > len(payments):
            payments += _waiting_after(payment_id, limit=batch - len(payments))
        if not payments:
            return existing, []
        if len(payments) > 1:
            describers.prepare(payments)
        now = timezone.now()
        made = _number_and_save(
            [
                _unnumbered(
                    payment=waiting, kind=Receipt.Kind.ORIGINAL, amount_minor=waiting.amount_minor, issued_at=now
                )
                for waiting in payments
            ]
        )
        return existing or made[0], made


def issue_and_email(*, payment_id: int) -> Receipt | None:
    """What the issuing task does: the payment's receipt, with those of the payments waiting behind it
    (issue_receipts), each emailed once (email_issued). A full batch queues the next one's task before emailing,
    for the other worker process to take while this one sends. A failed send hands the batch's other unsent
    receipts to email tasks of their own (each retried with its own backoff) and raises, for this task's retry to
    send the payment's own."""
    cache.delete(ISSUE_QUEUED_KEY)  # first: every payment that found the key is committed, and seen below
    receipt, made = issue_receipts(payment_id=payment_id, batch=ISSUE_BATCH)
    if len(made) >= ISSUE_BATCH:
        _queue_issue(made[-1].payment_id)
    to_email = made or ([receipt] if receipt is not None else [])
    for position, each in enumerate(to_email):
        try:
            email_issued(each)
        except Exception:
            for left in to_email[position:]:
                if left.payment_id != payment_id:
                    _enqueue("email_receipt", left.pk)
            raise
    return receipt


def _waiting_behind(payment_id: int) -> QuerySet[Payment]:
    """Payments recorded just after this one (within ISSUE_LOOKAHEAD ids) with no original receipt."""
    has_original = Receipt.objects.filter(payment=OuterRef("pk"), kind=Receipt.Kind.ORIGINAL)
    return Payment.objects.filter(pk__gt=payment_id, pk__lte=payment_id + ISSUE_LOOKAHEAD).filter(~Exists(has_original))


def _any_waiting_after(payment_id: int) -> bool:
    """A plain read: does any payment wait just behind this one?"""
    return _waiting_behind(payment_id).exists()


def _waiting_after(payment_id: int, *, limit: int) -> list[Payment]:
    """Up to `limit` of those waiting just behind this payment, locked for this transaction. Those another
    transaction holds are skipped (it makes them). Those whose receipt a batch committed after the statement's
    snapshot are dropped, and the search goes on past them: so a batch comes back short only when nothing it could
    take waits in its window. A short batch queues no next task (issue_and_email), so before this a batch whose
    LIMIT such payments used up left the payment just past them to the sweep (seen once in the benchmark)."""
    taken: list[Payment] = []
    after = payment_id
    while len(taken) < limit:
        wanted = limit - len(taken)
        waiting = list(
            _waiting_behind(payment_id).filter(pk__gt=after).select_for_update(skip_locked=True).order_by("pk")[:wanted]
        )
        if not waiting:
            break
        made_meanwhile = set(
            Receipt.objects.filter(payment__in=waiting, kind=Receipt.Kind.ORIGINAL).values_list("payment_id", flat=True)
        )
        taken += [payment for payment in waiting if payment.pk not in made_meanwhile]
        if len(waiting) < wanted:
            break
        after = waiting[-1].pk
    return taken


def apply_refund(*, payment_id: int) -> Receipt | None:
    """Bring the receipts in line with the payment's cumulative refund: void the receipt in force and, if money
    remains, issue a correction for it. Returns a new correction receipt (to email), else None. Idempotent."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().filter(pk=payment_id).first()
        if payment is None:
            return None
        if not Receipt.objects.filter(payment=payment, kind=Receipt.Kind.ORIGINAL).exists():
            _create(payment=payment, kind=Receipt.Kind.ORIGINAL, amount_minor=payment.amount_minor)
        refunded = payment.amount_refunded_minor
        current = Receipt.objects.filter(payment=payment, voided_at=None).order_by("-refund_level_minor", "-pk").first()
        if refunded <= 0 or current is None or current.refund_level_minor >= refunded:
            return None
        now = timezone.now()
        correction = None
        if refunded < payment.amount_minor:
            correction = _create(
                payment=payment,
                kind=Receipt.Kind.CORRECTION,
                amount_minor=payment.amount_minor - refunded,
                refund_level_minor=refunded,
                replaces=current,
            )
            with translation.override(current.language):  # written on the voided receipt, in its language
                # Translators: why a receipt was voided (kept on the receipt, shown on its page and PDF); amount is
                # what was refunded so far, number the correction receipt's.
                reason = _("%(amount)s refunded; replaced by receipt %(number)s") % {
                    "amount": format_money(refunded, payment.currency),
                    "number": correction.number,
                }
        else:
            with translation.override(current.language):
                # Translators: why a receipt was voided (kept on the receipt, shown on its page and PDF).
                reason = _("refunded in full")
        Receipt.objects.filter(pk=current.pk).update(voided_at=now, void_reason=reason[:200])
        return correction


# --- Email --------------------------------------------------------------------------------------------------


def email_key(receipt: Receipt) -> str:
    return f"receipt-{receipt.issuer}-{receipt.number}"


def email_receipt(*, receipt_id: int, key: str | None = None) -> bool:
    """Email a receipt with its PDF, once per key. Without a key (the issuing path, the sweep) it is the receipt as
    issued (email_issued). Staff resends pass their own key, and may resend a voided receipt (it says so)."""
    if key is None:
        receipt = Receipt.objects.select_related("payment", "replaces").filter(pk=receipt_id).first()
        return receipt is not None and email_issued(receipt)
    with transaction.atomic():
        receipt = (
            Receipt.objects.select_for_update(of=("self",))
            .select_related("payment", "replaces")
            .filter(pk=receipt_id)
            .first()
        )
        if receipt is None or not receipt.donor_email:
            return False
        sent = _send(receipt, key=key)
        if sent and receipt.emailed_at is None:
            Receipt.objects.filter(pk=receipt.pk).update(emailed_at=timezone.now())
    return sent


def email_issued(receipt: Receipt) -> bool:
    """Email a receipt once, and not at all if it was voided before it went out (the receipt in force is emailed
    instead). The claim is the UPDATE that sets emailed_at, in the transaction that sends: a second worker finds the
    row sent, or being sent, and leaves it; a send that fails rolls the claim back, and whoever comes next (the
    email task the batch handed it to, a task for its own payment, the task's retry, the sweep) sends it. A receipt
    object read earlier is enough: only emailed_at and voided_at change after issue, and the claim reads those
    fresh."""
    if not receipt.donor_email or receipt.emailed_at is not None or receipt.voided_at is not None:
        return False
    with transaction.atomic():
        if not _claim_for_email(receipt.pk):
            return False
        sent = _send(receipt, key=email_key(receipt))
        if not sent:  # not written to (an erased person's address, a key sent before): not emailed, as before
            transaction.set_rollback(True)
    return sent


def _claim_for_email(receipt_id: int) -> bool:
    """Mark a receipt emailed in this transaction if it is in force, not emailed, and not being emailed by another
    worker right now. A row another transaction holds is skipped, not waited for: workers reaching the same receipts
    (the batch's owner, a task queued for one of its payments) would otherwise wait on each other's sends in turn.
    If that other send fails, it hands the receipt on (issue_and_email), or its retry or the sweep sends it."""
    table = connection.ops.quote_name(Receipt._meta.db_table)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    unsent = "id = %s AND emailed_at IS NULL AND voided_at IS NULL"
    if connection.features.has_select_for_update_skip_locked:
        unsent = f"id IN (SELECT id FROM {table} WHERE {unsent} FOR UPDATE SKIP LOCKED)"
    with connection.cursor() as cursor:  # SQLite (the embedded default) has one writer at a time: no lock to skip
        cursor.execute(f"UPDATE {table} SET emailed_at = %s WHERE {unsent}", [now, receipt_id])
        claimed: int = cursor.rowcount
    return claimed == 1


def _send(receipt: Receipt, *, key: str) -> bool:
    """The receipt's email with its PDF, through outlet.common.emails (once per key)."""
    from outlet.receipts.pdf import render_receipt

    # Its words, amounts, links and PDF in the receipt's language, whoever sends it (the worker, staff).
    with translation.override(receipt.language):
        payment = receipt.payment
        told = describers.describer_for(payment.purpose).email(payment)
        message: dict[str, Any] = {  # the keyword arguments every receipt email takes
            "key": key,
            "to": receipt.donor_email,
            "name": receipt.donor_name,
            "number": receipt.number,
            "amount": format_money(receipt.amount_minor, receipt.currency),
            "description": receipt.description,
            "is_void": receipt.is_void,
            "link_url": guest_url(receipt),
            "account_url": f"{settings.SITE_URL}{reverse('receipts:list')}" if payment.user_id else "",
            "manage_url": told.manage_url,
            "pdf": render_receipt(receipt),
            "pdf_name": f"receipt-{receipt.number}.pdf",
            "savepoint": False,  # both callers' transactions exist for this send, and a failure ends them
        }
        if receipt.kind == Receipt.Kind.CORRECTION:
            return emails.receipt_corrected(
                **message,
                replaces_number=receipt.replaces.number if receipt.replaces else "",
                refunded=format_money(receipt.refund_level_minor, receipt.currency),
            )
        return told.send(**message)


def resend_receipt(*, receipt_id: int, staff_user_id: int) -> Receipt | None:
    """Staff asked for the receipt email again: a new message each time they ask, sent by the worker. The key
    names who asked, so the SentEmail list shows it, and the log says it too."""
    receipt = Receipt.objects.filter(pk=receipt_id).first()
    if receipt is None:
        return None
    key = f"{email_key(receipt)}-resend-by-{staff_user_id}-{uuid.uuid4().hex[:12]}"
    logger.info("staff user %s asked to resend receipt %s (email key %s)", staff_user_id, receipt.number, key)
    transaction.on_commit(lambda: _enqueue("email_receipt", receipt.pk, key=key))
    return receipt


# --- Guest links --------------------------------------------------------------------------------------------


def guest_token(receipt: Receipt) -> str:
    """Signed over the receipt id and its random access key: editing the id breaks the signature, and a link
    signed for one receipt carries that receipt's key, never another's."""
    return signing.dumps([receipt.pk, receipt.access_key], salt=LINK_SALT)


def guest_url(receipt: Receipt) -> str:
    return f"{settings.SITE_URL}{reverse('receipts:signed', kwargs={'token': guest_token(receipt)})}"


def receipt_for_token(token: str) -> Receipt | None:
    try:
        receipt_id, access_key = signing.loads(token, salt=LINK_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(receipt_id, int) or not isinstance(access_key, str) or not access_key:
        return None
    receipt = Receipt.objects.select_related("payment", "replaces").filter(pk=receipt_id).first()
    if receipt is None or not constant_time_compare(receipt.access_key, access_key):
        return None
    return receipt


# --- Healing what got lost ----------------------------------------------------------------------------------


def sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Queue again what a lost enqueue left undone: payments without a receipt, refunds not reflected on the
    receipts, receipts in force never emailed. Each item is queued at most once per SWEEP_AFTER."""
    cutoff = (now or timezone.now()) - SWEEP_AFTER
    has_original = Receipt.objects.filter(payment=OuterRef("pk"), kind=Receipt.Kind.ORIGINAL)
    missing = (
        Payment.objects.filter(paid_at__lt=cutoff)
        .filter(~Exists(has_original))
        .order_by("paid_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    stale = (
        Receipt.objects.filter(voided_at=None, payment__amount_refunded_minor__gt=F("refund_level_minor"))
        .values_list("payment_id", flat=True)
        .distinct()[:SWEEP_BATCH]
    )
    unsent = (
        Receipt.objects.filter(voided_at=None, emailed_at=None, issued_at__lt=cutoff)
        .exclude(donor_email="")
        .order_by("issued_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    counts = {"issue_receipt": 0, "reflect_refund": 0, "email_receipt": 0}
    for task_name, ids in (("issue_receipt", missing), ("reflect_refund", stale), ("email_receipt", unsent)):
        for pk in ids:
            if cache.add(f"receipt-sweep:{task_name}:{pk}", 1, timeout=int(SWEEP_AFTER.total_seconds())):
                _enqueue(task_name, pk)
                counts[task_name] += 1
    return counts
