"""Membership rules: who is a member, what joining costs, and every change to a membership.

Views, admin actions, Celery tasks and the payment event handlers (members/handlers.py) all call these; a
membership's state changes only here, and every change leaves a MemberEvent saying what caused it."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from members.models import MemberEvent, Membership, MembershipCheckout, Tier, TierPrice
from outlet.payments import services as payments
from outlet.payments.providers import get_provider
from outlet.payments.providers.base import OUR_MARKER, CheckoutRequest, PriceSpec, ProviderError


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


def reader_standing(*, user, now: datetime | None = None) -> ReaderStanding:
    """One query for a signed-in reader; none for an anonymous one."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS_STANDING
    now = now or timezone.now()
    membership = (
        Membership.objects.filter(user_id=user.pk)
        .only("tier_id", "status", "source", "current_period_end", "grace_until")
        .first()
    )
    if membership is None:
        return ReaderStanding(Audience.FREE, is_staff=user.is_staff)
    if membership_grants_access(membership, now=now):
        return ReaderStanding(Audience.MEMBER, tier_id=membership.tier_id, is_staff=user.is_staff)
    return ReaderStanding(Audience.LAPSED, is_staff=user.is_staff)


def standing_for_request(request, *, now: datetime | None = None) -> ReaderStanding:
    """The reader's standing, looked up once per request however many views and templates ask."""
    standing = getattr(request, "_reader_standing", None)
    if standing is None:
        standing = reader_standing(user=getattr(request, "user", None), now=now)
        request._reader_standing = standing
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
    prices = TierPrice.objects.filter(is_active=True, tier__is_active=True, currency=currency.upper()).select_related("tier")
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
        lookup_key=price_lookup_key(price), product_name=f"{settings.SITE_NAME} {price.tier.name} membership",
        interval=price.interval, currency=price.currency, amount_minor=price.amount_minor,  # type: ignore[arg-type]
    )


def active_price(*, tier: Tier, interval: str, currency: str) -> TierPrice:
    price = TierPrice.objects.filter(tier=tier, interval=interval, currency=currency.upper(), is_active=True, tier__is_active=True).select_related("tier").first()
    if price is None:
        raise MembershipError("That tier is not offered with this billing interval and currency. Choose another.")
    return price


# --- Reader actions -----------------------------------------------------------------------------------------


def start_membership_checkout(*, user, tier: Tier, interval: str, currency: str) -> str:
    """Open the provider's checkout for this choice and return where to send the reader. Nothing becomes active
    here: only the provider's payment event makes a member."""
    price = active_price(tier=tier, interval=interval, currency=currency)
    existing = Membership.objects.filter(user=user).first()
    if existing and existing.source == Membership.Source.PAID and membership_grants_access(existing, now=timezone.now()):
        raise MembershipError("You are already a member. Change your tier or billing from your account page.")
    provider = get_provider()
    reference = uuid.uuid4().hex
    checkout = MembershipCheckout.objects.create(
        reference=reference, user=user, tier=tier, interval=interval, currency=price.currency,
        amount_minor=price.amount_minor, provider=provider.id,
    )
    try:
        customer_id = payments.ensure_customer(provider=provider, user_id=user.pk, email=user.email)
    except ProviderError as exc:
        raise MembershipError(str(exc)) from exc
    request = CheckoutRequest(
        purpose="membership", reference=reference, email=user.email, user_id=user.pk, customer_id=customer_id,
        success_url=f"{settings.SITE_URL}/membership/welcome/{reference}/",
        cancel_url=f"{settings.SITE_URL}/membership/?currency={price.currency}&interval={interval}",
        metadata={OUR_MARKER: "membership", "outlet_user": str(user.pk), "outlet_tier": tier.slug, "outlet_checkout": reference},
        recurring=_price_spec(price), description=f"{tier.name} membership",
    )
    try:
        redirect = provider.start_checkout(request=request, idempotency_key=f"membership-checkout-{reference}")
    except ProviderError as exc:
        raise MembershipError(str(exc)) from exc
    checkout.provider_session_id = redirect.session_id
    checkout.save(update_fields=["provider_session_id"])
    _timeline(user_id=user.pk, membership=existing, kind=MemberEvent.Kind.CHECKOUT_STARTED, by_reader=True, reader_visible=False,
              summary=f"Started checkout: {tier.name}, {price.get_interval_display().lower()}, {price.currency}")
    return redirect.url


def _paid_membership(user) -> Membership:
    membership = Membership.objects.filter(user=user).select_related("tier").first()
    if membership is None or membership.source != Membership.Source.PAID or not membership.provider_subscription_id:
        raise MembershipError("You have no paid membership to change.")
    if membership.status == Membership.Status.LAPSED:
        raise MembershipError("Your membership has ended. Join again from the membership page.")
    return membership


