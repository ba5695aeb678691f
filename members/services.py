"""Membership rules: who is a member, what joining costs, and what readers and staff may change.

Views and admin actions call these; provider events go through members/lifecycle.py. A membership's state
changes only in these two modules, and every change leaves a MemberEvent saying what caused it."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from members.join_choice import safe_return_path
from members.models import (
    MemberEvent,
    Membership,
    MembershipChange,
    MembershipCheckout,
    Tier,
    TierPrice,
    interval_in_a_sentence,
)
from outlet.common.local_time import date_text
from outlet.payments import services as payments
from outlet.payments import subscriptions
from outlet.payments.providers import get_provider
from outlet.payments.providers.base import OUR_MARKER, CheckoutRequest, PriceSpec, ProviderError

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django.http import HttpRequest

    from outlet.payments.models import WebhookEvent
    from outlet.payments.providers.base import Interval


class MembershipError(Exception):
    """A request we refuse, with a message for the reader or staff member."""


# --- Standing: what access and prompts ask -----------------------------------------------------------------


class Audience(enum.StrEnum):
    """Who a reader is, as far as access and prompts care."""

    ANONYMOUS = "anonymous"
    FREE = "free"  # signed in, never been a member (a "free member")
    LAPSED = "lapsed"  # was a member, access has ended
    MEMBER = "member"  # access now: paid, past due within grace, cancelled until period end, or comped


@dataclass(frozen=True)
class ReaderStanding:
    audience: Audience
    tier_id: int | None = None
    is_staff: bool = False

    @property
    def is_member(self) -> bool:
        return self.audience is Audience.MEMBER


ANONYMOUS_STANDING = ReaderStanding(Audience.ANONYMOUS)


def access_ends_at(membership: Membership) -> datetime | None:
    """When this membership stops opening articles (None: open-ended)."""
    if membership.status == Membership.Status.PAST_DUE and membership.grace_until:
        return membership.grace_until
    if membership.current_period_end is None:
        return None
    if membership.source == Membership.Source.PAID and membership.status == Membership.Status.ACTIVE:
        return membership.current_period_end + timedelta(hours=settings.MEMBERSHIP_RENEWAL_LEEWAY_HOURS)
    return membership.current_period_end


def membership_grants_access(membership: Membership, *, now: datetime) -> bool:
    if membership.status == Membership.Status.LAPSED:
        return False
    ends = access_ends_at(membership)
    return ends is None or ends > now


def reader_standing(*, user: User | AnonymousUser | None, now: datetime | None = None) -> ReaderStanding:
    """One query for a signed-in reader; none for an anonymous one."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS_STANDING
    membership = (
        Membership.objects.filter(user_id=user.pk)
        .only("tier_id", "status", "source", "current_period_end", "grace_until")
        .first()
    )
    return standing_with(membership, is_staff=user.is_staff, now=now or timezone.now())


STANDING_FIELDS = ("status", "source", "current_period_end", "grace_until", "tier_id")


def standing_with(membership: Membership | None, *, is_staff: bool, now: datetime) -> ReaderStanding:
    """A signed-in reader's standing from their membership row (or none): the one rule, whether the row came from
    the ORM or from the front cache's single query (which fills STANDING_FIELDS)."""
    if membership is None:
        return ReaderStanding(Audience.FREE, is_staff=is_staff)
    if membership_grants_access(membership, now=now):
        return ReaderStanding(Audience.MEMBER, tier_id=membership.tier_id, is_staff=is_staff)
    return ReaderStanding(Audience.LAPSED, is_staff=is_staff)


def members_with_access(*, now: datetime, tier_ids: Collection[int] | None = None) -> QuerySet[Membership]:
    """Every membership that opens articles at `now`, as a query (`membership_grants_access` for millions of rows):
    newsletters stream their members' addresses from it, so a lapsed member drops out of the next send."""
    leeway = timedelta(hours=settings.MEMBERSHIP_RENEWAL_LEEWAY_HOURS)
    in_grace = Q(status=Membership.Status.PAST_DUE, grace_until__isnull=False)
    paid_active = Q(source=Membership.Source.PAID, status=Membership.Status.ACTIVE)
    by_period = (
        Q(current_period_end__isnull=True)
        | (paid_active & Q(current_period_end__gt=now - leeway))
        | (~paid_active & Q(current_period_end__gt=now))
    )
    rows = Membership.objects.exclude(status=Membership.Status.LAPSED).filter(
        (in_grace & Q(grace_until__gt=now)) | (~in_grace & by_period)
    )
    if tier_ids is not None:
        rows = rows.filter(tier_id__in=list(tier_ids))
    return rows


