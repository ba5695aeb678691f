"""How provider events move a membership: join, renew, change plan, fall past due, recover, end.

Called by members/handlers.py (the payment pipeline's domain events) and the lapse sweep task. Every function is
safe to run twice and ignores news older than what it already holds, so duplicated and reordered events end in
the provider's latest state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import MemberEvent, Membership, MembershipChange, MembershipCheckout, Tier
from members.services import (
    change_is_confirmed_by,
    lock_member,
    lock_membership,
    membership_grants_access,
    record_member_event,
)
from outlet.common import outbox
from outlet.common.local_time import date_text, site_date
from outlet.payments.providers.base import SubscriptionChanged


def mark_checkout_completed(*, reference: str, user_id: int, occurred_at: datetime, webhook_event=None) -> None:
    """The reader came back from a finished checkout. Payment is confirmed by the subscription/payment events."""
    updated = MembershipCheckout.objects.filter(reference=reference, user_id=user_id, completed_at__isnull=True).update(
        completed_at=occurred_at
    )
    if updated:
        record_member_event(
            user_id=user_id,
            membership=Membership.objects.filter(user_id=user_id).first(),
            kind=MemberEvent.Kind.CHECKOUT_COMPLETED,
            summary="Checkout completed",
            webhook_event=webhook_event,
            reader_visible=False,
            at=occurred_at,
        )


def _status_for(provider_status: str, *, cancel_at_period_end: bool, ended: bool) -> str | None:
    """Our status for a provider subscription status; None for states that grant nothing yet (incomplete)."""
    if ended or provider_status in {"canceled", "incomplete_expired", "paused"}:
        return Membership.Status.LAPSED
    if provider_status in {"active", "trialing"}:
        return Membership.Status.CANCELLED if cancel_at_period_end else Membership.Status.ACTIVE
    if provider_status in {"past_due", "unpaid"}:
        return Membership.Status.PAST_DUE
    return None


def _send_email_after_commit(task_name: str, membership: Membership, key: str) -> None:
    """Through the outbox: an email asked for in this transaction is sent even if the broker is down at commit."""
    outbox.enqueue_after_commit(task=f"members.tasks.{task_name}", args=[membership.pk, key], key=key)


def _on_joined(membership: Membership) -> None:
    # One welcome per joining: a rejoin (new subscription, or a new comp after a lapse) is welcomed again.
    key = f"welcome:{membership.pk}:{membership.provider_subscription_id or int(membership.started_at.timestamp())}"
    _send_email_after_commit("send_welcome_email", membership, key)


def apply_subscription_state(
    *, user_id: int, reported: SubscriptionChanged, tier: Tier | None, webhook_event=None
) -> Membership | None:
    """Bring the membership to the provider's view of the subscription (`reported`), unless we already hold a newer
    view. `tier` is ours for the reported price (None when no tier matches it)."""
    subscription_id, ended, occurred_at = reported.subscription_id, reported.ended, reported.occurred_at
    rank, provider_status = reported.sequence_rank, reported.status
    new_status = _status_for(provider_status, cancel_at_period_end=reported.cancel_at_period_end, ended=ended)
    with transaction.atomic():
        # Two workers may process two events of one reader at once; the reader's row serialises them, including
        # the case where neither finds a membership yet and both would create one.
        membership = lock_member(user_id)
        if membership is not None and membership.provider_subscription_id != subscription_id:
            # Not the subscription we follow (or we follow none: a comp). An old one ending changes nothing; a new
            # one replaces a lapsed membership or a comp, never a live paid one.
            live_paid = membership.provider_subscription_id and membership.status != Membership.Status.LAPSED
            if ended or live_paid:
                return membership
            membership.provider_state_at = None
        if (
            membership is not None
            and membership.provider_subscription_id == subscription_id
            and membership.knows_newer_state_than(occurred_at, rank)
        ):
            return membership  # an older event arriving late: we already hold a newer state
        if new_status is None:
            return membership
        if membership is None and new_status == Membership.Status.LAPSED and provider_status != "canceled":
            return membership  # a checkout that expired unpaid: nobody was ever a member
        # A "canceled" subscription was paid for once. Arriving before the events that made the member, it still
        # leaves a lapsed membership, so those older events, when they come, cannot revive an ended subscription.
        if membership is None:
            if tier is None:
                return None
            membership = Membership(user_id=user_id, tier=tier, status=new_status, started_at=occurred_at)
            before = ""
        else:
            before = membership.status
        was_member = before not in ("", Membership.Status.LAPSED)
        previous_plan = (membership.tier_id if membership.pk else None, membership.interval)
        membership.status = new_status
        membership.source = Membership.Source.PAID
        membership.tier = tier or membership.tier
        membership.interval = reported.interval or membership.interval
        membership.currency = (reported.currency or membership.currency).upper()
        if reported.amount_minor is not None:
            membership.amount_minor = reported.amount_minor
        membership.provider = reported.provider
        membership.provider_customer_id = reported.customer_id or membership.provider_customer_id
        membership.provider_subscription_id = subscription_id
        membership.current_period_end = reported.current_period_end or membership.current_period_end
        membership.cancel_at_period_end = reported.cancel_at_period_end and not ended
        membership.awaiting_provider_sync = (
            False  # the provider's word replaces an imported member's provisional access
        )
        # Rank -1 is a join inferred from a paid invoice (members.handlers): any subscription event, even an older
        # one, may refine it.
        if rank >= 0:
            membership.note_state_applied(occurred_at, rank)
        if new_status == Membership.Status.PAST_DUE:
            membership.grace_until = membership.grace_until or occurred_at + timedelta(
                days=settings.MEMBERSHIP_GRACE_DAYS
            )
        else:
            membership.grace_until = None
        if new_status == Membership.Status.LAPSED:
            membership.ended_at = membership.ended_at or occurred_at
        elif not was_member:
            membership.started_at, membership.ended_at = occurred_at, None
        membership.save()
        _record_transition(
            membership, before=before, previous_plan=previous_plan, webhook_event=webhook_event, at=occurred_at
        )
        _confirm_requested_changes(membership)
    return membership


def _confirm_requested_changes(membership: Membership) -> None:
    """The provider's state now shows what the member asked for: the account page stops saying "pending"."""
    for change in MembershipChange.objects.filter(membership=membership, confirmed_at=None):
        if change_is_confirmed_by(change, membership):
            MembershipChange.objects.filter(pk=change.pk).update(confirmed_at=timezone.now())