def change_membership_plan(*, user, tier: Tier, interval: str) -> None:
    """Ask the provider to move the subscription (it prorates); our state follows from its event."""
    membership = _paid_membership(user)
    price = active_price(tier=tier, interval=interval, currency=membership.currency)
    if price.tier_id == membership.tier_id and price.interval == membership.interval:
        raise MembershipError("That is already your plan.")
    try:
        get_provider(membership.provider).change_subscription_price(
            subscription_id=membership.provider_subscription_id, price=_price_spec(price),
            idempotency_key=f"membership-{membership.pk}-plan-{price.pk}-{uuid.uuid4().hex[:8]}",
        )
    except ProviderError as exc:
        raise MembershipError(str(exc)) from exc


def set_membership_renewal(*, user, renew: bool) -> None:
    """Cancel at period end (renew=False) or resume before the end (renew=True)."""
    membership = _paid_membership(user)
    if membership.cancel_at_period_end == (not renew):
        return
    try:
        get_provider(membership.provider).set_cancel_at_period_end(
            subscription_id=membership.provider_subscription_id, cancel=not renew,
            idempotency_key=f"membership-{membership.pk}-renew-{int(renew)}-{uuid.uuid4().hex[:8]}",
        )
    except ProviderError as exc:
        raise MembershipError(str(exc)) from exc


def billing_portal_url(*, user, return_url: str) -> str:
    provider = get_provider()
    customer_id = payments.customer_id_for(provider_id=provider.id, user_id=user.pk)
    if not customer_id:
        raise MembershipError("There is no card on file yet: it is added when you first pay.")
    try:
        return provider.open_portal(customer_id=customer_id, return_url=return_url)
    except ProviderError as exc:
        raise MembershipError(str(exc)) from exc


# --- Staff actions ------------------------------------------------------------------------------------------


def comp_membership(*, user, tier: Tier, until: datetime | None, staff_user) -> Membership:
    """A complimentary membership: free, with an end date or open-ended; it opens articles like a paid one. A paying
    member keeps their subscription; the comp is for readers without one."""
    with transaction.atomic():
        membership = Membership.objects.select_for_update().filter(user=user).first()
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
        ending = f"until {until:%d %B %Y}" if until else "with no end date"
        _timeline(user_id=user.pk, membership=membership, kind=MemberEvent.Kind.COMPED, from_status=before,
                  to_status=membership.status, staff_user=staff_user, summary=f"Complimentary {tier.name} membership {ending}")
    return membership


# --- Provider events (called by members/handlers.py) -------------------------------------------------------


def _timeline(*, user_id: int, membership: Membership | None, kind: str, summary: str, from_status: str = "", to_status: str = "",
              webhook_event=None, staff_user=None, by_reader: bool = False, reader_visible: bool = True,
              at: datetime | None = None) -> MemberEvent:
    return MemberEvent.objects.create(
        user_id=user_id, membership=membership, kind=kind, summary=summary[:300], from_status=from_status, to_status=to_status,
        webhook_event=webhook_event, staff_user=staff_user, by_reader=by_reader, reader_visible=reader_visible,
        created_at=at or timezone.now(),
    )


def mark_checkout_completed(*, reference: str, user_id: int, occurred_at: datetime, webhook_event=None) -> None:
    """The reader came back from a finished checkout. Payment is confirmed by the subscription/payment events."""
    updated = MembershipCheckout.objects.filter(reference=reference, user_id=user_id, completed_at__isnull=True).update(completed_at=occurred_at)
    if updated:
        _timeline(user_id=user_id, membership=Membership.objects.filter(user_id=user_id).first(), kind=MemberEvent.Kind.CHECKOUT_COMPLETED,
                  summary="Checkout completed", webhook_event=webhook_event, reader_visible=False, at=occurred_at)


def _status_for(provider_status: str, *, cancel_at_period_end: bool, ended: bool) -> str | None:
    """Our status for a provider subscription status; None for states that grant nothing yet (incomplete)."""
    if ended or provider_status in {"canceled", "incomplete_expired", "paused"}:
        return Membership.Status.LAPSED
    if provider_status in {"active", "trialing"}:
        return Membership.Status.CANCELLED if cancel_at_period_end else Membership.Status.ACTIVE
    if provider_status in {"past_due", "unpaid"}:
        return Membership.Status.PAST_DUE
    return None


