"""Membership emails and the daily lapse sweep. Tasks take ids; each email is sent at most once per key."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from celery import shared_task
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from members import ghost_sync, lifecycle  # noqa: F401  (ghost_sync: its tasks register with the worker)
from members.models import MemberEvent, Membership
from outlet.common import emails, languages, outbox
from outlet.common.local_time import date_text
from outlet.common.money import format_money


@contextmanager
def _in_their_language(membership: Membership) -> Iterator[None]:
    """Every word, date, amount and link of a member's email in the language they read (their account setting)."""
    with translation.override(languages.for_user(membership.user_id)):
        yield


def _account_url() -> str:
    return f"{settings.SITE_URL}{reverse('members:account')}"


def _name(user) -> str:
    """The name the reader gave, or none: "Dear tamar.reader" reads as a form letter gone wrong ("Hello," instead)."""
    return user.get_full_name()


def _date(moment) -> str:
    return date_text(moment)


# A refused or unreachable mail server (smtplib errors are OSErrors) is retried with backoff; the key keeps a
# retry from sending twice.
EMAIL_TASK = {
    "acks_late": True,
    "ignore_result": True,
    "autoretry_for": (OSError,),
    "retry_backoff": 30,
    "retry_backoff_max": 1800,
    "max_retries": 8,
}


def _amount(membership: Membership) -> str:
    price = format_money(membership.amount_minor, membership.currency)
    if price and membership.interval:
        # Translators: a membership's price and billing interval in emails, e.g. "GEL 15.00 / monthly".
        return _("%(price)s / %(interval)s") % {"price": price, "interval": membership.interval_words}
    if price and membership.source == Membership.Source.PAID:
        return price  # joined by an invoice that arrived before any subscription event: paid, interval not known yet
    # Translators: in emails, in place of the price of a free membership ("Your membership: Insider, complimentary.").
    return _("complimentary")


def _membership(membership_id: int) -> Membership | None:
    return Membership.objects.select_related("user", "tier").filter(pk=membership_id).first()


def _on_the_timeline(membership: Membership, sent: bool, summary: str) -> bool:
    if sent:
        MemberEvent.objects.create(
            user_id=membership.user_id,
            membership=membership,
            kind=MemberEvent.Kind.EMAIL_SENT,
            summary=summary,
            reader_visible=False,
        )
    return sent


@shared_task(**EMAIL_TASK)
@outbox.completes_outbox_task
def send_welcome_email(membership_id: int, key: str) -> bool:
    membership = _membership(membership_id)
    if membership is None:
        return False
    with _in_their_language(membership):
        amount = _amount(membership)
        sent = emails.membership_welcome(
            key=key,
            to=membership.user.email,
            name=_name(membership.user),
            tier_name=membership.tier.name,
            amount=amount,
            next_charge=_date(membership.current_period_end) if membership.source == Membership.Source.PAID else "",
            account_url=_account_url(),
        )
        return _on_the_timeline(membership, sent, "Welcome email sent")


@shared_task(**EMAIL_TASK)
@outbox.completes_outbox_task
def send_payment_failed_email(membership_id: int, key: str) -> bool:
    membership = _membership(membership_id)
    if membership is None:
        return False
    with _in_their_language(membership):
        sent = emails.membership_payment_failed(
            key=key,
            to=membership.user.email,
            name=_name(membership.user),
            grace_until=_date(membership.grace_until) or _("soon"),
            account_url=_account_url(),
        )
        return _on_the_timeline(membership, sent, "Payment-failed email sent")


@shared_task(**EMAIL_TASK)
@outbox.completes_outbox_task
def send_membership_ended_email(membership_id: int, key: str) -> bool:
    membership = _membership(membership_id)
    if membership is None or membership.status != Membership.Status.LAPSED:
        return False
    with _in_their_language(membership):
        sent = emails.membership_ended(
            key=key,
            to=membership.user.email,
            name=_name(membership.user),
            join_url=f"{settings.SITE_URL}{reverse('members:membership')}",
        )
        return _on_the_timeline(membership, sent, "Membership-ended email sent")


# Plan changes, stopping and resuming renewal: one email each, sent when the provider's event confirms the change
# (whoever asked: the member on the account page, staff in the admin, or the member in the provider's portal).


@shared_task(**EMAIL_TASK)
@outbox.completes_outbox_task
def send_plan_changed_email(membership_id: int, key: str) -> bool:
    membership = _membership(membership_id)
    if membership is None or membership.status == Membership.Status.LAPSED:
        return False
    with _in_their_language(membership):
        sent = emails.membership_plan_changed(
            key=key,
            to=membership.user.email,
            name=_name(membership.user),
            tier_name=membership.tier.name,
            interval=membership.interval_words,
            amount=_amount(membership),
            next_charge="" if membership.cancel_at_period_end else _date(membership.current_period_end),
            account_url=_account_url(),
        )
        return _on_the_timeline(membership, sent, "Plan-change email sent")


@shared_task(**EMAIL_TASK)
@outbox.completes_outbox_task
def send_renewal_stopped_email(membership_id: int, key: str) -> bool:
    membership = _membership(membership_id)
    if membership is None or not membership.cancel_at_period_end:
        return False  # resumed again before the email went: say nothing rather than something untrue
    with _in_their_language(membership):
        sent = emails.membership_renewal_stopped(
            key=key,
            to=membership.user.email,
            name=_name(membership.user),
            access_until=_date(membership.current_period_end) or _("the end of the period you paid for"),
            account_url=_account_url(),
        )
        return _on_the_timeline(membership, sent, "Renewal-stopped email sent")


@shared_task(**EMAIL_TASK)
@outbox.completes_outbox_task
def send_renewal_resumed_email(membership_id: int, key: str) -> bool:
    membership = _membership(membership_id)
    if membership is None or membership.cancel_at_period_end or membership.status == Membership.Status.LAPSED:
        return False
    with _in_their_language(membership):
        sent = emails.membership_renewal_resumed(
            key=key,
            to=membership.user.email,
            name=_name(membership.user),
            tier_name=membership.tier.name,
            amount=_amount(membership),
            next_charge=_date(membership.current_period_end),
            account_url=_account_url(),
        )
        return _on_the_timeline(membership, sent, "Renewal-resumed email sent")


@shared_task(acks_late=True, ignore_result=True)
def lapse_ended_memberships() -> int:
    return lifecycle.lapse_ended_memberships()