def member_tiers_by_address(*, addresses: Collection[str], now: datetime) -> dict[str, tuple[int, int]]:
    """For lower-cased addresses: address -> (user id, tier id) of those who are members at `now` (one query)."""
    rows = (
        members_with_access(now=now)
        .annotate(address=Lower("user__email"))
        .filter(address__in=list(addresses))
        .values_list("address", "user_id", "tier_id")
    )
    return {address: (user_id, tier_id) for address, user_id, tier_id in rows}


def standing_for_request(request: HttpRequest, *, now: datetime | None = None) -> ReaderStanding:
    """The reader's standing, looked up once per request however many views and templates ask."""
    standing = getattr(request, "_reader_standing", None)
    if standing is None:
        standing = reader_standing(user=getattr(request, "user", None), now=now)
        request._reader_standing = standing  # type: ignore[attr-defined]  # a per-request cache on the request
    return standing


# --- Offers: tiers and prices on the membership page -------------------------------------------------------


@dataclass(frozen=True)
class TierOffer:
    tier: Tier
    monthly: TierPrice | None
    yearly: TierPrice | None

    @property
    def yearly_saving_minor(self) -> int:
        """What a year costs less when paid yearly rather than monthly (0 when it does not)."""
        if not (self.monthly and self.yearly):
            return 0
        return max(self.monthly.amount_minor * 12 - self.yearly.amount_minor, 0)

    @property
    def yearly_saving_percent(self) -> int:
        if not self.yearly_saving_minor or not self.monthly:
            return 0
        return self.yearly_saving_minor * 100 // (self.monthly.amount_minor * 12)


def offered_currencies() -> list[str]:
    present = set(TierPrice.objects.filter(is_active=True, tier__is_active=True).values_list("currency", flat=True))
    ordered = [c for c in settings.MEMBERSHIP_CURRENCIES if c in present]
    return ordered + sorted(present - set(ordered))


def tier_offers(*, currency: str) -> list[TierOffer]:
    prices = TierPrice.objects.filter(is_active=True, tier__is_active=True, currency=currency.upper()).select_related(
        "tier"
    )
    by_tier: dict[int, dict[str, TierPrice]] = {}
    tiers: dict[int, Tier] = {}
    for price in prices:
        tiers[price.tier_id] = price.tier
        by_tier.setdefault(price.tier_id, {})[price.interval] = price
    ordered = sorted(tiers.values(), key=lambda t: (t.position, t.name))
    return [TierOffer(t, by_tier[t.pk].get("month"), by_tier[t.pk].get("year")) for t in ordered]


def price_lookup_key(price: TierPrice) -> str:
    """The provider-side name of a price. The amount is part of it, so editing a price in the admin makes a new
    provider price and never silently re-prices existing subscriptions."""
    return f"outlet:{price.tier.slug}:{price.interval}:{price.currency.lower()}:{price.amount_minor}"


def tier_for_lookup_key(lookup_key: str | None) -> Tier | None:
    parts = (lookup_key or "").split(":")
    if len(parts) != 5 or parts[0] != "outlet":
        return None
    return Tier.objects.filter(slug=parts[1]).first()


def tier_by_slug(slug: str | None) -> Tier | None:
    return Tier.objects.filter(slug=slug).first() if slug else None


def _price_spec(price: TierPrice) -> PriceSpec:
    return PriceSpec(
        lookup_key=price_lookup_key(price),
        product_name=f"{settings.SITE_NAME} {price.tier.name} membership",
        interval=cast("Interval", price.interval),  # the field's choices are TierPrice.Interval: month or year
        currency=price.currency,
        amount_minor=price.amount_minor,
    )


def active_price(*, tier: Tier, interval: str, currency: str) -> TierPrice:
    price = (
        TierPrice.objects.filter(
            tier=tier, interval=interval, currency=currency.upper(), is_active=True, tier__is_active=True
        )
        .select_related("tier")
        .first()
    )
    if price is None:
        raise MembershipError(_("That tier is not offered with this billing interval and currency. Choose another."))
    return price


