"""Donations: what a gift costs, how it is split between the newsrooms, and how the provider's events become
donations, ledger entries and campaign totals.

Views, admin, tasks and the payment handlers call these functions; none of them writes donation rows directly.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from donations.models import (
    AllocationEntry,
    Beneficiary,
    BeneficiaryTotal,
    Campaign,
    CampaignCurrency,
    CampaignDonor,
    CampaignDonorCount,
    CampaignTotal,
    CampaignUpdate,
    Donation,
    DonationCheckout,
    RecurringDonation,
)
from outlet.common import front_cache, languages
from outlet.common.money import format_money
from outlet.payments import services as payments
from outlet.payments.models import Payment
from outlet.payments.providers import get_provider
from outlet.payments.providers.base import (
    OUR_MARKER,
    CheckoutRedirect,
    CheckoutRequest,
    PaymentSucceeded,
    PriceSpec,
    SubscriptionChanged,
)

DONATION = "donation"


class DonationError(Exception):
    """A gift we cannot take as asked; the message is shown to the donor as it is."""


# --- Fees ---------------------------------------------------------------------------------------------------


def processing_fee_minor(*, amount_minor: int, currency: str) -> int:
    """The provider's fee as we estimate it (percentage rounded up, plus a fixed part per currency)."""
    if amount_minor <= 0:
        return 0
    percent_part: int = -(-amount_minor * settings.DONATION_FEE_BASIS_POINTS // 10_000)  # the setting is env.int
    return min(amount_minor, percent_part + settings.DONATION_FEE_FIXED_MINOR.get(currency.upper(), 0))


def fee_to_cover_minor(*, gift_minor: int, currency: str) -> int:
    """What to add so that, after the provider's fee on the larger charge, the newsrooms still get the whole gift."""
    if gift_minor <= 0:
        return 0
    basis: int = settings.DONATION_FEE_BASIS_POINTS  # env.int
    fixed = settings.DONATION_FEE_FIXED_MINOR.get(currency.upper(), 0)
    charge = -(-(gift_minor + fixed) * 10_000 // (10_000 - basis))
    while charge - processing_fee_minor(amount_minor=charge, currency=currency) < gift_minor:  # rounding up twice
        charge += 1
    return charge - gift_minor


def gift_within_charge_minor(*, charge_minor: int, currency: str) -> int:
    """The largest gift whose fee-covered charge fits in `charge_minor`: what a covered monthly charge gives the
    newsrooms after its amount was changed at the provider."""
    gift = max(0, charge_minor - processing_fee_minor(amount_minor=charge_minor, currency=currency))
    while gift > 0 and gift + fee_to_cover_minor(gift_minor=gift, currency=currency) > charge_minor:
        gift -= 1
    while gift + 1 + fee_to_cover_minor(gift_minor=gift + 1, currency=currency) <= charge_minor:
        gift += 1
    return gift


# --- Splitting between the newsrooms --------------------------------------------------------------------------


def split_amount(*, amount_minor: int, weights: Sequence[tuple[int, int]], remainder_to: int) -> dict[int, int]:
    """Split a non-negative amount by integer weights. Each part is rounded down and what is left over goes to
    `remainder_to`, so the parts always add up to the amount exactly and none is negative."""
    if amount_minor < 0:
        raise ValueError("split a non-negative amount; negate the parts for a reversal")
    positive = [(key, weight) for key, weight in weights if weight > 0]
    total_weight = sum(weight for _, weight in positive)
    if total_weight <= 0:
        raise ValueError("at least one weight must be positive")
    if remainder_to not in {key for key, _ in positive}:
        raise ValueError("the remainder must go to a beneficiary in the split")
    parts = {key: amount_minor * weight // total_weight for key, weight in positive}
    parts[remainder_to] += amount_minor - sum(parts.values())
    return parts


def default_weights(campaign: Campaign) -> dict[int, int]:
    return {b.pk: b.share for b in campaign.beneficiaries.all() if b.is_active and b.share > 0}


def clean_weights(*, campaign: Campaign, weights: Mapping[str | int, int] | None) -> dict[int, int]:
    """A donor's own split, checked against the campaign's newsrooms; empty means "the campaign's default split"."""
    if not weights:
        return {}
    if not campaign.allow_custom_split:
        raise DonationError(_("This campaign splits every gift by its own shares."))
    active = {b.pk for b in campaign.beneficiaries.all() if b.is_active}
    cleaned: dict[int, int] = {}
    for raw_key, raw_weight in weights.items():
        try:
            key, weight = int(raw_key), int(raw_weight)
        except (TypeError, ValueError):
            raise DonationError(_("The split between the newsrooms must be whole numbers.")) from None
        if key not in active:
            raise DonationError(_("The split names a newsroom this campaign does not support."))
        if weight < 0 or weight > 1000:
            raise DonationError(_("Each newsroom's part of the split must be between 0 and 1000."))
        if weight:
            cleaned[key] = weight
    if not cleaned:
        raise DonationError(_("Give at least one newsroom a part of the split."))
    return cleaned


def remainder_beneficiary(*, campaign: Campaign, weights: Mapping[int, int]) -> int:
    """The stated beneficiary for the odd minor unit: the campaign's chosen one if it is in the split, otherwise
    the newsroom with the largest weight (the first listed on a tie)."""
    beneficiaries = list(campaign.beneficiaries.all())
    for beneficiary in beneficiaries:
        if beneficiary.receives_rounding_remainder and weights.get(beneficiary.pk, 0) > 0:
            return beneficiary.pk
    in_split = [b for b in beneficiaries if weights.get(b.pk, 0) > 0]
    return max(in_split, key=lambda b: (weights[b.pk], -b.position, -b.pk)).pk


# --- Starting a gift ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DonationRequest:
    """What the donor chose on the form (already parsed into minor units)."""

    campaign: Campaign
    email: str
    currency: str
    gift_minor: int
    interval: str = DonationCheckout.Interval.ONCE
    cover_fee: bool = False
    name: str = ""
    display_name: str = ""
    show_on_wall: bool = False
    anonymous: bool = False
    message: str = ""
    weights: Mapping[str | int, int] = field(default_factory=dict)
    user_id: int | None = None


def campaign_is_open(campaign: Campaign, *, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return campaign.is_published and campaign.starts_at <= now and (campaign.ends_at is None or now < campaign.ends_at)


def currency_option(*, campaign: Campaign, currency: str) -> CampaignCurrency:
    option = campaign.currencies.filter(currency=currency.upper()).first()
    if option is None:
        # Translators: currency is a code such as GEL, USD or EUR.
        raise DonationError(_("This campaign does not take gifts in %(currency)s.") % {"currency": currency.upper()})
    return option


def check_amount_limits(*, option: CampaignCurrency, gift_minor: int, monthly: bool = False) -> None:
    """The campaign's minimum and maximum for this currency, named in the message ("... a month" when monthly)."""
    if gift_minor < option.min_amount_minor or gift_minor > option.max_amount_minor:
        limits = {
            "minimum": format_money(option.min_amount_minor, option.currency),
            "maximum": format_money(option.max_amount_minor, option.currency),
        }
        if monthly:
            # Translators: the smallest and largest monthly gift, e.g. "GEL 5" and "GEL 5,000".
            raise DonationError(_("Please give between %(minimum)s and %(maximum)s a month.") % limits)
        # Translators: the smallest and largest gift, e.g. "GEL 5" and "GEL 5,000".
        raise DonationError(_("Please give between %(minimum)s and %(maximum)s.") % limits)


def start_donation_checkout(
    *, request: DonationRequest, success_url: str, cancel_url: str
) -> tuple[DonationCheckout, CheckoutRedirect]:
    """Record the donor's choices and open the provider's checkout. Nothing is a donation until the provider
    reports the payment; `success_url` may contain "{reference}", filled with this attempt's reference."""
    campaign = request.campaign
    if not campaign_is_open(campaign):
        raise DonationError(_("This fundraiser is not taking gifts right now."))
    option = currency_option(campaign=campaign, currency=request.currency)
    check_amount_limits(option=option, gift_minor=request.gift_minor)
    if request.interval not in DonationCheckout.Interval.values:
        raise DonationError(_("Choose a one-time or a monthly gift."))
    if request.interval == DonationCheckout.Interval.MONTH and not campaign.allow_monthly:
        raise DonationError(_("This campaign takes one-time gifts only."))
    weights = clean_weights(campaign=campaign, weights=request.weights)
    if not default_weights(campaign) and not weights:
        raise DonationError(_("This fundraiser has no newsrooms to support yet."))
    fee = fee_to_cover_minor(gift_minor=request.gift_minor, currency=option.currency) if request.cover_fee else 0
    provider = get_provider()
    checkout = DonationCheckout.objects.create(
        campaign=campaign,
        user_id=request.user_id,
        email=request.email.strip(),
        name=request.name.strip(),
        display_name=request.display_name.strip(),
        show_on_wall=request.show_on_wall,
        anonymous=request.anonymous,
        message=request.message.strip(),
        interval=request.interval,
        currency=option.currency,
        language=languages.active(),  # a guest's receipts and statements are written in the page's language
        gift_minor=request.gift_minor,
        fee_covered_minor=fee,
        weights={str(k): v for k, v in weights.items()},
        provider=provider.id,
    )
    metadata = {OUR_MARKER: DONATION, "outlet_checkout": str(checkout.reference), "outlet_campaign": campaign.slug}
    customer_id = None
    if request.user_id:
        metadata["outlet_user"] = str(request.user_id)
        customer_id = payments.ensure_customer(provider=provider, user_id=request.user_id, email=checkout.email)
    recurring = None
    if checkout.interval == DonationCheckout.Interval.MONTH:
        recurring = donation_price(campaign=campaign, currency=option.currency, amount_minor=checkout.charge_minor)
    redirect = provider.start_checkout(
        request=CheckoutRequest(
            purpose="donation",
            reference=str(checkout.reference),
            email=checkout.email,
            success_url=success_url.replace("{reference}", str(checkout.reference)),
            cancel_url=cancel_url,
            metadata=metadata,
            user_id=request.user_id,
            customer_id=customer_id,
            recurring=recurring,
            one_time_amount_minor=None if recurring else checkout.charge_minor,
            one_time_currency=None if recurring else option.currency,
            description=f"Gift to {campaign.title}"[:200],
            statement_descriptor=settings.DONATION_STATEMENT_DESCRIPTOR,
        ),
        idempotency_key=f"donation-checkout-{checkout.reference}",
    )
    DonationCheckout.objects.filter(pk=checkout.pk).update(session_id=redirect.session_id)
    checkout.session_id = redirect.session_id
    return checkout, redirect


def donation_price(*, campaign: Campaign, currency: str, amount_minor: int) -> PriceSpec:
    """A monthly price per campaign, currency and amount; the amount is in the lookup key, so changing a gift's
    amount moves the subscription to another price instead of repricing everyone's."""
    return PriceSpec(
        lookup_key=f"outlet:donation:{campaign.slug}:month:{currency}:{amount_minor}",
        product_name=f"Monthly gift: {campaign.title}"[:200],
        interval="month",
        currency=currency,
        amount_minor=amount_minor,
        statement_descriptor=settings.DONATION_STATEMENT_DESCRIPTOR,
    )


# --- What the provider tells us -----------------------------------------------------------------------------


def donor_key(email: str) -> str:
    """A keyed hash of the donor's email: counts distinct donors without keeping the address after anonymisation."""
    return hmac.new(settings.SECRET_KEY.encode(), email.strip().lower().encode(), hashlib.sha256).hexdigest()


def checkout_for_event(metadata: Mapping[str, str]) -> DonationCheckout | None:
    reference = metadata.get("outlet_checkout", "")
    try:
        return DonationCheckout.objects.select_related("campaign").filter(reference=uuid.UUID(reference)).first()
    except ValueError:  # missing or not a UUID: some other product's metadata
        return None


def checkout_for_payment(event: PaymentSucceeded) -> DonationCheckout | None:
    """The checkout a gift was given from: named in the payment's metadata, or its monthly gift's first one."""
    checkout = checkout_for_event(event.metadata)
    if checkout is None and event.subscription_id:
        recurring = RecurringDonation.objects.filter(
            provider=event.provider, subscription_id=event.subscription_id
        ).first()
        checkout = recurring.checkout if recurring is not None else None
    return checkout


def record_donation(*, event: PaymentSucceeded, payment: Payment) -> tuple[Donation | None, bool]:
    """Turn a recorded payment into a donation with its ledger entries and totals, once. Returns (donation,
    created); (None, False) when the payment is not a donation of ours."""
    recurring = None
    if event.subscription_id:
        recurring = RecurringDonation.objects.filter(
            provider=event.provider, subscription_id=event.subscription_id
        ).first()
    checkout = checkout_for_event(event.metadata)
    if checkout is None and recurring is not None:
        checkout = recurring.checkout
    if checkout is None:
        return None, False
    if event.subscription_id and recurring is None:
        recurring = _recurring_from_checkout(checkout=checkout, event=event)
    existing = Donation.objects.filter(payment=payment).first()
    if existing is not None:
        return existing, False
    campaign = checkout.campaign
    source = recurring or checkout
    weights = {int(k): v for k, v in (source.weights or {}).items()} or default_weights(campaign)
    fee_covered = min(recurring.fee_covered_minor if recurring else checkout.fee_covered_minor, event.amount_minor)
    fee = processing_fee_minor(amount_minor=event.amount_minor, currency=event.currency)
    try:
        with transaction.atomic():
            donation = Donation.objects.create(
                campaign=campaign,
                payment=payment,
                checkout=checkout,
                recurring=recurring,
                user_id=checkout.user_id,
                email=event.email or checkout.email,
                name=checkout.name,
                display_name=checkout.display_name,
                show_on_wall=checkout.show_on_wall,
                anonymous=checkout.anonymous,
                message=checkout.message if not recurring or not recurring.donations.exists() else "",
                currency=event.currency.upper(),
                amount_minor=event.amount_minor,
                fee_covered_minor=fee_covered,
                processing_fee_minor=fee,
                net_minor=event.amount_minor - fee,
                donated_at=event.occurred_at,
            )
            _book_gift(donation=donation, weights=weights)
            _count_gift(donation=donation)
            if checkout.completed_at is None:
                DonationCheckout.objects.filter(pk=checkout.pk, completed_at=None).update(
                    completed_at=event.occurred_at
                )
    except IntegrityError:  # the same payment recorded concurrently by another worker
        return Donation.objects.get(payment=payment), False
    return donation, True


def _recurring_from_checkout(
    *, checkout: DonationCheckout, event: PaymentSucceeded | SubscriptionChanged
) -> RecurringDonation:
    recurring, _created = RecurringDonation.objects.get_or_create(
        provider=event.provider,
        subscription_id=event.subscription_id,
        defaults={
            "campaign": checkout.campaign,
            "checkout": checkout,
            "user_id": checkout.user_id,
            "email": checkout.email,
            "customer_id": event.customer_id or "",
            "currency": checkout.currency,
            "amount_minor": checkout.charge_minor,
            "fee_covered_minor": checkout.fee_covered_minor,
            "weights": checkout.weights,
        },
    )
    return recurring


def _book_gift(*, donation: Donation, weights: Mapping[int, int]) -> None:
    campaign = donation.campaign
    parts = split_amount(
        amount_minor=donation.net_minor,
        weights=list(weights.items()),
        remainder_to=remainder_beneficiary(campaign=campaign, weights=weights),
    )
    AllocationEntry.objects.bulk_create(
        [
            AllocationEntry(
                donation=donation,
                beneficiary_id=key,
                kind=AllocationEntry.Kind.GIFT,
                amount_minor=amount,
                currency=donation.currency,
                weight=weights[key],
                booked_at=donation.donated_at,
            )
            for key, amount in parts.items()
        ]
    )
    _add_to_beneficiary_totals(currency=donation.currency, gifts=parts)


def _add_to_beneficiary_totals(
    *, currency: str, gifts: Mapping[int, int] | None = None, refunds: Mapping[int, int] | None = None
) -> None:
    """Move the newsrooms' running sums with the entries just booked (refunds negative, as booked), in the caller's
    transaction and in beneficiary order, so concurrent gifts queue on the rows instead of deadlocking."""
    gifts, refunds = gifts or {}, refunds or {}
    for beneficiary_id in sorted(set(gifts) | set(refunds)):
        change = {
            "gifts_minor": F("gifts_minor") + gifts.get(beneficiary_id, 0),
            "refunds_minor": F("refunds_minor") + refunds.get(beneficiary_id, 0),
            "number_of_gifts": F("number_of_gifts") + (1 if beneficiary_id in gifts else 0),
        }
        rows = BeneficiaryTotal.objects.filter(beneficiary_id=beneficiary_id, currency=currency)
        if not rows.update(**change):
            BeneficiaryTotal.objects.bulk_create(
                [BeneficiaryTotal(beneficiary_id=beneficiary_id, currency=currency)], ignore_conflicts=True
            )  # a concurrent first gift may have made it
            rows.update(**change)


def _count_gift(*, donation: Donation) -> None:
    _add_to_totals(
        campaign_id=donation.campaign_id,
        currency=donation.currency,
        raised=donation.amount_minor,
        net=donation.net_minor,
        donations=1,
    )
    key = donor_key(donation.email)
    donor, _created = CampaignDonor.objects.get_or_create(campaign_id=donation.campaign_id, donor_key=key)
    became_active = CampaignDonor.objects.filter(pk=donor.pk, active_gifts=0).update(active_gifts=1)
    if not became_active:
        CampaignDonor.objects.filter(pk=donor.pk).update(active_gifts=F("active_gifts") + 1)
    else:
        _add_to_donor_count(campaign_id=donation.campaign_id, delta=1)


def campaign_page_token_key(campaign_id: int) -> str:
    """The front cache's token for an anonymous campaign page: replaced when its counters or what it shows change."""
    return f"campaign-page:{campaign_id}"


def campaign_page_changed(campaign_id: int) -> None:
    transaction.on_commit(lambda: front_cache.replace_tokens({campaign_page_token_key(campaign_id)}))


def _campaign_page_part_changed(sender: type, instance: Any, **_signal_kwargs: Any) -> None:
    campaign_page_changed(instance.pk if isinstance(instance, Campaign) else instance.campaign_id)


def connect_campaign_page_signals() -> None:
    """Edits of what a campaign page shows (its text, currencies, newsrooms, updates, the wall's gifts)."""
    from django.db.models.signals import post_delete, post_save

    for model in (Campaign, CampaignCurrency, Beneficiary, CampaignUpdate, Donation):
        for signal in (post_save, post_delete):
            signal.connect(_campaign_page_part_changed, sender=model, dispatch_uid=f"campaign-page-{model.__name__}")


def _add_to_totals(*, campaign_id: int, currency: str, raised: int, net: int, donations: int) -> None:
    """Counters move by F() updates inside the caller's transaction, so concurrent gifts never lose one."""
    campaign_page_changed(campaign_id)
    for _attempt in range(2):
        updated = CampaignTotal.objects.filter(campaign_id=campaign_id, currency=currency).update(
            raised_minor=F("raised_minor") + raised,
            net_minor=F("net_minor") + net,
            donations=F("donations") + donations,
        )
        if updated:
            return
        try:
            with transaction.atomic():
                CampaignTotal.objects.create(campaign_id=campaign_id, currency=currency)
        except IntegrityError:
            pass  # created concurrently: the next update finds it
    raise RuntimeError("campaign total row could not be created")


def _add_to_donor_count(*, campaign_id: int, delta: int) -> None:
    campaign_page_changed(campaign_id)
    for _attempt in range(2):
        if CampaignDonorCount.objects.filter(campaign_id=campaign_id).update(donors=F("donors") + delta):
            return
        try:
            with transaction.atomic():
                CampaignDonorCount.objects.create(campaign_id=campaign_id)
        except IntegrityError:
            pass
    raise RuntimeError("donor count row could not be created")


def refund_donation(*, payment: Payment, occurred_at: datetime) -> Donation | None:
    """Follow the payment's cumulative refund (recorded by the pipeline): negative ledger entries for the
    beneficiaries' part and lower totals. Replays and older events change nothing. None when no gift was made of it."""
    with transaction.atomic():
        donation = Donation.objects.select_for_update().filter(payment=payment).first()
        if donation is None or payment.amount_refunded_minor <= donation.amount_refunded_minor:
            return donation
        before, after = donation.amount_refunded_minor, payment.amount_refunded_minor
        fully = after >= donation.amount_minor
        donation.amount_refunded_minor = after
        if donation.status != Donation.Status.DISPUTED:
            donation.status = Donation.Status.REFUNDED if fully else Donation.Status.PARTIALLY_REFUNDED
        # The gift's row first, as record_donation writes it first: a trigger moves its month's total
        # (donations/migrations/0011), and taking that row before the newsrooms' and campaign totals, in the same
        # order as a new gift does, keeps a refund and a new gift of the same month from deadlocking.
        donation.save(update_fields=["amount_refunded_minor", "status"])
        # The provider keeps its fee on a refund: the newsrooms give back the refunded money up to their net part.
        net_back = min(after, donation.net_minor) - min(before, donation.net_minor)
        if net_back:
            gift_entries = list(donation.allocations.filter(kind=AllocationEntry.Kind.GIFT))
            weights = {entry.beneficiary_id: entry.weight for entry in gift_entries}
            parts = split_amount(
                amount_minor=net_back,
                weights=list(weights.items()),
                remainder_to=remainder_beneficiary(campaign=donation.campaign, weights=weights),
            )
            AllocationEntry.objects.bulk_create(
                [
                    AllocationEntry(
                        donation=donation,
                        beneficiary_id=key,
                        kind=AllocationEntry.Kind.REFUND,
                        amount_minor=-amount,
                        currency=donation.currency,
                        weight=weights[key],
                        booked_at=occurred_at,
                        refund_level_minor=after,
                    )
                    for key, amount in parts.items()
                    if amount
                ]
            )
            _add_to_beneficiary_totals(
                currency=donation.currency, refunds={key: -amount for key, amount in parts.items() if amount}
            )
        _add_to_totals(
            campaign_id=donation.campaign_id,
            currency=donation.currency,
            raised=-(after - before),
            net=-net_back,
            donations=-1 if fully else 0,
        )
        if fully:
            _uncount_donor(donation=donation)
    return donation


def _uncount_donor(*, donation: Donation) -> None:
    donor = (
        CampaignDonor.objects.select_for_update()
        .filter(campaign_id=donation.campaign_id, donor_key=donor_key(donation.email))
        .first()
    )
    if donor is None or donor.active_gifts == 0:
        return
    donor.active_gifts -= 1
    donor.save(update_fields=["active_gifts"])
    if donor.active_gifts == 0:
        _add_to_donor_count(campaign_id=donation.campaign_id, delta=-1)


def dispute_donation(*, payment: Payment) -> Donation | None:
    Donation.objects.filter(payment=payment).update(status=Donation.Status.DISPUTED)
    return Donation.objects.filter(payment=payment).first()


def apply_recurring_state(*, event: SubscriptionChanged) -> RecurringDonation | None:
    """Follow the provider's view of a monthly gift; an older event than the one applied changes nothing."""
    recurring = RecurringDonation.objects.filter(provider=event.provider, subscription_id=event.subscription_id).first()
    if recurring is None:
        checkout = checkout_for_event(event.metadata)
        if checkout is None:
            return None
        recurring = _recurring_from_checkout(checkout=checkout, event=event)
    with transaction.atomic():
        recurring = RecurringDonation.objects.select_for_update().get(pk=recurring.pk)
        if recurring.knows_newer_state_than(event.occurred_at, event.sequence_rank):
            return recurring
        if event.ended or event.status in {"canceled", "incomplete_expired"}:
            status = RecurringDonation.Status.CANCELED
        elif event.status in {"past_due", "unpaid"}:
            status = RecurringDonation.Status.PAST_DUE
        else:
            status = RecurringDonation.Status.ACTIVE
        recurring.status = status
        recurring.cancel_at_period_end = event.cancel_at_period_end
        recurring.current_period_end = event.current_period_end
        recurring.customer_id = event.customer_id or recurring.customer_id
        if event.amount_minor and event.amount_minor != recurring.amount_minor:
            if recurring.fee_covered_minor:  # the donor covers the fee: keep covering it at the new amount
                gift = gift_within_charge_minor(charge_minor=event.amount_minor, currency=recurring.currency)
                recurring.fee_covered_minor = event.amount_minor - gift
            recurring.amount_minor = event.amount_minor
        if status == RecurringDonation.Status.CANCELED and recurring.ended_at is None:
            recurring.ended_at = event.occurred_at
        recurring.note_state_applied(event.occurred_at, event.sequence_rank)
        recurring.save()
    return recurring


# --- Reading totals -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignProgress:
    goal_minor: int
    currency: str
    raised_minor: int  # all currencies, converted to the goal's at the campaign's set rates
    donors: int
    donations: int
    by_currency: dict[str, int]

    @property
    def percent(self) -> int:
        """Whole percent for the bar and its label; may exceed 100 when the goal is passed."""
        return self.raised_minor * 100 // self.goal_minor if self.goal_minor else 0

    @property
    def bar_percent(self) -> int:
        return max(0, min(100, self.percent))


def campaign_progress(campaign: Campaign) -> CampaignProgress:
    """Read from the counters: a handful of rows whatever the number of donations."""
    donors = CampaignDonorCount.objects.filter(campaign=campaign).values_list("donors", flat=True).first() or 0
    return progress_from_counters(campaign, totals=CampaignTotal.objects.filter(campaign=campaign), donors=donors)


def progress_from_counters(campaign: Campaign, *, totals: Iterable[CampaignTotal], donors: int) -> CampaignProgress:
    """campaign_progress's arithmetic over counter rows the caller already holds (the admin's campaign list
    prefetches them for the whole page)."""
    rates = {c.currency: c.rate_to_goal_ppm for c in campaign.currencies.all()}
    raised = donations = 0
    by_currency: dict[str, int] = {}
    for total in totals:
        by_currency[total.currency] = total.raised_minor
        rate = 1_000_000 if total.currency == campaign.currency else rates.get(total.currency, 0)
        raised += total.raised_minor * rate // 1_000_000
        donations += total.donations
    return CampaignProgress(
        goal_minor=campaign.goal_minor,
        currency=campaign.currency,
        raised_minor=max(raised, 0),
        donors=donors,
        donations=donations,
        by_currency=by_currency,
    )


def donor_wall(campaign: Campaign, *, limit: int = 30) -> list[Donation]:
    """The newest gifts whose donors opted in; refunded gifts leave the wall."""
    return list(
        Donation.objects.filter(campaign=campaign, show_on_wall=True, anonymised_at=None)
        .exclude(status=Donation.Status.REFUNDED)
        .only("display_name", "name", "anonymous", "message", "amount_minor", "currency", "donated_at")
        .order_by("-donated_at")[:limit]
    )


def beneficiaries_for(campaign: Campaign) -> list[Beneficiary]:
    return [b for b in campaign.beneficiaries.all() if b.is_active]


# --- Donors as an audience (outlet.newsletters) ---

_BOOKED_STATUSES = (Donation.Status.SUCCEEDED, Donation.Status.PARTIALLY_REFUNDED)


def donor_addresses() -> QuerySet[Donation, str]:
    """Lower-cased addresses of everyone with a booked gift (not refunded away, data not yet anonymised), distinct and
    ordered, so a caller can page through them by address without holding them all."""
    return (
        Donation.objects.filter(status__in=_BOOKED_STATUSES, anonymised_at__isnull=True)
        .exclude(email="")
        .annotate(address=Lower("email"))
        .values_list("address", flat=True)
        .order_by("address")
        .distinct()
    )


def donors_among(addresses: Iterable[str]) -> set[str]:
    """Which of these lower-cased addresses gave (one query)."""
    rows = (
        Donation.objects.annotate(address=Lower("email"))
        .filter(address__in=list(addresses), status__in=_BOOKED_STATUSES, anonymised_at__isnull=True)
        .values_list("address", flat=True)
    )
    return set(rows)
