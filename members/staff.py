"""What membership staff may do to one member from the admin, beyond comps (members.services).

Each function checks that the action makes sense for this member now, raises MembershipError with a message for
the staff member when it does not, and leaves a MemberEvent naming the staff user. Actions on a paid membership only
*ask* the provider: the membership changes when the provider's event comes back through the payment pipeline
(members.lifecycle), exactly as when the reader does it themself, so the two can never disagree."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import MemberEvent, Membership, MembershipChange
from members.services import MembershipError, record_member_event, remember_change
from outlet.common.local_time import date_text
from outlet.common.money import format_money
from outlet.payments import services as payments
from outlet.payments import subscriptions
from outlet.payments.models import Payment
from outlet.payments.providers.base import ProviderError, ProviderUnavailable
from outlet.receipts import services as receipts
from outlet.receipts.models import Receipt

# Requests staff sent to the provider. Not CANCEL_REQUESTED/REFUNDED etc.: the provider's event records those when
# it comes back, and counting them twice would be wrong.
STAFF_ACTION = getattr(MemberEvent.Kind, "STAFF_ACTION", "staff_action")


def _membership(membership_id: int) -> Membership:
    membership = Membership.objects.select_related("user", "tier").filter(pk=membership_id).first()
    if membership is None:
        raise MembershipError(_("This membership no longer exists."))
    return membership


def _live_subscription(membership: Membership) -> Membership:
    if membership.source != Membership.Source.PAID:
        raise MembershipError(
            _("This is a complimentary membership: there is no subscription to cancel. End the comp instead.")
        )
    if membership.status == Membership.Status.LAPSED:
        raise MembershipError(_("This membership has already ended."))
    if not membership.provider_subscription_id:
        raise MembershipError(
            _("This membership has no subscription at the payment provider, so there is nothing to cancel there.")
        )
    return membership


def cancel_refusal(membership: Membership) -> str | None:
    """Why the subscription cannot be cancelled now (None: it can)."""
    try:
        _live_subscription(membership)
    except MembershipError as exc:
        return str(exc)
    return None


def renewal_refusal(membership: Membership, *, renew: bool) -> str | None:
    """Why renewal cannot be switched off (renew=False) or back on (renew=True) now."""
    refusal = cancel_refusal(membership)
    if refusal:
        return refusal
    if renew and not membership.cancel_at_period_end:
        return _("This membership already renews: there is nothing to resume.")
    if not renew and membership.cancel_at_period_end:
        if membership.current_period_end:
            return _("This membership is already set to end on %(date)s.") % {
                "date": date_text(membership.current_period_end, "d F Y")
            }
        return _("This membership is already set to end.")
    return None


def cancel_membership_now(*, membership_id: int, staff_user) -> Membership:
    """End the subscription at the provider today: no further charges, access stops when its event comes back.
    The payments already made stay paid (refund the last one separately if that was agreed)."""
    membership = _live_subscription(_membership(membership_id))
    # A double click, or a retry after a timeout, is one request at the provider (the key follows its state).
    asked_at = timezone.now()  # the timeline puts the request before the provider's answer, however fast it came
    try:  # no transaction is held open while the provider answers (it may take seconds)
        subscriptions.cancel_now(membership)
    except ProviderError as exc:
        raise MembershipError(_provider_problem(exc)) from exc
    record_member_event(
        user_id=membership.user_id,
        membership=membership,
        kind=STAFF_ACTION,
        staff_user=staff_user,
        reader_visible=False,
        summary="Staff asked the payment provider to cancel the subscription now",
        at=asked_at,
    )
    return membership


def _provider_problem(exc: ProviderError) -> str:
    """A provider that did not answer says so itself; one that answered no is quoted."""
    if isinstance(exc, ProviderUnavailable):
        return str(exc)
    return _("The payment provider refused: %(reason)s") % {"reason": exc}


def set_renewal_by_staff(*, membership_id: int, renew: bool, staff_user) -> Membership:
    """Cancel at period end (renew=False: access continues until the paid-for period ends, no more charges) or
    resume renewal (renew=True) before the end, through the provider."""
    membership = _membership(membership_id)
    refusal = renewal_refusal(membership, renew=renew)
    if refusal:
        raise MembershipError(refusal)
    # The key follows the subscription's reported state, so cancel, resume, cancel again are three requests, while a
    # double click before the provider answers is one (and the same request as the member's own from that state).
    asked_at = timezone.now()
    try:
        subscriptions.set_renewal(membership, renew=renew)
    except ProviderError as exc:
        raise MembershipError(_provider_problem(exc)) from exc
    summary = (
        "Staff asked the payment provider to resume renewal"
        if renew
        else "Staff asked the payment provider to end the membership at the period end"
    )
    record_member_event(
        user_id=membership.user_id,
        membership=membership,
        kind=STAFF_ACTION,
        staff_user=staff_user,
        reader_visible=False,
        summary=summary,
        at=asked_at,
    )
    # The member's account page says "pending" until the provider's event confirms it, as for their own request.
    remember_change(
        membership,
        kind=MembershipChange.Kind.RESUME if renew else MembershipChange.Kind.CANCEL,
        requested_by=staff_user,
    )
    return membership


# --- Refunds ------------------------------------------------------------------------------------------------


def last_membership_payment(*, user_id: int) -> Payment | None:
    return (
        Payment.objects.filter(user_id=user_id, purpose=Payment.Purpose.MEMBERSHIP).order_by("-paid_at", "-pk").first()
    )


def refund_refusal(payment: Payment | None) -> str | None:
    if payment is None:
        return _("This member has made no membership payment, so there is nothing to refund.")
    if payment.amount_refunded_minor >= payment.amount_minor:
        return _("The last payment has already been refunded in full.")
    return None


def refund_membership_payment(*, membership_id: int, payment_id: int, staff_user) -> str:
    """Refund what is left of one of this member's membership payments, through the provider. The payment, receipt
    and timeline change when the provider's refund event comes back. A repeated request (double click) reaches the
    provider with the same idempotency key, so the money moves once."""
    membership = _membership(membership_id)
    payment = Payment.objects.filter(
        pk=payment_id, user_id=membership.user_id, purpose=Payment.Purpose.MEMBERSHIP
    ).first()
    if payment is None:
        raise MembershipError(_("That payment is not one of this member's membership payments."))
    refusal = refund_refusal(payment)
    if refusal:
        raise MembershipError(refusal)
    amount = format_money(payment.amount_minor - payment.amount_refunded_minor, payment.currency)
    asked_at = timezone.now()
    try:  # outside any transaction: a slow provider must not hold one open
        refund_id = payments.request_refund(payment_id=payment.pk, staff_user_id=staff_user.pk)
    except payments.RefundRefused as exc:
        raise MembershipError(str(exc)) from exc
    with transaction.atomic():
        # The same refund asked twice is recorded once.
        get_user_model().objects.select_for_update(no_key=True).filter(pk=membership.user_id).first()
        if not MemberEvent.objects.filter(
            user_id=membership.user_id, kind=STAFF_ACTION, summary__endswith=f"(refund {refund_id})"
        ).exists():
            record_member_event(
                user_id=membership.user_id,
                membership=membership,
                kind=STAFF_ACTION,
                staff_user=staff_user,
                reader_visible=False,
                summary=(
                    f"Staff asked the payment provider to refund {amount} of the payment of "
                    f"{date_text(payment.paid_at, 'd F Y')} (refund {refund_id})"
                ),
                at=asked_at,
            )
    return refund_id


# --- Emails -------------------------------------------------------------------------------------------------


def member_receipts(*, user_id: int):
    return Receipt.objects.filter(payment__user_id=user_id).select_related("payment").order_by("-issued_at", "-pk")


def resend_member_receipt(*, membership_id: int, receipt_id: int, staff_user):
    """Email one of this member's receipts again (a new message each time; the worker sends it)."""
    membership = _membership(membership_id)
    receipt = member_receipts(user_id=membership.user_id).filter(pk=receipt_id).first()
    if receipt is None:
        raise MembershipError(_("That receipt is not one of this member's receipts."))
    if not receipt.donor_email:
        raise MembershipError(
            _(
                "Receipt %(number)s has no email address any more (removed after the retention period), so it cannot "
                "be emailed."
            )
            % {"number": receipt.number}
        )
    with transaction.atomic():
        receipts.resend_receipt(receipt_id=receipt.pk, staff_user_id=staff_user.pk)
        record_member_event(
            user_id=membership.user_id,
            membership=membership,
            kind=MemberEvent.Kind.EMAIL_SENT,
            staff_user=staff_user,
            reader_visible=False,
            summary=f"Staff resent receipt {receipt.number} to {receipt.donor_email}",
        )
    return receipt