# --- Reader actions -----------------------------------------------------------------------------------------


def start_membership_checkout(*, user: User, tier: Tier, interval: str, currency: str, return_path: str = "") -> str:
    """Open the provider's checkout for this choice and return where to send the reader. Nothing becomes active
    here: only the provider's payment event makes a member. `return_path` is the story to offer after paying."""
    price = active_price(tier=tier, interval=interval, currency=currency)
    existing = Membership.objects.filter(user=user).first()
    if (
        existing
        and existing.source == Membership.Source.PAID
        and membership_grants_access(existing, now=timezone.now())
    ):
        raise MembershipError(_("You are already a member. Change your tier or billing from your account page."))
    provider = get_provider()
    reference = uuid.uuid4().hex
    checkout = MembershipCheckout.objects.create(
        reference=reference,
        user=user,
        tier=tier,
        interval=interval,
        currency=price.currency,
        amount_minor=price.amount_minor,
        provider=provider.id,
        return_path=safe_return_path(return_path),
    )
    try:
        customer_id = payments.ensure_customer(provider=provider, user_id=user.pk, email=user.email)
    except ProviderError as exc:
        raise MembershipError(str(exc)) from exc
    request = CheckoutRequest(
        purpose="membership",
        reference=reference,
        email=user.email,
        user_id=user.pk,
        customer_id=customer_id,
        success_url=f"{settings.SITE_URL}/membership/welcome/{reference}/",
        cancel_url=f"{settings.SITE_URL}/membership/?{urlencode(_offer_query(price.currency, interval, return_path))}",
        metadata={
            OUR_MARKER: "membership",
            "outlet_user": str(user.pk),
            "outlet_tier": tier.slug,
            "outlet_checkout": reference,
        },
        recurring=_price_spec(price),
        description=f"{tier.name} membership",
    )
    try:
        redirect = provider.start_checkout(request=request, idempotency_key=f"membership-checkout-{reference}")
    except ProviderError as exc:
        raise MembershipError(str(exc)) from exc
    checkout.provider_session_id = redirect.session_id
    checkout.save(update_fields=["provider_session_id"])
    record_member_event(
        user_id=user.pk,
        membership=existing,
        kind=MemberEvent.Kind.CHECKOUT_STARTED,
        by_reader=True,
        reader_visible=False,
        summary=f"Started checkout: {tier.name}, {interval_in_a_sentence(price.interval)}, {price.currency}",
    )
    return redirect.url


def _offer_query(currency: str, interval: str, return_path: str) -> dict[str, str]:
    query = {"currency": currency, "interval": interval}
    if safe_return_path(return_path):
        query["return_to"] = safe_return_path(return_path)
    return query


def checkout_confirmed(*, checkout: MembershipCheckout, membership: Membership | None, now: datetime) -> bool:
    """Has the provider's event for this checkout arrived: a paid membership with access, updated since it began?"""
    return bool(
        membership
        and membership.source == Membership.Source.PAID
        and membership.provider_customer_id
        and membership_grants_access(membership, now=now)
        and membership.updated_at >= checkout.created_at
    )


def _is_changeable(membership: Membership | None) -> bool:
    return bool(
        membership
        and membership.source == Membership.Source.PAID
        and membership.provider_subscription_id
        and membership.status != Membership.Status.LAPSED
    )


def plan_change_offers(membership: Membership | None) -> list[TierOffer]:
    """What a paying member may switch to (in their currency); nothing for comps, lapsed or free readers."""
    return tier_offers(currency=membership.currency) if membership and _is_changeable(membership) else []


def _paid_membership(user: User) -> Membership:
    membership = Membership.objects.filter(user=user).select_related("tier").first()
    if (
        membership is not None
        and membership.source == Membership.Source.PAID
        and membership.status == Membership.Status.LAPSED
    ):
        raise MembershipError(_("Your membership has ended. Join again from the membership page."))
    if not _is_changeable(membership):
        raise MembershipError(_("You have no paid membership to change."))
    assert membership is not None
    return membership


