"""What the payment pipeline holds about one person, for their export and their erasure (outlet.privacy), and the
scrubbing of stored provider events past their retention period.

The pipeline keeps payments for the books: an erasure blanks the payer's address and the provider's receipt link
on them, never the amounts, ids, dates or refund state. A stored provider event keeps its ids, amounts, type and
time; the fields naming the payer (email, name, address, phone, billing details) are blanked
(outlet.common.personal_data.scrub_json), and so is any other text that mentions the erased name or address."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from django.db.models import Q

from outlet.common.batches import in_batches
from outlet.common.personal_data import as_text, json_mentions, replace_in_text, scrub_json
from outlet.payments.models import Payment, ProviderCustomer, WebhookEvent


def payments_of(*, user_id: int | None, emails: Iterable[str]) -> Q:
    """The payments that are this person's: made from their account, or paid with one of their addresses."""
    query = Q(user_id=user_id) if user_id else Q(pk__in=[])
    for address in {e for e in emails if e}:
        query |= Q(email__iexact=address)
    return query


def payment_ids(*, user_id: int | None, emails: Iterable[str]) -> list[int]:
    return list(Payment.objects.filter(payments_of(user_id=user_id, emails=emails)).values_list("pk", flat=True))


def provider_refs(*, user_id: int | None, emails: Iterable[str]) -> set[str]:
    """The provider's ids for this person (customers, subscriptions): how their events are found without an email."""
    refs: set[str] = set()
    for customer, subscription in Payment.objects.filter(payments_of(user_id=user_id, emails=emails)).values_list(
        "customer_id", "subscription_id"
    ):
        refs.update(r for r in (customer, subscription) if r)
    if user_id:
        refs.update(ProviderCustomer.objects.filter(user_id=user_id).values_list("customer_id", flat=True))
    return refs


def payment_rows(*, user_id: int | None, emails: Iterable[str]) -> Iterator[dict[str, Any]]:
    payments = Payment.objects.filter(payments_of(user_id=user_id, emails=emails)).order_by("paid_at", "pk")
    for payment in payments.iterator(chunk_size=500):
        yield {
            "id": payment.pk,
            "purpose": payment.purpose,
            "provider": payment.provider,
            "provider_ref": payment.provider_ref,
            "email": payment.email,
            "amount_minor": payment.amount_minor,
            "currency": payment.currency,
            "amount_refunded_minor": payment.amount_refunded_minor,
            "status": payment.status,
            "description": payment.description,
            "paid_at": payment.paid_at.isoformat(),
        }


def erase_payer(*, user_id: int | None, emails: Iterable[str], names: Iterable[str]) -> int:
    """Blank the payer's address, the provider's receipt link (it shows their name) and any mention of them in the
    description and metadata; amounts, ids and refund state stay for the books."""
    needles = set(emails) | set(names)
    changed = 0
    for payment in Payment.objects.filter(payments_of(user_id=user_id, emails=emails)).iterator(chunk_size=500):
        payment.email = ""
        payment.provider_receipt_url = ""
        payment.description = replace_in_text(payment.description, needles)[:200]
        payment.metadata = scrub_json(payment.metadata, needles=needles)
        payment.save(update_fields=["email", "provider_receipt_url", "description", "metadata"])
        changed += 1
    return changed


def erase_from_events(*, emails: Iterable[str], names: Iterable[str], refs: Iterable[str]) -> int:
    """Scrub every stored provider event that mentions the person (their address, or their customer or
    subscription id at the provider): personal fields blanked, other mentions of the name or address rewritten."""
    needles = {n for n in (*emails, *names) if n}
    events = WebhookEvent.objects.annotate(**as_text("payload")).filter(
        json_mentions("payload", needles | {r for r in refs if r})
    )
    changed = 0
    for event in events.only("pk", "payload", "last_error").iterator(chunk_size=200):
        event.payload = scrub_json(event.payload, needles=needles)
        event.last_error = replace_in_text(event.last_error, needles)
        event.save(update_fields=["payload", "last_error"])
        changed += 1
    return changed


def scrub_old_event_payloads(*, received_before: datetime, after_pk: int = 0, batch_size: int = 500) -> tuple[int, int]:
    """Blank the personal fields of stored provider events received before `received_before` (the payload
    retention period): nothing reconciles against their payer details that late, and the facts they brought are
    in our own rows. Walks forward from `after_pk` a batch at a time; returns (events scrubbed, last id reached),
    so the caller keeps a cursor and a daily run reads only what aged since the last."""
    last = after_pk

    def scrub(ids: list[int]) -> int:
        nonlocal last
        for event in WebhookEvent.objects.filter(pk__in=ids).only("pk", "payload").select_for_update():
            event.payload = scrub_json(event.payload)
            event.save(update_fields=["payload"])
        last = max(last, *ids)
        return len(ids)

    done = in_batches(
        WebhookEvent.objects.filter(received_at__lt=received_before, pk__gt=after_pk), scrub, batch_size=batch_size
    )
    return done, last
