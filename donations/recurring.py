"""A donor's monthly gifts: change the amount, stop or resume renewal, and reach the provider's card portal.

Like memberships, these only ask the provider; the RecurringDonation row changes when the provider's
subscription event arrives (services.apply_recurring_state), so our state never runs ahead of the money.
Idempotency keys are built from our ids and the state the donor acted on: a double-clicked button sends one
change, while the same change asked again after the provider answered is a new request."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db.models import Case, IntegerField, Value, When
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from donations import services
from donations.models import RecurringDonation
from outlet.common import languages
from outlet.payments import subscriptions
from outlet.payments.providers import get_provider
from outlet.payments.providers.base import ProviderError


class MonthlyGiftError(Exception):
    """The change cannot be made as asked; the message is shown to the donor."""


def monthly_gifts_for(*, user) -> list[RecurringDonation]:
    """The reader's monthly gifts, running ones first."""
    ended_last = Case(
        When(status=RecurringDonation.Status.CANCELED, then=Value(1)), default=Value(0), output_field=IntegerField()
    )
    return list(
        RecurringDonation.objects.filter(user=user).select_related("campaign").order_by(ended_last, "-created_at")
    )


def monthly_gift_for_owner(*, user, gift_id: int) -> RecurringDonation:
    """Raises RecurringDonation.DoesNotExist for anyone but the gift's owner (the view answers 404)."""
    if not getattr(user, "is_authenticated", False):
        raise RecurringDonation.DoesNotExist
    return RecurringDonation.objects.select_related("campaign").get(pk=gift_id, user=user)


# A guest who gives monthly has no account page; their receipt email carries a signed link to this one gift.
MANAGE_SALT = "donations.monthly-gift.manage"


def manage_token(gift: RecurringDonation) -> str:
    """Signed with SECRET_KEY and bound to the gift and its subscription: it cannot be guessed or bent to
    another gift, and it dies with the subscription id (a gift is never moved to another one)."""
    return signing.dumps({"gift": gift.pk, "sub": gift.subscription_id}, salt=MANAGE_SALT, compress=True)


# The link opens a page that changes what a card is charged and opens the card's portal, with no sign-in: it lasts
# a while, not for ever. Every monthly receipt email carries a fresh one, so a donor who gives monthly always has a
# working link in their latest email; an older one offers to email a new link to the gift's own address.
MANAGE_LINK_MAX_AGE = timedelta(days=45)


class ManageLinkExpired(Exception):
    """A genuine link, too old to use; `gift` is the gift it was for (a new link may be emailed to its address)."""

    def __init__(self, gift: RecurringDonation) -> None:
        super().__init__("This link has expired.")
        self.gift = gift


def manage_url(gift: RecurringDonation) -> str:
    """For the receipt email of a monthly gift: the private link for a guest's gift, the account page for a gift
    made signed in (its owner manages it there, after signing in)."""
    if gift.user_id:
        return f"{settings.SITE_URL}{reverse('donations:gifts')}"
    return f"{settings.SITE_URL}{reverse('donations:gift_link', args=[manage_token(gift)])}"


def monthly_gift_for_token(*, token: str) -> RecurringDonation:
    """Raises RecurringDonation.DoesNotExist for a token that is forged, damaged or for another gift, and
    ManageLinkExpired for a genuine one past MANAGE_LINK_MAX_AGE."""
    try:
        data = signing.loads(token, salt=MANAGE_SALT, max_age=MANAGE_LINK_MAX_AGE)
    except signing.SignatureExpired:
        raise ManageLinkExpired(_gift_of(signing.loads(token, salt=MANAGE_SALT))) from None
    except (signing.BadSignature, TypeError, ValueError):
        raise RecurringDonation.DoesNotExist from None
    return _gift_of(data)


def _gift_of(data) -> RecurringDonation:
    try:
        return RecurringDonation.objects.select_related("campaign").get(
            pk=int(data["gift"]), subscription_id=str(data["sub"])
        )
    except (KeyError, TypeError, ValueError):
        raise RecurringDonation.DoesNotExist from None


def email_a_new_manage_link(*, gift: RecurringDonation) -> bool:
    """Send a fresh link to the address the gift was given with (never to an address the asker types), at most
    once an hour per gift, so the button cannot be used to flood a donor's inbox."""
    from django.utils import timezone

    from outlet.common import emails

    hour = timezone.now().strftime("%Y%m%d%H")
    page_language = gift.checkout.language if gift.checkout is not None else None
    with translation.override(languages.for_user(gift.user_id, default=page_language)):
        return emails.monthly_gift_link(
            key=f"gift-link:{gift.pk}:{hour}", to=gift.email, campaign=gift.campaign.title, manage_url=manage_url(gift)
        )


def gift_part_minor(gift: RecurringDonation) -> int:
    """What the donor gives each month, without the fee cover added on top."""
    return max(gift.amount_minor - gift.fee_covered_minor, 0)


def _running(gift: RecurringDonation) -> None:
    if gift.status == RecurringDonation.Status.CANCELED:
        raise MonthlyGiftError(_("This monthly gift has ended. You can start a new one on the fundraiser's page."))


def change_monthly_amount(*, gift: RecurringDonation, gift_minor: int) -> int:
    """Move the subscription to a monthly price for the new amount without cancelling it; returns the new charge.

    A donor who covered the fee keeps covering it: the cover is worked out again for the new amount."""
    _running(gift)
    try:
        option = services.currency_option(campaign=gift.campaign, currency=gift.currency)
        services.check_amount_limits(option=option, gift_minor=gift_minor, monthly=True)
    except services.DonationError as exc:
        raise MonthlyGiftError(str(exc)) from None
    fee = services.fee_to_cover_minor(gift_minor=gift_minor, currency=gift.currency) if gift.fee_covered_minor else 0
    charge = gift_minor + fee
    if charge == gift.amount_minor:
        raise MonthlyGiftError(_("That is already your monthly amount."))
    price = services.donation_price(campaign=gift.campaign, currency=gift.currency, amount_minor=charge)
    try:
        subscriptions.change_price(gift, price=price, request=f"amount-{charge}")
    except ProviderError as exc:
        raise MonthlyGiftError(str(exc)) from exc
    return charge


def set_monthly_renewal(*, gift: RecurringDonation, renew: bool) -> None:
    """renew=False stops the gift at the end of the month already paid for; renew=True keeps it going."""
    _running(gift)
    if gift.cancel_at_period_end == (not renew):
        return
    try:
        subscriptions.set_renewal(gift, renew=renew)
    except ProviderError as exc:
        raise MonthlyGiftError(str(exc)) from exc


def card_portal_url(*, gift: RecurringDonation, return_url: str) -> str:
    """The provider's page where the donor replaces the card this gift is charged to."""
    if not gift.customer_id:
        raise MonthlyGiftError(_("We cannot open the card page for this gift yet; please try again in a minute."))
    try:
        return get_provider(gift.provider).open_portal(customer_id=gift.customer_id, return_url=return_url)
    except ProviderError as exc:
        raise MonthlyGiftError(str(exc)) from exc