def _on_joined(membership: Membership) -> None:
    from members.tasks import send_welcome_email

    # One welcome per joining: a rejoin (new subscription, or a new comp after a lapse) is welcomed again.
    key = f"welcome:{membership.pk}:{membership.provider_subscription_id or int(membership.started_at.timestamp())}"
    transaction.on_commit(lambda: send_welcome_email.delay(membership.pk, key))


def apply_subscription_state(*, user_id: int, provider: str, subscription_id: str, customer_id: str, provider_status: str,
                             tier: Tier | None, interval: str | None, currency: str | None, amount_minor: int | None,
                             current_period_end: datetime | None, cancel_at_period_end: bool, ended: bool,
                             occurred_at: datetime, rank: int, webhook_event=None) -> Membership | None:
    """Bring the membership to the provider's view of the subscription, unless we already hold a newer view."""
    new_status = _status_for(provider_status, cancel_at_period_end=cancel_at_period_end, ended=ended)
    with transaction.atomic():
        membership = Membership.objects.select_for_update().filter(user_id=user_id).first()
        if membership is not None and membership.provider_subscription_id and membership.provider_subscription_id != subscription_id:
            # Another subscription than the one we follow: an old one ending, or a new one replacing a lapsed one.
            if ended or membership.status != Membership.Status.LAPSED:
                return membership
            membership.provider_state_at = None
        if membership is not None and membership.provider_subscription_id == subscription_id and membership.provider_state_at:
            if (occurred_at, rank) < (membership.provider_state_at, membership.provider_state_rank):
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
        membership.interval = interval or membership.interval
        membership.currency = (currency or membership.currency).upper()
        membership.amount_minor = amount_minor if amount_minor is not None else membership.amount_minor
        membership.provider = provider
        membership.provider_customer_id = customer_id or membership.provider_customer_id
        membership.provider_subscription_id = subscription_id
        membership.current_period_end = current_period_end or membership.current_period_end
        membership.cancel_at_period_end = cancel_at_period_end and not ended
        # Rank -1 is a join inferred from a paid invoice: any subscription event, even an older one, may refine it.
        if rank >= 0:
            membership.provider_state_at, membership.provider_state_rank = occurred_at, rank
        if new_status == Membership.Status.PAST_DUE:
            membership.grace_until = membership.grace_until or occurred_at + timedelta(days=settings.MEMBERSHIP_GRACE_DAYS)
        else:
            membership.grace_until = None
        if new_status == Membership.Status.LAPSED:
            membership.ended_at = membership.ended_at or occurred_at
        elif not was_member:
            membership.started_at, membership.ended_at = occurred_at, None
        membership.save()
        _record_transition(membership, before=before, previous_plan=previous_plan, webhook_event=webhook_event, at=occurred_at)
    return membership


def _record_transition(membership: Membership, *, before: str, previous_plan: tuple, webhook_event, at: datetime) -> None:
    status = membership.status
    tier_name = membership.tier.name
    common = {"user_id": membership.user_id, "membership": membership, "from_status": before, "to_status": status, "webhook_event": webhook_event}
    if before in ("", Membership.Status.LAPSED) and status != Membership.Status.LAPSED:
        _timeline(**common, kind=MemberEvent.Kind.JOINED, summary=f"Became a {tier_name} member")
        _on_joined(membership)
        return
    # An interval learnt for the first time (a member who joined by invoice before any subscription event) is no change.
    if previous_plan[0] and (previous_plan[0] != membership.tier_id or previous_plan[1] not in ("", membership.interval)):
        _timeline(**common, kind=MemberEvent.Kind.PLAN_CHANGED, summary=f"Plan changed to {tier_name}, {membership.get_interval_display().lower()}")
    if before == status:
        return
    if status == Membership.Status.CANCELLED:
        ends = f"{membership.current_period_end:%d %B %Y}" if membership.current_period_end else "the period end"
        _timeline(**common, kind=MemberEvent.Kind.CANCEL_REQUESTED, summary=f"Set to end on {ends}")
    elif status == Membership.Status.ACTIVE and before == Membership.Status.CANCELLED:
        _timeline(**common, kind=MemberEvent.Kind.RESUMED, summary="Renewal resumed")
    elif status == Membership.Status.ACTIVE and before == Membership.Status.PAST_DUE:
        _timeline(**common, kind=MemberEvent.Kind.RECOVERED, summary="Payment recovered")
    elif status == Membership.Status.PAST_DUE:
        _timeline(**common, kind=MemberEvent.Kind.PAYMENT_FAILED, summary=f"Payment overdue; access kept until {membership.grace_until:%d %B %Y}")
    elif status == Membership.Status.LAPSED:
        _timeline(**common, kind=MemberEvent.Kind.LAPSED, summary="Membership ended")


