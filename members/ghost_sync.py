"""After a Ghost import commits: ask the payment provider for each linked customer's subscriptions and let the live
one decide the membership (tier, status, period end), replacing the provisional access the import gave.

Tasks take GhostMember ids, run with acks_late, and are safe to run again: applying the provider's current view twice
changes nothing (lifecycle.apply_subscription_state ignores what it already holds)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from celery import shared_task
from django.db.models import F, Q
from django.utils import timezone

from members import ghost_tiers, lifecycle, services
from members.models import GhostMember, MemberEvent, Membership, Tier
from outlet.common.local_time import date_text
from outlet.payments.providers import get_provider
from outlet.payments.providers.base import ProviderError, SubscriptionChanged, UnknownCustomer

logger = logging.getLogger(__name__)

LIVE_STATUSES = {"active", "trialing", "past_due", "unpaid"}
MAX_RETRIES = 24  # with the backoff below: about a day; then the sweep keeps asking
REQUEUE_AFTER = timedelta(hours=1)


def _tier_from_ghost(ghost: GhostMember) -> Tier | None:
    """The tier staff mapped the member's Ghost tier to in the import that last brought them (a free account: none);
    a Ghost tier that import did not map (imports made before tier mapping) by our tier of the same name or slug."""
    mapping = ghost_tiers.mapping_of(ghost.last_import)
    mapped = ghost_tiers.resolve(ghost.tiers, mapping, {tier.pk: tier for tier in Tier.objects.all()})
    if mapped.tier is not None:
        return mapped.tier
    for name in mapped.unchosen:
        tier = Tier.objects.filter(Q(name__iexact=name) | Q(slug__iexact=name)).first()
        if tier is not None:
            return tier
    return None


def _following(subscriptions: list[SubscriptionChanged]) -> tuple[SubscriptionChanged | None, int]:
    """The live paid subscription to follow (the one paid furthest ahead) and how many live ones there are.
    Zero-amount subscriptions are how older Ghost versions recorded comps: no money, no paid time."""
    live = [s for s in subscriptions if s.status in LIVE_STATUSES and not s.ended and (s.amount_minor or 0) > 0]
    live.sort(key=lambda s: s.current_period_end or datetime.min.replace(tzinfo=UTC), reverse=True)
    return (live[0] if live else None), len(live)


def sync_ghost_member(*, ghost_member_id: int) -> str:
    """Ask the provider once. Raises ProviderError when it cannot be reached (the task retries)."""
    ghost = GhostMember.objects.select_related("last_import").filter(pk=ghost_member_id).first()
    if ghost is None or not ghost.stripe_customer_id:
        return "nothing to sync"
    GhostMember.objects.filter(pk=ghost.pk).update(
        sync_attempts=F("sync_attempts") + 1, sync_attempted_at=timezone.now()
    )
    provider_id = ghost.provider or "stripe"
    try:
        subscriptions = get_provider(provider_id).subscriptions_for_customer(customer_id=ghost.stripe_customer_id)
    except UnknownCustomer as exc:
        _finish(
            ghost,
            GhostMember.SyncStatus.FAILED,
            f"{exc} Check that the right Stripe account is connected; "
            "the member keeps provisional access until it ends.",
        )
        return "unknown customer"
    except ProviderError as exc:  # unreachable, or not configured (no keys): the task retries, the sweep re-queues
        GhostMember.objects.filter(pk=ghost.pk).update(
            sync_note=f"Could not ask {provider_id} yet ({exc}); asking again."[:300]
        )
        raise
    chosen, live_count = _following(subscriptions)
    first_time = ghost.sync_status != GhostMember.SyncStatus.SYNCED
    if chosen is None:
        ended = lifecycle.end_provisional_membership(
            user_id=ghost.user_id,
            summary=f"Provisional access ended: {provider_id} holds no live paid subscription for this customer",
        )
        note = f"No live paid subscription at {provider_id}" + ("; provisional access ended." if ended else ".")
    else:
        tier = services.tier_for_lookup_key(chosen.price_lookup_key) or _tier_from_ghost(ghost)
        had_membership = Membership.objects.filter(user_id=ghost.user_id).exists()
        membership = lifecycle.apply_subscription_state(user_id=ghost.user_id, reported=chosen, tier=tier)
        until = date_text(chosen.current_period_end, empty="no end date")
        if membership is not None and not had_membership and ghost.ghost_created_at:
            # A membership created here for a member of Ghost: member since they joined Ghost, as the import does.
            Membership.objects.filter(pk=membership.pk).update(
                started_at=min(ghost.ghost_created_at, membership.started_at)
            )
        if membership is None:
            note = (
                f"Live subscription {chosen.subscription_id} found, but no tier matches it: comp the member or fix "
                "the tier names."
            )
        elif membership.provider_subscription_id == chosen.subscription_id:
            note = (
                f"Following {provider_id} subscription {chosen.subscription_id} ({chosen.status}, paid until {until})."
            )
            if first_time:
                services.record_member_event(
                    user_id=ghost.user_id,
                    membership=membership,
                    kind=MemberEvent.Kind.IMPORTED,
                    reader_visible=False,
                    summary=note,
                )
        else:
            note = f"Keeps the membership they already had here; subscription {chosen.subscription_id} is not followed."
        if live_count > 1:
            note += f" The customer has {live_count} live subscriptions: check for double billing."
    _finish(ghost, GhostMember.SyncStatus.SYNCED, note)
    return "synced"


def _finish(ghost: GhostMember, status: str, note: str) -> None:
    GhostMember.objects.filter(pk=ghost.pk).update(sync_status=status, sync_note=note[:300], synced_at=timezone.now())


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=MAX_RETRIES)
def sync_ghost_member_task(self, ghost_member_id: int) -> str:
    try:
        return sync_ghost_member(ghost_member_id=ghost_member_id)
    except ProviderError as exc:
        if self.request.retries >= self.max_retries:
            return "still waiting (the sweep asks again)"
        raise self.retry(exc=exc, countdown=min(60 * 2**self.request.retries, 3600)) from exc


def enqueue_syncs(ghost_member_ids: list[int]) -> None:
    for pk in ghost_member_ids:
        try:
            sync_ghost_member_task.delay(pk)
        except Exception:  # broker down: the member stays pending and the sweep queues it later
            logger.warning("could not enqueue the provider sync of Ghost member %s", pk, exc_info=True)


def requeue_pending_syncs(*, now: datetime | None = None) -> int:
    """Queue again every sync still waiting whose last attempt is over an hour old (lost enqueue, long outage)."""
    now = now or timezone.now()
    pending = list(
        GhostMember.objects.filter(sync_status=GhostMember.SyncStatus.PENDING)
        .filter(Q(sync_attempted_at__isnull=True) | Q(sync_attempted_at__lt=now - REQUEUE_AFTER))
        .values_list("pk", flat=True)[:5000]
    )
    enqueue_syncs(pending)
    return len(pending)


@shared_task(acks_late=True, ignore_result=True)
def requeue_pending_ghost_syncs() -> int:
    return requeue_pending_syncs()