def _record_transition(
    membership: Membership, *, before: str, previous_plan: tuple, webhook_event, at: datetime
) -> None:
    status = membership.status
    tier_name = membership.tier.name
    common = {
        "user_id": membership.user_id,
        "membership": membership,
        "from_status": before,
        "to_status": status,
        "webhook_event": webhook_event,
    }
    if before in ("", Membership.Status.LAPSED) and status != Membership.Status.LAPSED:
        record_member_event(
            **common,
            kind=MemberEvent.Kind.JOINED,
            summary=_("Became a member: %(tier)s") % {"tier": tier_name},
            summary_key="joined",
            summary_values={"tier": membership.tier_id, "tier_name": tier_name},
        )
        _on_joined(membership)
        if status == Membership.Status.CANCELLED:
            # The cancellation arrived before (or with) the join: the member is told once, as in the usual order.
            _email_once("renewal-stopped", membership, at=at)
        return
    # An interval learnt for the first time (a member who joined by invoice before any subscription event) is no change.
    if previous_plan[0] and (
        previous_plan[0] != membership.tier_id or previous_plan[1] not in ("", membership.interval)
    ):
        record_member_event(
            **common,
            kind=MemberEvent.Kind.PLAN_CHANGED,
            # Translators: %(interval)s is "monthly" or "yearly".
            summary=_("Plan changed to %(tier)s, %(interval)s")
            % {"tier": tier_name, "interval": membership.interval_words},
            summary_key="plan_changed",
            summary_values={"tier": membership.tier_id, "tier_name": tier_name, "interval": membership.interval},
        )
        _email_once("plan-changed", membership, at=at)
    if before == status:
        return
    if status == Membership.Status.CANCELLED:
        ends = date_text(membership.current_period_end, empty=_("the period end"))
        record_member_event(
            **common,
            kind=MemberEvent.Kind.CANCEL_REQUESTED,
            summary=_("Set to end on %(date)s") % {"date": ends},
            summary_key="set_to_end",
            summary_values={"date": _day(membership.current_period_end)},
        )
        _email_once("renewal-stopped", membership, at=at)
    elif status == Membership.Status.ACTIVE and before == Membership.Status.CANCELLED:
        record_member_event(
            **common, kind=MemberEvent.Kind.RESUMED, summary=_("Renewal resumed"), summary_key="resumed"
        )
        _email_once("renewal-resumed", membership, at=at)
    elif status == Membership.Status.ACTIVE and before == Membership.Status.PAST_DUE:
        record_member_event(
            **common, kind=MemberEvent.Kind.RECOVERED, summary=_("Payment recovered"), summary_key="recovered"
        )
    elif status == Membership.Status.PAST_DUE:
        record_member_event(
            **common,
            kind=MemberEvent.Kind.PAYMENT_FAILED,
            summary=_("Payment overdue; access kept until %(date)s") % {"date": date_text(membership.grace_until)},
            summary_key="overdue",
            summary_values={"date": _day(membership.grace_until)},
        )
    elif status == Membership.Status.LAPSED:
        record_member_event(**common, kind=MemberEvent.Kind.LAPSED, summary=_("Membership ended"), summary_key="ended")