# A change the provider has not confirmed within this time is no longer shown as pending: its event was lost or it
# was refused, and the page then shows the state the provider last reported (the reconciliation sweep heals the rest).
PENDING_CHANGE_SHOWN_FOR = timedelta(minutes=15)


def pending_change(membership: Membership | None, *, now: datetime | None = None) -> MembershipChange | None:
    """The change asked for and not yet confirmed by the provider's event, if it is recent."""
    if membership is None or membership.pk is None:
        return None
    since = (now or timezone.now()) - PENDING_CHANGE_SHOWN_FOR
    return (
        MembershipChange.objects.filter(membership=membership, confirmed_at=None, requested_at__gte=since)
        .select_related("tier")
        .first()
    )


def change_membership_plan(
    *, user: User, tier: Tier, interval: str, requested_by: User | None = None
) -> MembershipChange:
    """Ask the provider to move the subscription (it prorates); our state follows from its event."""
    membership = _paid_membership(user)
    price = active_price(tier=tier, interval=interval, currency=membership.currency)
    if price.tier_id == membership.tier_id and price.interval == membership.interval:
        raise MembershipError(_("That is already your plan."))
    try:
        subscriptions.change_price(membership, price=_price_spec(price), request=f"plan-{price.pk}")
    except ProviderError as exc:
        raise MembershipError(str(exc)) from exc
    return remember_change(
        membership, kind=MembershipChange.Kind.PLAN, tier=tier, interval=interval, requested_by=requested_by or user
    )


def set_membership_renewal(*, user: User, renew: bool, requested_by: User | None = None) -> MembershipChange | None:
    """Cancel at period end (renew=False) or resume before the end (renew=True). None when it already is so."""
    membership = _paid_membership(user)
    if membership.cancel_at_period_end == (not renew):
        return None
    try:
        subscriptions.set_renewal(membership, renew=renew)
    except ProviderError as exc:
        raise MembershipError(str(exc)) from exc
    kind = MembershipChange.Kind.RESUME if renew else MembershipChange.Kind.CANCEL
    return remember_change(membership, kind=kind, requested_by=requested_by or user)


def lock_member(user_id: int) -> Membership | None:
    """Lock a reader's account row, then their membership: everything that writes a membership takes the two in this
    order, so two events (or an event and a request) about one reader queue instead of deadlocking.

    The account gets FOR NO KEY UPDATE, not FOR UPDATE: writers still queue on it, but it leaves alone the key-share
    lock PostgreSQL takes when another transaction commits a row that refers to the account (a payment, a checkout, a
    timeline row). FOR UPDATE blocks that check, which deadlocked webhook workers in bench/soak.py."""
    get_user_model().objects.select_for_update(no_key=True).filter(pk=user_id).first()
    return Membership.objects.select_for_update().filter(user_id=user_id).first()


def lock_membership(membership_id: int) -> Membership | None:
    """lock_member for a membership known by its id: None when it is gone (or its reader now holds another)."""
    owner = Membership.objects.filter(pk=membership_id).values_list("user_id", flat=True).first()
    membership = lock_member(owner) if owner is not None else None
    return membership if membership is not None and membership.pk == membership_id else None


def remember_change(
    membership: Membership, *, kind: str, requested_by: User | None, tier: Tier | None = None, interval: str = ""
) -> MembershipChange:
    """Kept until the provider's event confirms it (members.lifecycle), unless that event has already come: with a
    fast provider the event can be processed before the request that caused it returns."""
    with transaction.atomic():
        # The locks order this against members.lifecycle applying the provider's event.
        # The caller read this membership, so its row is there to lock.
        membership = cast(Membership, lock_member(membership.user_id))
        change = MembershipChange(
            membership=membership, kind=kind, tier=tier, interval=interval, requested_by=requested_by
        )
        if change_is_confirmed_by(change, membership):
            change.confirmed_at = timezone.now()
        change.save()
    return change


def change_is_confirmed_by(change: MembershipChange, membership: Membership) -> bool:
    """Does this membership's state (as the provider last reported it) show the change done?"""
    if change.kind == MembershipChange.Kind.PLAN:
        return membership.tier_id == change.tier_id and membership.interval == change.interval
    if change.kind == MembershipChange.Kind.CANCEL:
        return membership.cancel_at_period_end
    return not membership.cancel_at_period_end and membership.status != Membership.Status.LAPSED


