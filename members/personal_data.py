"""What members hold about one reader, for their export and their erasure (outlet.privacy).

A membership, its checkouts and its timeline stay after an erasure (the tombstoned account keeps them): dates,
tiers, amounts and states are what the books and the figures need. What goes is personal text: the timeline's
lines that name the reader or their address (staff's notes such as "resent receipt to …"), and what an import
from Ghost brought (the address, name, note and labels Ghost had; the uploaded file's lines about them)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import Q
from django.utils import timezone

from members.models import GhostMember, MemberEvent, MemberImport, Membership, MembershipCheckout
from members.services import record_member_event
from outlet.common.personal_data import replace_in_text, scrub_json
from outlet.payments import subscriptions


def live_subscription(*, user_id: int) -> Membership | None:
    """The reader's paid membership still billed by the provider, if any."""
    return (
        Membership.objects.filter(user_id=user_id, source=Membership.Source.PAID)
        .exclude(status=Membership.Status.LAPSED)
        .exclude(provider_subscription_id="")
        .first()
    )


def end_membership_now(*, user_id: int) -> bool:
    """Ask the provider to end the reader's subscription today, as staff's "cancel now" does (members.staff): no
    further charge. Raises the provider's ProviderError when it cannot; then nothing else may happen. True when
    there was one to end. Our state follows the provider's event."""
    membership = live_subscription(user_id=user_id)
    if membership is None:
        return False
    asked_at = timezone.now()
    subscriptions.cancel_now(membership)
    record_member_event(
        user_id=user_id,
        membership=membership,
        kind=MemberEvent.Kind.CANCEL_REQUESTED,
        by_reader=True,
        reader_visible=False,
        summary="The reader deleted their account: the subscription was cancelled at the provider",
        at=asked_at,
    )
    return True


def names_of(*, user_id: int) -> set[str]:
    return {name for name in GhostMember.objects.filter(user_id=user_id).values_list("name", flat=True) if name}


def emails_of(*, user_id: int) -> set[str]:
    return {e.lower() for e in GhostMember.objects.filter(user_id=user_id).values_list("email", flat=True) if e}


def membership_rows(*, user_id: int) -> Iterator[dict[str, Any]]:
    for membership in Membership.objects.filter(user_id=user_id).select_related("tier"):
        yield {
            "tier": membership.tier.name,
            "status": membership.status,
            "source": membership.source,
            "interval": membership.interval,
            "amount_minor": membership.amount_minor or "",
            "currency": membership.currency,
            "started_at": membership.started_at.isoformat(),
            "current_period_end": membership.current_period_end.isoformat() if membership.current_period_end else "",
            "ended_at": membership.ended_at.isoformat() if membership.ended_at else "",
        }


def timeline_rows(*, user_id: int) -> Iterator[dict[str, Any]]:
    """The membership's whole timeline (MemberEvent), oldest first, as staff see it."""
    events = MemberEvent.objects.filter(user_id=user_id).order_by("created_at", "pk")
    for event in events.iterator(chunk_size=500):
        yield {
            "kind": event.kind,
            "summary": event.summary,
            "from_status": event.from_status,
            "to_status": event.to_status,
            "created_at": event.created_at.isoformat(),
        }


def checkout_rows(*, user_id: int) -> Iterator[dict[str, Any]]:
    for checkout in MembershipCheckout.objects.filter(user_id=user_id).select_related("tier").order_by("created_at"):
        yield {
            "tier": checkout.tier.name,
            "interval": checkout.interval,
            "amount_minor": checkout.amount_minor,
            "currency": checkout.currency,
            "started_at": checkout.created_at.isoformat(),
            "completed_at": checkout.completed_at.isoformat() if checkout.completed_at else "",
        }


def erase_personal_data(*, user_id: int, emails: Iterable[str], names: Iterable[str]) -> dict[str, int]:
    """Take the reader's name and addresses out of the timeline and the Ghost import records. Returns rows changed."""
    needles = {n for n in (*emails, *names) if n}
    counts = {"timeline": 0, "ghost": 0, "imports": 0}
    for event in MemberEvent.objects.filter(user_id=user_id).iterator(chunk_size=500):
        summary = replace_in_text(event.summary, needles)
        values = scrub_json(event.summary_values, needles=needles, keys=False)
        if summary != event.summary or values != event.summary_values:
            event.summary, event.summary_values = summary, values
            event.save(update_fields=["summary", "summary_values"])
            counts["timeline"] += 1
    counts["ghost"] = GhostMember.objects.filter(user_id=user_id).update(
        email="", name="", note="", labels=[], gift_id="", sync_note=""
    )
    # An uploaded file names many members; only this reader's mentions are rewritten in it.
    mentions = Q(pk__in=[])
    for needle in needles:
        mentions |= Q(content__icontains=needle)
    for upload in MemberImport.objects.filter(mentions).iterator(chunk_size=20):
        content = replace_in_text(upload.content, needles)
        rows = scrub_json(upload.preview_rows, needles=needles, keys=False)
        if content != upload.content or rows != upload.preview_rows:
            upload.content, upload.preview_rows = content, rows
            upload.save(update_fields=["content", "preview_rows"])
            counts["imports"] += 1
    return counts