def _day(moment: datetime | None) -> str:
    """A day for the timeline's values: the newsroom's calendar day, written out when the member reads it."""
    return site_date(moment).isoformat() if moment else ""


def _email_once(kind: str, membership: Membership, *, at: datetime) -> None:
    """One email per confirmed change: the key names the change and the provider's time of it, so a duplicated or
    replayed event, or a retried task, sends nothing more."""
    task = {
        "plan-changed": "send_plan_changed_email",
        "renewal-stopped": "send_renewal_stopped_email",
        "renewal-resumed": "send_renewal_resumed_email",
    }[kind]
    plan = f"{membership.tier_id}-{membership.interval}" if kind == "plan-changed" else ""
    _send_email_after_commit(task, membership, f"{kind}:{membership.pk}:{plan}:{int(at.timestamp())}")


def record_membership_payment(
    *,
    membership: Membership | None,
    user_id: int,
    amount_text: str,
    amount_minor: int = 0,
    currency: str = "",
    period_end: datetime | None,
    occurred_at: datetime,
    webhook_event=None,
) -> None:
    """A paid invoice: extend the paid-for period and recover a past-due membership (not one we hold newer news of)."""
    with transaction.atomic():
        if membership is not None:
            membership = cast(Membership, lock_member(membership.user_id))  # the caller's row: it is there to lock
            newer_state_known = membership.provider_state_at and membership.provider_state_at > occurred_at
            fields = []
            if period_end and (membership.current_period_end is None or period_end > membership.current_period_end):
                membership.current_period_end = period_end
                fields.append("current_period_end")
            if membership.status == Membership.Status.PAST_DUE and not newer_state_known:
                membership.status, membership.grace_until = Membership.Status.ACTIVE, None
                fields += ["status", "grace_until"]
                record_member_event(
                    user_id=user_id,
                    membership=membership,
                    kind=MemberEvent.Kind.RECOVERED,
                    from_status=Membership.Status.PAST_DUE,
                    to_status=Membership.Status.ACTIVE,
                    summary=_("Payment recovered"),
                    summary_key="recovered",
                    webhook_event=webhook_event,
                )
            if fields:
                membership.save(update_fields=[*fields, "updated_at"])
        record_member_event(
            user_id=user_id,
            membership=membership,
            kind=MemberEvent.Kind.RENEWED,
            summary=_("Payment of %(amount)s received") % {"amount": amount_text},
            summary_key="paid" if currency else "",
            summary_values={"amount_minor": amount_minor, "currency": currency},
            webhook_event=webhook_event,
            at=occurred_at,
        )


