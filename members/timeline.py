"""One member's history on one screen for staff: state changes and staff actions (MemberEvent), payments,
receipts, the emails sent, and what happened to their address (their own email choices, and a bounce or complaint
the email service reported, which stops optional email to it), merged newest first.

Six queries whatever the history's length (one per source, each cut at the newest `limit` rows, so a member with
ten years of renewals still costs the same), plus one for the lifetime totals."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from django.db.models import Exists, F, OuterRef, Subquery, Sum
from django.urls import reverse

from members.models import MemberEvent
from outlet.common import email_preferences
from outlet.common.local_time import short_date_text
from outlet.common.models import EmailConsent, SentEmail, SuppressedAddress
from outlet.common.money import format_money
from outlet.payments.models import Payment
from outlet.receipts.models import Receipt

TIMELINE_LIMIT = 200


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # "event", "payment", "receipt", "email": what the row is, for the template's label and style
    label: str  # short heading, e.g. "Became a member", "Payment", "Receipt"
    text: str
    actor: str = ""  # who or what caused it: "staff: anna", "sandbox event evt_…", "reader", "system"
    link: str = ""
    link_label: str = ""
    link_permission: str = ""  # what the viewer needs to open the link ("app_label.codename")


@dataclass(frozen=True)
class Timeline:
    entries: list[TimelineEntry]
    truncated: bool  # older entries exist beyond what is shown


def _event_entries(user_id: int, limit: int) -> list[TimelineEntry]:
    # An email the system sent is listed once, from SentEmail (with its subject); a staff resend stays, naming who.
    events = (
        MemberEvent.objects.filter(user_id=user_id)
        .exclude(kind=MemberEvent.Kind.EMAIL_SENT, staff_user__isnull=True)
        .select_related("staff_user", "webhook_event")
        .defer("webhook_event__payload")
        .order_by("-created_at", "-id")[:limit]
    )
    entries = []
    for event in events:
        text = event.summary
        if event.from_status or event.to_status:
            text += f" ({event.from_status or 'none'} → {event.to_status or 'unchanged'})"
        label = (
            event.get_kind_display()
            if event.kind in MemberEvent.Kind.values
            else event.kind.replace("_", " ").capitalize()
        )
        link = (
            reverse("admin:payments_webhookevent_change", args=[event.webhook_event_id])
            if event.webhook_event_id
            else ""
        )
        entries.append(
            TimelineEntry(
                event.created_at,
                "event",
                label,
                text,
                event.cause,
                link,
                "Provider event" if link else "",
                "payments.view_webhookevent",
            )
        )
    return entries


def _payment_text(payment: Payment) -> str:
    text = f"{format_money(payment.amount_minor, payment.currency)} — {payment.get_status_display()}"
    if payment.amount_refunded_minor:
        text += f", {format_money(payment.amount_refunded_minor, payment.currency)} refunded"
    return f"{text} ({payment.description})" if payment.description else text


def _payment_entries(user_id: int, limit: int) -> list[TimelineEntry]:
    payments = Payment.objects.filter(user_id=user_id).defer("metadata").order_by("-paid_at", "-pk")[:limit]
    return [
        TimelineEntry(
            p.paid_at,
            "payment",
            f"{p.get_purpose_display()} payment",
            _payment_text(p),
            f"{p.provider} {p.provider_ref}",
            reverse("admin:payments_payment_change", args=[p.pk]),
            "Payment record",
            "payments.view_payment",
        )
        for p in payments
    ]


def _receipt_entries(user_id: int, limit: int) -> list[TimelineEntry]:
    receipts = (
        Receipt.objects.filter(payment__user_id=user_id)
        .only("number", "kind", "amount_minor", "currency", "issued_at", "voided_at", "void_reason", "emailed_at")
        .order_by("-issued_at", "-pk")[:limit]
    )
    entries = []
    for receipt in receipts:
        status = (
            f"void ({receipt.void_reason})"
            if receipt.voided_at and receipt.void_reason
            else ("void" if receipt.voided_at else "in force")
        )
        emailed = f", emailed {short_date_text(receipt.emailed_at)}" if receipt.emailed_at else ", not emailed yet"
        text = (
            f"{receipt.get_kind_display()} {receipt.number}: {format_money(receipt.amount_minor, receipt.currency)}, "
            f"{status}{emailed}"
        )
        entries.append(
            TimelineEntry(
                receipt.issued_at,
                "receipt",
                "Receipt",
                text,
                "",
                reverse("admin:receipts_receipt_pdf", args=[receipt.pk]),
                f"PDF of receipt {receipt.number}",
                "receipts.view_receipt",
            )
        )
    return entries


def _email_entries(email: str, limit: int) -> list[TimelineEntry]:
    if not email:
        return []
    # Exact matches use the index on `to`; emails are stored as given, so ask for the two usual spellings.
    sent = (
        SentEmail.objects.filter(to__in={email, email.lower()})
        .only("kind", "subject", "to", "sent_at")
        .order_by("-sent_at", "-pk")[:limit]
    )
    return [
        TimelineEntry(m.sent_at, "email", "Email sent", f"“{m.subject}” to {m.to}", m.kind.replace("_", " "))
        for m in sent
    ]


def _address_entries(email: str, limit: int) -> list[TimelineEntry]:
    """The reader's yes and no to optional emails (with where they said it) and the service's bounce or
    complaint report that suppressed the address."""
    address = email_preferences.normalise(email)
    if not address:
        return []
    entries = []
    consents = list(EmailConsent.objects.filter(address=address).order_by("-changed_at", "-pk")[:limit])
    labels = {topic.key: topic.label for topic in email_preferences.topics_for(address)} if consents else {}
    for consent in consents:
        topic = labels.get(consent.topic, consent.topic)
        said = "Subscribed to" if consent.subscribed else "Unsubscribed from"
        entries.append(TimelineEntry(consent.changed_at, "email", "Email choice", f"{said} {topic}", consent.source))
    for row in SuppressedAddress.objects.filter(address=address)[:1]:
        text = f"{row.get_reason_display()}: no optional email goes to {row.address}"
        entries.append(
            TimelineEntry(
                row.created_at,
                "email",
                "Email suppressed",
                f"{text} ({row.detail})" if row.detail else text,
                row.source or "staff",
                reverse("admin:common_suppressedaddress_change", args=[row.pk]),
                "Suppression",
                "common.view_suppressedaddress",
            )
        )
    return entries


def member_timeline(*, user, viewer=None, limit: int = TIMELINE_LIMIT) -> Timeline:
    """viewer: the staff user reading it; links to pages they may not open are left out."""
    sources = [
        _event_entries(user.pk, limit),
        _payment_entries(user.pk, limit),
        _receipt_entries(user.pk, limit),
        _email_entries(user.email, limit),
        _address_entries(user.email, limit),
    ]
    merged = sorted((entry for source in sources for entry in source), key=lambda e: e.at, reverse=True)
    if viewer is not None:
        allowed = {perm: viewer.has_perm(perm) for perm in {e.link_permission for e in merged if e.link_permission}}
        merged = [e if allowed.get(e.link_permission, True) else replace(e, link="", link_label="") for e in merged]
    # Each source holds its newest `limit` rows, so the newest `limit` of the merge are exact.
    return Timeline(
        entries=merged[:limit], truncated=len(merged) > limit or any(len(source) == limit for source in sources)
    )


def with_lifetime_value(queryset):
    """Annotate each membership with what its member paid for memberships less refunds, in the membership's
    currency (lifetime_minor), and whether they also paid in another one (paid_other_currency). Two correlated
    subqueries in the page's one query, each an index lookup on payments (user, -paid_at)."""
    payments = Payment.objects.filter(user_id=OuterRef("user_id"), purpose=Payment.Purpose.MEMBERSHIP)
    net = (
        payments.filter(currency=OuterRef("currency"))
        .order_by()
        .values("user_id")
        .annotate(net=Sum(F("amount_minor") - F("amount_refunded_minor")))
        .values("net")[:1]
    )
    return queryset.annotate(
        lifetime_minor=Subquery(net), paid_other_currency=Exists(payments.exclude(currency=OuterRef("currency")))
    )


def lifetime_value(*, user_id: int) -> list[str]:
    """What the member has paid for memberships, less refunds, one text per currency (e.g. ["GEL 150"])."""
    totals = (
        Payment.objects.filter(user_id=user_id, purpose=Payment.Purpose.MEMBERSHIP)
        .values("currency")
        .annotate(net=Sum(F("amount_minor") - F("amount_refunded_minor")))
        .order_by("currency")
    )
    return [format_money(row["net"], row["currency"]) for row in totals]
