"""Rows for the member admin tests, made directly (no provider): payments, receipts, emails and timeline events."""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta

from django.contrib.auth.models import Permission
from django.utils import timezone

from members.models import MemberEvent
from outlet.common.models import SentEmail
from outlet.payments.models import Payment
from outlet.receipts.models import Receipt
from tests.factories import UserFactory

_numbers = itertools.count(1)


def staff_with(*perms: str, username: str | None = None):
    """A staff user holding exactly these permissions ("app_label.codename")."""
    user = UserFactory(username=username or f"staff{next(_numbers)}", is_staff=True)
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return user


def payment(
    user, *, amount_minor=1500, currency="GEL", refunded_minor=0, days_ago=0, purpose="membership", provider="sandbox"
):
    status = (
        "succeeded" if not refunded_minor else ("refunded" if refunded_minor >= amount_minor else "partially_refunded")
    )
    return Payment.objects.create(
        provider=provider,
        provider_ref=f"in_{uuid.uuid4().hex[:16]}",
        purpose=purpose,
        user=user,
        email=user.email,
        amount_minor=amount_minor,
        currency=currency,
        amount_refunded_minor=refunded_minor,
        status=status,
        description="Supporter membership",
        paid_at=timezone.now() - timedelta(days=days_ago),
    )


def receipt(pay: Payment, *, voided=False):
    sequence = next(_numbers)
    return Receipt.objects.create(
        payment=pay,
        issuer="T",
        year=pay.paid_at.year,
        sequence=sequence,
        number=f"T-{pay.paid_at.year}-{sequence:05d}",
        donor_name="",
        donor_email=pay.email,
        description=pay.description,
        amount_minor=pay.amount_minor,
        currency=pay.currency,
        issued_at=pay.paid_at + timedelta(seconds=5),
        voided_at=timezone.now() if voided else None,
        access_key=uuid.uuid4().hex,
    )


def sent_email(user, *, subject="Welcome", kind="membership_welcome", days_ago=0):
    email = SentEmail.objects.create(key=uuid.uuid4().hex, kind=kind, to=user.email, subject=subject)
    SentEmail.objects.filter(pk=email.pk).update(sent_at=timezone.now() - timedelta(days=days_ago))
    return email


def event(
    membership, *, summary="Payment of GEL 15 received", kind=MemberEvent.Kind.RENEWED, staff_user=None, days_ago=0
):
    return MemberEvent.objects.create(
        user=membership.user,
        membership=membership,
        kind=kind,
        summary=summary,
        staff_user=staff_user,
        created_at=timezone.now() - timedelta(days=days_ago),
    )


def long_history(membership, *, months: int):
    """A member with `months` renewals: a payment, a receipt, an email and an event each."""
    for month in range(months):
        pay = payment(membership.user, days_ago=30 * month)
        receipt(pay)
        sent_email(membership.user, subject=f"Your receipt {month}", kind="membership_receipt", days_ago=30 * month)
        event(membership, days_ago=30 * month)