def record_membership_payment_failed(
    *, membership: Membership, occurred_at: datetime, attempt: int, payment_ref: str, webhook_event=None
) -> None:
    with transaction.atomic():
        membership = cast(Membership, lock_member(membership.user_id))  # the caller's row: it is there to lock
        newer_state_known = bool(membership.provider_state_at and membership.provider_state_at > occurred_at)
        if not newer_state_known and membership.status in (Membership.Status.ACTIVE, Membership.Status.CANCELLED):
            before = membership.status
            membership.status = Membership.Status.PAST_DUE
            membership.grace_until = membership.grace_until or occurred_at + timedelta(
                days=settings.MEMBERSHIP_GRACE_DAYS
            )
            membership.save(update_fields=["status", "grace_until", "updated_at"])
            record_member_event(
                user_id=membership.user_id,
                membership=membership,
                kind=MemberEvent.Kind.PAYMENT_FAILED,
                from_status=before,
                to_status=membership.status,
                webhook_event=webhook_event,
                summary=_("Payment failed (attempt %(attempt)s); access kept until %(date)s")
                % {"attempt": attempt, "date": date_text(membership.grace_until)},
                summary_key="failed_grace",
                summary_values={"attempt": attempt, "date": _day(membership.grace_until)},
            )
        else:
            record_member_event(
                user_id=membership.user_id,
                membership=membership,
                kind=MemberEvent.Kind.PAYMENT_FAILED,
                webhook_event=webhook_event,
                summary=_("Payment failed (attempt %(attempt)s)") % {"attempt": attempt},
                summary_key="failed",
                summary_values={"attempt": attempt},
            )
        _send_email_after_commit(
            "send_payment_failed_email", membership, f"payment-failed:{membership.provider}:{payment_ref}:{attempt}"
        )


def record_payment_problem(*, user_id: int, kind: str, summary: str, webhook_event=None) -> None:
    """Refunds and disputes are recorded on the timeline; access is a staff decision, not an automatic one."""
    membership = Membership.objects.filter(user_id=user_id).first()
    record_member_event(user_id=user_id, membership=membership, kind=kind, summary=summary, webhook_event=webhook_event)


def lapse_ended_memberships(*, now: datetime | None = None) -> int:
    """Mark memberships whose access has run out as lapsed (the "come back" audience), with a timeline entry."""
    now = now or timezone.now()
    candidates = Membership.objects.exclude(status=Membership.Status.LAPSED).filter(
        current_period_end__lt=now
    ) | Membership.objects.filter(status=Membership.Status.PAST_DUE, grace_until__lt=now)
    lapsed = 0
    for membership_id in candidates.values_list("pk", flat=True).distinct():
        with transaction.atomic():
            membership = lock_membership(membership_id)
            if membership is None:
                continue  # deleted (or replaced) since the list was read
            if membership.status == Membership.Status.LAPSED or membership_grants_access(membership, now=now):
                continue
            before = membership.status
            membership.status, membership.ended_at = Membership.Status.LAPSED, now
            membership.save(update_fields=["status", "ended_at", "updated_at"])
            kind = (
                MemberEvent.Kind.COMP_ENDED if membership.source == Membership.Source.COMP else MemberEvent.Kind.LAPSED
            )
            if membership.awaiting_provider_sync:
                # An imported member the provider never answered about: the bounded provisional access is over, but
                # they may well be paying; no "your membership ended" email. Still flagged for staff; a later sync
                # that finds the live subscription brings them back.
                record_member_event(
                    user_id=membership.user_id,
                    membership=membership,
                    kind=kind,
                    from_status=before,
                    to_status=membership.status,
                    reader_visible=False,
                    summary="Provisional access ran out before the payment provider confirmed the subscription",
                )
                lapsed += 1
                continue
            record_member_event(
                user_id=membership.user_id,
                membership=membership,
                kind=kind,
                from_status=before,
                to_status=membership.status,
                summary=_("Membership ended: access ran out"),
            )
            _send_email_after_commit(
                "send_membership_ended_email", membership, f"ended:{membership.pk}:{int(now.timestamp())}"
            )
            lapsed += 1
    return lapsed


