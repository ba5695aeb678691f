"""Every email the site sends goes through here: one function per message, each with a subject/text/html
template triplet under templates/emails/, each sent at most once per key.

Tests patch nothing but Django's mail outbox; staff can see every message sent (SentEmail)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string

from outlet.models import SentEmail


def _send_once(*, key: str, kind: str, to: str, context: dict) -> bool:
    """Send unless a message with this key went out already. The row and the send share a transaction: if the
    mail server refuses, nothing is recorded and a retry sends it; once recorded, no retry sends it again."""
    context = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **context}
    with transaction.atomic():
        if SentEmail.objects.select_for_update().filter(key=key).exists():
            return False
        subject = " ".join(render_to_string(f"emails/{kind}_subject.txt", context).split())
        SentEmail.objects.create(key=key, kind=kind, to=to, subject=subject)
        message = EmailMultiAlternatives(subject, render_to_string(f"emails/{kind}.txt", context), settings.DEFAULT_FROM_EMAIL, [to])
        message.attach_alternative(render_to_string(f"emails/{kind}.html", context), "text/html")
        message.send()
    return True


def membership_welcome(*, key: str, to: str, name: str, tier_name: str, amount: str, next_charge: str, account_url: str) -> bool:
    return _send_once(key=key, kind="membership_welcome", to=to, context={
        "name": name, "tier_name": tier_name, "amount": amount, "next_charge": next_charge, "account_url": account_url,
    })


def membership_payment_failed(*, key: str, to: str, name: str, grace_until: str, account_url: str) -> bool:
    return _send_once(key=key, kind="membership_payment_failed", to=to, context={
        "name": name, "grace_until": grace_until, "account_url": account_url,
    })


def membership_ended(*, key: str, to: str, name: str, join_url: str) -> bool:
    return _send_once(key=key, kind="membership_ended", to=to, context={"name": name, "join_url": join_url})