def email_is_verified(user) -> bool:
    """Asked by the member page's facts and its buttons: looked up once per user object."""
    from allauth.account.models import EmailAddress

    if not hasattr(user, "_email_verified"):
        user._email_verified = EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()
    return user._email_verified


def resend_verification_email(*, request, membership_id: int, staff_user) -> str:
    """Ask the reader to confirm their address. Readers confirm with a short code that allauth emails when they
    sign in and that only works in the browser that asked for it (ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED), so
    a code sent from a staff session would be useless to them: this email tells them to sign in, which sends the
    code. It goes through allauth's adapter (its sender, subject prefix and templates), which needs the request."""
    from allauth.account.adapter import get_adapter
    from allauth.core import context
    from django.urls import reverse

    membership = _membership(membership_id)
    user = membership.user
    if not user.email:
        raise MembershipError(_("This account has no email address."))
    if email_is_verified(user):
        raise MembershipError(_("%(email)s is already verified: there is nothing to confirm.") % {"email": user.email})
    with context.request_context(request):
        get_adapter().send_mail(
            "admin/members/membership/email/confirm_address",
            user.email,
            {
                "user": user,
                "login_url": request.build_absolute_uri(reverse("account_login")),
                "code_login_url": request.build_absolute_uri(reverse("account_request_login_code")),
            },
        )
    record_member_event(
        user_id=user.pk,
        membership=membership,
        kind=MemberEvent.Kind.EMAIL_SENT,
        staff_user=staff_user,
        reader_visible=False,
        summary=f"Staff sent a reminder to confirm the address {user.email}",
    )
    return user.email