# --- Members imported from another platform (members.ghost_import) ----------------------------------------------


def grant_provisional_membership(
    *, user_id: int, tier: Tier, provider: str, customer_id: str, until: datetime, summary: str, staff_user=None
) -> Membership:
    """Access for an imported paid member until the provider is asked about their subscription: paid, active, ending
    at `until` (bounded), marked awaiting_provider_sync. Never touches a membership that grants access now, and sends
    no email: they did not just join."""
    now = timezone.now()
    with transaction.atomic():
        membership = lock_member(user_id)
        if membership is not None and membership_grants_access(membership, now=now):
            return membership
        before = membership.status if membership is not None else ""
        membership = membership or Membership(user_id=user_id)
        membership.tier = tier
        membership.source, membership.status = Membership.Source.PAID, Membership.Status.ACTIVE
        membership.started_at, membership.current_period_end = now, until
        membership.provider, membership.provider_customer_id, membership.provider_subscription_id = (
            provider,
            customer_id,
            "",
        )
        membership.interval, membership.currency, membership.amount_minor = "", "", None
        membership.cancel_at_period_end, membership.grace_until, membership.ended_at = False, None, None
        membership.provider_state_at, membership.provider_state_rank = None, 0
        membership.awaiting_provider_sync = True
        membership.save()
        record_member_event(
            user_id=user_id,
            membership=membership,
            kind=MemberEvent.Kind.IMPORTED,
            from_status=before,
            to_status=membership.status,
            staff_user=staff_user,
            reader_visible=False,
            summary=summary,
        )
    return membership


def end_provisional_membership(*, user_id: int, summary: str) -> bool:
    """The provider holds no live subscription for an imported member: their provisional access ends now (no email:
    the provider's truth is that they stopped paying before they came here). Only provisional access is touched."""
    with transaction.atomic():
        membership = lock_member(user_id)
        if membership is None or not membership.awaiting_provider_sync:
            return False
        before = membership.status
        membership.status, membership.ended_at = Membership.Status.LAPSED, timezone.now()
        membership.awaiting_provider_sync = False
        membership.save(update_fields=["status", "ended_at", "awaiting_provider_sync", "updated_at"])
        record_member_event(
            user_id=user_id,
            membership=membership,
            kind=MemberEvent.Kind.LAPSED,
            from_status=before,
            to_status=membership.status,
            reader_visible=False,
            summary=summary,
        )
    return True


@dataclass(frozen=True)
class ImportedMembership:
    """A membership an import gives an account it has just created: a comp, or provisional paid access."""

    user_id: int
    tier: Tier
    comp: bool
    summary: str
    provider: str = ""
    customer_id: str = ""
    until: datetime | None = None


def create_imported_memberships(*, grants: list[ImportedMembership], staff_user) -> int:
    """The memberships of accounts created in the same transaction (so none can exist yet), in bulk: a comp exactly
    as services.comp_membership makes it, or provisional access exactly as grant_provisional_membership makes it,
    each with its timeline event and the staff user. Existing accounts go through those two functions instead."""
    now = timezone.now()
    memberships = [
        Membership(
            user_id=grant.user_id,
            tier=grant.tier,
            source=Membership.Source.COMP if grant.comp else Membership.Source.PAID,
            status=Membership.Status.ACTIVE,
            started_at=now,
            current_period_end=grant.until,
            provider="" if grant.comp else grant.provider,
            provider_customer_id="" if grant.comp else grant.customer_id,
            awaiting_provider_sync=not grant.comp,
        )
        for grant in grants
    ]
    Membership.objects.bulk_create(memberships, batch_size=500)
    MemberEvent.objects.bulk_create(
        [
            MemberEvent(
                user_id=grant.user_id,
                membership=membership,
                kind=MemberEvent.Kind.COMPED if grant.comp else MemberEvent.Kind.IMPORTED,
                to_status=membership.status,
                staff_user=staff_user,
                reader_visible=grant.comp,
                summary=grant.summary[:300],
                created_at=now,
            )
            for grant, membership in zip(grants, memberships, strict=True)
        ],
        batch_size=500,
    )
    return len(memberships)
