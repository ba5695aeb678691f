"""Every email the site sends goes through here: one function per message, each with a subject/text/html
template triplet under templates/emails/, each sent at most once per key.

Tests patch nothing but Django's mail outbox; staff can see every message sent (SentEmail)."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string

from outlet.common.models import SentEmail
from outlet.common.personal_data import guest_erasure_url, is_tombstone


def _send_once(
    *, key: str, kind: str, to: str, context: dict, attachments: Sequence[tuple[str, bytes, str]] = ()
) -> bool:
    """Send unless a message with this key went out already. The row and the send share a transaction: if the
    mail server refuses, nothing is recorded and a retry sends it; once recorded, no retry sends it again.
    `attachments` are (filename, content, mimetype), e.g. a receipt's PDF. An erased person's tombstone address
    (…@invalid, outlet.privacy) is never written to: a late provider event must not mail a deleted account."""
    if is_tombstone(to):
        return False
    context = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **context}
    with transaction.atomic():
        if SentEmail.objects.select_for_update().filter(key=key).exists():
            return False
        subject = " ".join(render_to_string(f"emails/{kind}_subject.txt", context).split())
        SentEmail.objects.create(key=key, kind=kind, to=to, subject=subject)
        message = EmailMultiAlternatives(
            subject, render_to_string(f"emails/{kind}.txt", context), settings.DEFAULT_FROM_EMAIL, [to]
        )
        message.attach_alternative(render_to_string(f"emails/{kind}.html", context), "text/html")
        for filename, content, mimetype in attachments:
            message.attach(filename, content, mimetype)
        message.send()
    return True


def membership_welcome(
    *, key: str, to: str, name: str, tier_name: str, amount: str, next_charge: str, account_url: str
) -> bool:
    return _send_once(
        key=key,
        kind="membership_welcome",
        to=to,
        context={
            "name": name,
            "tier_name": tier_name,
            "amount": amount,
            "next_charge": next_charge,
            "account_url": account_url,
        },
    )


def membership_payment_failed(*, key: str, to: str, name: str, grace_until: str, account_url: str) -> bool:
    return _send_once(
        key=key,
        kind="membership_payment_failed",
        to=to,
        context={
            "name": name,
            "grace_until": grace_until,
            "account_url": account_url,
        },
    )


def membership_ended(*, key: str, to: str, name: str, join_url: str) -> bool:
    return _send_once(key=key, kind="membership_ended", to=to, context={"name": name, "join_url": join_url})


def membership_plan_changed(
    *, key: str, to: str, name: str, tier_name: str, interval: str, amount: str, next_charge: str, account_url: str
) -> bool:
    return _send_once(
        key=key,
        kind="membership_plan_changed",
        to=to,
        context={
            "name": name,
            "tier_name": tier_name,
            "interval": interval,
            "amount": amount,
            "next_charge": next_charge,
            "account_url": account_url,
        },
    )


def membership_renewal_stopped(*, key: str, to: str, name: str, access_until: str, account_url: str) -> bool:
    return _send_once(
        key=key,
        kind="membership_renewal_stopped",
        to=to,
        context={
            "name": name,
            "access_until": access_until,
            "account_url": account_url,
        },
    )


def membership_renewal_resumed(
    *, key: str, to: str, name: str, tier_name: str, amount: str, next_charge: str, account_url: str
) -> bool:
    return _send_once(
        key=key,
        kind="membership_renewal_resumed",
        to=to,
        context={
            "name": name,
            "tier_name": tier_name,
            "amount": amount,
            "next_charge": next_charge,
            "account_url": account_url,
        },
    )


# --- Receipts and statements (donations.receipts, donations.statements): each carries its PDF ---


def _receipt_context(
    *,
    name: str,
    number: str,
    amount: str,
    description: str,
    is_void: bool,
    link_url: str,
    account_url: str,
    manage_url: str = "",
) -> dict:
    return {
        "name": name,
        "number": number,
        "amount": amount,
        "description": description,
        "is_void": is_void,
        "link_url": link_url,
        "account_url": account_url,
        "manage_url": manage_url,
    }


def donation_receipt(*, key: str, to: str, pdf: bytes, pdf_name: str, **receipt) -> bool:
    """The thank-you for a gift: it is the receipt email, with the PDF attached and the guest download link. A guest
    (no account page to delete) also gets a link to ask for their details to be erased (outlet.privacy)."""
    forget_url = "" if receipt.get("account_url") else guest_erasure_url(to)
    return _send_once(
        key=key,
        kind="donation_receipt",
        to=to,
        context=_receipt_context(**receipt) | {"forget_url": forget_url},
        attachments=[(pdf_name, pdf, "application/pdf")],
    )


def membership_receipt(*, key: str, to: str, pdf: bytes, pdf_name: str, **receipt) -> bool:
    return _send_once(
        key=key,
        kind="membership_receipt",
        to=to,
        context=_receipt_context(**receipt),
        attachments=[(pdf_name, pdf, "application/pdf")],
    )


def receipt_corrected(
    *, key: str, to: str, pdf: bytes, pdf_name: str, replaces_number: str, refunded: str, **receipt
) -> bool:
    return _send_once(
        key=key,
        kind="receipt_corrected",
        to=to,
        context=_receipt_context(**receipt) | {"replaces_number": replaces_number, "refunded": refunded},
        attachments=[(pdf_name, pdf, "application/pdf")],
    )


def year_end_statement(
    *, key: str, to: str, name: str, year: int, totals: list[str], account_url: str, pdf: bytes
) -> bool:
    return _send_once(
        key=key,
        kind="year_end_statement",
        to=to,
        context={"name": name, "year": year, "totals": totals, "account_url": account_url},
        attachments=[(f"statement-{year}.pdf", pdf, "application/pdf")],
    )


# --- Staff accounts (outlet.staff.staff_enrolment) ---


def staff_enrolment_code(*, key: str, to: str, name: str, code: str, minutes: int, requested_at: str) -> bool:
    """The code a staff account types before it may set up its first authenticator app: proof of the mailbox,
    which a stolen password alone does not give."""
    return _send_once(
        key=key,
        kind="staff_enrolment_code",
        to=to,
        context={
            "name": name,
            "code": code,
            "minutes": minutes,
            "requested_at": requested_at,
        },
    )


def monthly_gift_link(*, key: str, to: str, campaign: str, manage_url: str) -> bool:
    """A fresh private link to manage a guest's monthly gift, asked for from an expired one."""
    return _send_once(
        key=key, kind="monthly_gift_link", to=to, context={"campaign": campaign, "manage_url": manage_url}
    )


# --- The reader's own data (outlet.privacy) ---


def privacy_export_ready(*, key: str, to: str, name: str, download_url: str, expires_on: str, days: int) -> bool:
    """Their data export is ready: the link works only signed in as them, until `expires_on`."""
    return _send_once(
        key=key,
        kind="privacy_export_ready",
        to=to,
        context={"name": name, "download_url": download_url, "expires_on": expires_on, "days": days},
    )


def privacy_code(*, key: str, to: str, code: str, minutes: int, for_account: bool) -> bool:
    """The code that confirms an erasure: proof that the person asking holds the mailbox (for_account: deleting an
    account; otherwise erasing a guest donor's details)."""
    return _send_once(
        key=key,
        kind="privacy_code",
        to=to,
        context={"code": code, "minutes": minutes, "for_account": for_account},
    )
