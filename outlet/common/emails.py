"""Every email the site sends goes through here: one function per message, each with a subject/text/html
template triplet under templates/emails/, each sent at most once per key.

Tests patch nothing but Django's mail outbox; staff can see every message sent (SentEmail)."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Sequence
from email.policy import Compat32

import css_inline
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from outlet.common import email_preferences
from outlet.common.models import SentEmail
from outlet.common.personal_data import guest_erasure_url, is_tombstone


class Email(EmailMultiAlternatives):
    """Django's message with its MIME boundaries chosen here. Left unset, Python's email generator picks each one and
    proves it absent from the message's text with a regular expression made for that boundary alone, compiled anew
    every time (re's cache never sees it twice): a quarter of the time a receipt's email took to become bytes
    (0.8 of 3.1 ms). A 128-bit random token checked by a plain substring search gives the same guarantee."""

    def message(self, *args, **kwargs):
        message = super().message(*args, **kwargs)
        texts = [part.get_payload() for part in message.walk() if not part.is_multipart()]
        for part in message.walk():
            if part.is_multipart() and part.get_boundary() is None:
                part.set_boundary(_boundary_absent_from(texts))
        message.policy = _FOLDS_ONLY_WHAT_NEEDS_IT  # the generator writes every part's headers with this policy
        return message


class _PlainHeadersAsTheyAre(Compat32):
    """Python's compat32 policy, Django's, except that a header line of plain ASCII that already fits is written
    as it is. compat32 builds an email.header.Header for every header of every part and folds it, which gives back
    the same line for such a header (tested on every header our emails carry): 22 headers a receipt email, a
    quarter of the time it takes to become bytes."""

    def _fold(self, name, value, sanitize):
        if (
            isinstance(value, str)
            and value.isascii()
            and value.isprintable()
            and value == value.strip()
            and "  " not in value
            and len(name) + 2 + len(value) <= (self.max_line_length or 78)
        ):
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)


_FOLDS_ONLY_WHAT_NEEDS_IT = _PlainHeadersAsTheyAre()


def _boundary_absent_from(texts: list) -> str:
    while True:
        boundary = f"=_outlet_{secrets.token_hex(16)}"
        if not any(isinstance(text, str) and boundary in text for text in texts):
            return boundary


def compose(
    *,
    kind: str,
    to: str,
    context: dict,
    attachments: Sequence[tuple[str, bytes, str]] = (),
    topic: str | None = None,
    connection=None,
) -> Email:
    """One message from its template triplet, in the active language. Every email links to the reader's email
    choices; an optional one (`topic`: a newsletter, appeal or news) also carries its one-click unsubscribe, in the
    body and in the List-Unsubscribe headers mail clients turn into a button, and names its topic in the message's
    metadata, so an unsubscribe the email service reports back says which topic it was (outlet/common/
    email_tracking.py).

    The HTML part extends templates/emails/_layout.html (a centred 600px table, the site's name as its header, a
    preheader); its stylesheet is written into each element's style attribute here, because many mail clients
    drop <style>. The preheader, the line inboxes show after the subject, is the text part's first paragraph after
    the greeting unless the template sets its own."""
    context = {
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "preferences_url": email_preferences.preferences_url(to),
        **context,
    }
    headers = {}
    if topic:
        context["unsubscribe_url"] = email_preferences.unsubscribe_url(address=to, topic=topic)
        if "unsubscribe_topic" not in context:  # a bulk sender names it once, not per recipient
            context["unsubscribe_topic"] = email_preferences.topic_label(to, topic)
        headers = email_preferences.list_unsubscribe_headers(address=to, topic=topic)
    subject = " ".join(render_to_string(f"emails/{kind}_subject.txt", context).split())
    text = tidy_text(render_to_string(f"emails/{kind}.txt", context))
    html_context = {
        "subject": subject,
        "preheader": preheader_of(text),
        "preheader_padding": range(_PREHEADER_PADDING),
        **context,
    }
    message = Email(
        subject,
        text,
        settings.DEFAULT_FROM_EMAIL,
        [to],
        headers=headers,
        connection=connection,
    )
    message.attach_alternative(inline_css(render_to_string(f"emails/{kind}.html", html_context)), "text/html")
    if topic:
        message.metadata = {"topic": topic}  # type: ignore[attr-defined]  # read by anymail's backends
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    return message


# --- Rendering helpers: how every message looks, whoever composes it ---

_PREHEADER_LENGTH = 140
_PREHEADER_PADDING = 40  # invisible characters after the preheader, so inboxes do not pull the body in after it
_inliner = css_inline.CSSInliner(load_remote_stylesheets=False, keep_style_tags=False, keep_link_tags=False)


def inline_css(html: str) -> str:
    """Every <style> rule written into the style attribute of the elements it matches, and the <style> removed;
    a stylesheet linked from elsewhere is never fetched (and dropped)."""
    return _inliner.inline(html)


def tidy_text(text: str) -> str:
    """The plain-text part with no trailing spaces and at most one blank line in a row, whatever the templates'
    conditional blocks left behind."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    tidy: list[str] = []
    for line in lines:
        if not line and tidy and not tidy[-1]:
            continue
        tidy.append(line)
    return "\n".join(tidy) + "\n"


def preheader_of(text: str) -> str:
    """The first paragraph of the text after a short greeting line ("Dear Nino,"), cut at a word."""
    lines = text.strip().splitlines()
    if len(lines) > 1 and len(lines[0]) < 40:
        lines = lines[1:]
    paragraphs = [" ".join(block.split()) for block in "\n".join(lines).split("\n\n") if block.strip()]
    first = paragraphs[0] if paragraphs else ""
    if len(first) <= _PREHEADER_LENGTH:
        return first
    return first[:_PREHEADER_LENGTH].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _send_once(
    *,
    key: str,
    kind: str,
    to: str,
    context: dict,
    attachments: Sequence[tuple[str, bytes, str]] = (),
    topic: str | None = None,
    savepoint: bool = True,
) -> bool:
    """Send unless a message with this key went out already. The row and the send share a transaction: if the
    mail server refuses, nothing is recorded and a retry sends it; once recorded, no retry sends it again.
    Inside a caller's transaction that is a savepoint, so a caller that catches the failure can go on; a caller
    whose transaction exists only for this send (a receipt's claim) passes savepoint=False and saves two round
    trips: the failure rolls its whole transaction back.
    `attachments` are (filename, content, mimetype), e.g. a receipt's PDF. An optional email (`topic`) never goes
    to an address the sender reported as bouncing or complaining. An erased person's tombstone address (…@invalid,
    outlet.privacy) is never written to: a late provider event must not mail a deleted account."""
    if is_tombstone(to):
        return False
    if topic and email_preferences.is_suppressed(to):
        return False
    message = compose(kind=kind, to=to, context=context, attachments=attachments, topic=topic)
    with transaction.atomic(savepoint=savepoint):
        if not _record_first_send(key=key, kind=kind, to=to, subject=message.subject[:300]):
            return False
        _send_on_held_connection(message)
    return True


def _record_first_send(*, key: str, kind: str, to: str, subject: str) -> bool:
    """The SentEmail row, unless one with this key exists: True when this call wrote it. One INSERT .. ON CONFLICT DO
    NOTHING instead of a locking SELECT and an INSERT. A transaction sending the same key meanwhile makes this one
    wait for its outcome: committed (sent) gives False, rolled back (the send failed) lets this one write and send."""
    table = connection.ops.quote_name(SentEmail._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO {table} ("key", "kind", "to", "subject", "sent_at") VALUES (%s, %s, %s, %s, %s) '
            'ON CONFLICT ("key") DO NOTHING RETURNING 1',
            [key, kind, to, subject, connection.ops.adapt_datetimefield_value(timezone.now())],
        )
        return cursor.fetchone() is not None


# --- One connection to the mail backend per thread, kept between messages ---

# Mail servers drop a client that says nothing for a while (often after 60 s or more): a connection idle longer than
# this is closed and a fresh one opened rather than risking a send on a dead one.
MAIL_CONNECTION_IDLE_SECONDS = 30
_held = threading.local()


def _mail_settings() -> tuple[object, ...]:
    """What a held connection was opened for: a change (tests switch backends) opens a new one."""
    return tuple(
        getattr(settings, name, None)
        for name in (
            "EMAIL_BACKEND",
            "EMAIL_HOST",
            "EMAIL_PORT",
            "EMAIL_HOST_USER",
            "EMAIL_HOST_PASSWORD",
            "EMAIL_USE_TLS",
            "EMAIL_USE_SSL",
            "EMAIL_FILE_PATH",
            "ANYMAIL",
        )
    )


def _send_on_held_connection(message: EmailMultiAlternatives) -> None:
    """Send through this thread's open connection, opening it first if need be. Opening one per message (for SMTP:
    TCP, EHLO, STARTTLS, login, QUIT) cost more than composing the message; a worker sending receipts one after
    another keeps one. A failed send closes the connection (the next message opens a new one) and raises, so the
    caller's transaction rolls back and its task retries, as before."""
    wanted = _mail_settings()
    now = time.monotonic()
    held = getattr(_held, "connection", None)
    if held is not None and (_held.settings != wanted or now - _held.used_at > MAIL_CONNECTION_IDLE_SECONDS):
        _drop_held_connection()
        held = None
    if held is None:
        held = get_connection()
        held.open()
        _held.connection, _held.settings = held, wanted
    message.connection = held
    try:
        message.send()
    except BaseException:
        _drop_held_connection()
        raise
    _held.used_at = time.monotonic()


def _drop_held_connection() -> None:
    held = getattr(_held, "connection", None)
    _held.connection = None
    if held is not None:
        try:
            held.close()
        except Exception:  # noqa: BLE001  # a connection already broken has nothing left to close
            pass


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


def donation_receipt(*, key: str, to: str, pdf: bytes, pdf_name: str, savepoint: bool = True, **receipt) -> bool:
    """The thank-you for a gift: it is the receipt email, with the PDF attached and the guest download link. A guest
    (no account page to delete) also gets a link to ask for their details to be erased (outlet.privacy)."""
    forget_url = "" if receipt.get("account_url") else guest_erasure_url(to)
    return _send_once(
        key=key,
        kind="donation_receipt",
        to=to,
        context=_receipt_context(**receipt) | {"forget_url": forget_url},
        attachments=[(pdf_name, pdf, "application/pdf")],
        savepoint=savepoint,
    )


def membership_receipt(*, key: str, to: str, pdf: bytes, pdf_name: str, savepoint: bool = True, **receipt) -> bool:
    return _send_once(
        key=key,
        kind="membership_receipt",
        to=to,
        context=_receipt_context(**receipt),
        attachments=[(pdf_name, pdf, "application/pdf")],
        savepoint=savepoint,
    )


def receipt_corrected(
    *,
    key: str,
    to: str,
    pdf: bytes,
    pdf_name: str,
    replaces_number: str,
    refunded: str,
    savepoint: bool = True,
    **receipt,
) -> bool:
    return _send_once(
        key=key,
        kind="receipt_corrected",
        to=to,
        context=_receipt_context(**receipt) | {"replaces_number": replaces_number, "refunded": refunded},
        attachments=[(pdf_name, pdf, "application/pdf")],
        savepoint=savepoint,
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


def newsletter_confirmation(*, key: str, to: str, newsletter_name: str, confirm_url: str) -> bool:
    """The double opt-in: the sign-up counts only once the address's owner follows this link. One per key (the
    sign-up form asks once a day at most per address and newsletter), so the form cannot flood a mailbox."""
    return _send_once(
        key=key,
        kind="newsletter_confirmation",
        to=to,
        context={"newsletter_name": newsletter_name, "confirm_url": confirm_url},
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