def billing_portal_url(*, user: User, return_url: str) -> str:
    provider = get_provider()
    customer_id = payments.customer_id_for(provider_id=provider.id, user_id=user.pk)
    if not customer_id:
        raise MembershipError(_("There is no card on file yet: it is added when you first pay."))
    try:
        return provider.open_portal(customer_id=customer_id, return_url=return_url)
    except ProviderError as exc:
        raise MembershipError(str(exc)) from exc


# --- The member timeline ---------------------------------------------------------------------------------


def record_member_event(
    *,
    user_id: int,
    membership: Membership | None,
    kind: str,
    summary: str,
    from_status: str = "",
    to_status: str = "",
    webhook_event: WebhookEvent | None = None,
    staff_user: User | None = None,
    by_reader: bool = False,
    reader_visible: bool = True,
    at: datetime | None = None,
    summary_key: str = "",
    summary_values: dict[str, Any] | None = None,
) -> MemberEvent:
    """`summary` is kept as written (staff read it); with `summary_key` (members.models.READER_SUMMARIES) the
    member reads the same sentence in their own language, built from `summary_values` when they look."""
    return MemberEvent.objects.create(
        user_id=user_id,
        membership=membership,
        kind=kind,
        summary=summary[:300],
        summary_key=summary_key,
        summary_values=summary_values or {},
        from_status=from_status,
        to_status=to_status,
        webhook_event=webhook_event,
        staff_user=staff_user,
        by_reader=by_reader,
        reader_visible=reader_visible,
        created_at=at or timezone.now(),
    )


# --- Staff actions ------------------------------------------------------------------------------------------


def comp_membership(*, user: User, tier: Tier, until: datetime | None, staff_user: User | None) -> Membership:
    """A complimentary membership: free, with an end date or open-ended; it opens articles like a paid one. A paying
    member keeps their subscription; the comp is for readers without one."""
    with transaction.atomic():
        membership = lock_member(user.pk)
        if membership and membership.source == Membership.Source.PAID and membership.status != Membership.Status.LAPSED:
            raise MembershipError(f"{user.email} has a paid membership; cancel it before giving a complimentary one.")
        before = membership.status if membership else ""
        if membership is None:
            membership = Membership(user=user)
        membership.tier = tier
        membership.source = Membership.Source.COMP
        membership.status = Membership.Status.ACTIVE
        membership.current_period_end = until
        membership.grace_until = membership.ended_at = None
        membership.cancel_at_period_end = False
        if before in ("", Membership.Status.LAPSED):
            membership.started_at = timezone.now()
        membership.save()
        # The member sees this on their account page.
        summary = (
            _("Complimentary %(tier)s membership until %(date)s") % {"tier": tier.name, "date": date_text(until)}
            if until
            else _("Complimentary %(tier)s membership with no end date") % {"tier": tier.name}
        )
        record_member_event(
            user_id=user.pk,
            membership=membership,
            kind=MemberEvent.Kind.COMPED,
            from_status=before,
            to_status=membership.status,
            staff_user=staff_user,
            summary=summary,
        )
    return membership


def end_comp(*, membership_id: int, staff_user: User | None) -> Membership:
    """End a complimentary membership now: access stops at once and the member becomes lapsed (the "come back"
    audience). Paid memberships end through the provider instead (members.staff.cancel_membership_now)."""
    with transaction.atomic():
        membership = lock_membership(membership_id)
        if membership is None:
            raise MembershipError("This membership no longer exists.")
        if membership.source != Membership.Source.COMP:
            raise MembershipError("This is a paid membership, not a complimentary one: cancel it instead.")
        if membership.status == Membership.Status.LAPSED:
            raise MembershipError("This complimentary membership has already ended.")
        before = membership.status
        membership.status, membership.ended_at = Membership.Status.LAPSED, timezone.now()
        membership.save(update_fields=["status", "ended_at", "updated_at"])
        record_member_event(
            user_id=membership.user_id,
            membership=membership,
            kind=MemberEvent.Kind.COMP_ENDED,
            from_status=before,
            to_status=membership.status,
            staff_user=staff_user,
            summary=_("Complimentary %(tier)s membership ended by staff") % {"tier": membership.tier.name},
        )
    return membership