def record_membership_payment(*, membership: Membership | None, user_id: int, amount_text: str, period_end: datetime | None,
                              occurred_at: datetime, webhook_event=None) -> None:
    """A paid invoice: extend the paid-for period and recover a past-due membership (not one we hold newer news of)."""
    with transaction.atomic():
        if membership is not None:
            membership = Membership.objects.select_for_update().get(pk=membership.pk)
            newer_state_known = membership.provider_state_at and membership.provider_state_at > occurred_at
            fields = []
            if period_end and (membership.current_period_end is None or period_end > membership.current_period_end):
                membership.current_period_end = period_end
                fields.append("current_period_end")
            if membership.status == Membership.Status.PAST_DUE and not newer_state_known:
                membership.status, membership.grace_until = Membership.Status.ACTIVE, None
                fields += ["status", "grace_until"]
                _timeline(user_id=user_id, membership=membership, kind=MemberEvent.Kind.RECOVERED, from_status=Membership.Status.PAST_DUE,
                          to_status=Membership.Status.ACTIVE, summary="Payment recovered", webhook_event=webhook_event)
            if fields:
                membership.save(update_fields=[*fields, "updated_at"])
        _timeline(user_id=user_id, membership=membership, kind=MemberEvent.Kind.RENEWED, summary=f"Payment of {amount_text} received",
                  webhook_event=webhook_event, at=occurred_at)


def record_membership_payment_failed(*, membership: Membership, occurred_at: datetime, attempt: int, payment_ref: str, webhook_event=None) -> None:
    from members.tasks import send_payment_failed_email

    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        newer_state_known = bool(membership.provider_state_at and membership.provider_state_at > occurred_at)
        if not newer_state_known and membership.status in (Membership.Status.ACTIVE, Membership.Status.CANCELLED):
            before = membership.status
            membership.status = Membership.Status.PAST_DUE
            membership.grace_until = membership.grace_until or occurred_at + timedelta(days=settings.MEMBERSHIP_GRACE_DAYS)
            membership.save(update_fields=["status", "grace_until", "updated_at"])
            _timeline(user_id=membership.user_id, membership=membership, kind=MemberEvent.Kind.PAYMENT_FAILED, from_status=before,
                      to_status=membership.status, webhook_event=webhook_event,
                      summary=f"Payment failed (attempt {attempt}); access kept until {membership.grace_until:%d %B %Y}")
        else:
            _timeline(user_id=membership.user_id, membership=membership, kind=MemberEvent.Kind.PAYMENT_FAILED, webhook_event=webhook_event,
                      summary=f"Payment failed (attempt {attempt})")
        key = f"payment-failed:{membership.provider}:{payment_ref}:{attempt}"
        transaction.on_commit(lambda: send_payment_failed_email.delay(membership.pk, key))


def record_payment_problem(*, user_id: int, kind: str, summary: str, webhook_event=None) -> None:
    """Refunds and disputes are recorded on the timeline; access is a staff decision, not an automatic one."""
    membership = Membership.objects.filter(user_id=user_id).first()
    _timeline(user_id=user_id, membership=membership, kind=kind, summary=summary, webhook_event=webhook_event)


def lapse_ended_memberships(*, now: datetime | None = None) -> int:
    """Mark memberships whose access has run out as lapsed (the "come back" audience), with a timeline entry."""
    from members.tasks import send_membership_ended_email

    now = now or timezone.now()
    candidates = Membership.objects.exclude(status=Membership.Status.LAPSED).filter(
        current_period_end__lt=now
    ) | Membership.objects.filter(status=Membership.Status.PAST_DUE, grace_until__lt=now)
    lapsed = 0
    for membership_id in candidates.values_list("pk", flat=True).distinct():
        with transaction.atomic():
            membership = Membership.objects.select_for_update().select_related("tier").get(pk=membership_id)
            if membership.status == Membership.Status.LAPSED or membership_grants_access(membership, now=now):
                continue
            before = membership.status
            membership.status, membership.ended_at = Membership.Status.LAPSED, now
            membership.save(update_fields=["status", "ended_at", "updated_at"])
            kind = MemberEvent.Kind.COMP_ENDED if membership.source == Membership.Source.COMP else MemberEvent.Kind.LAPSED
            _timeline(user_id=membership.user_id, membership=membership, kind=kind, from_status=before, to_status=membership.status,
                      summary="Membership ended: access ran out")
            key = f"ended:{membership.pk}:{int(now.timestamp())}"
            transaction.on_commit(lambda pk=membership.pk, key=key: send_membership_ended_email.delay(pk, key))
            lapsed += 1
    return lapsed
