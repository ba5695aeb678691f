"""Personal data helpers every layer may use: finding and blanking a person's name and email inside free text and
stored JSON (a provider's event, a timeline line, an admin history entry), masking them for staff who need not see
them, and the common app's own rows a person's export and erasure cover (emails sent to them, their language).

Why here: the erasure of one person (outlet.privacy.erasure) asks each app to forget what it holds; the text and
JSON rules must be the same in every app, or one app would leave what another removes."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.db.models import Q, TextField
from django.db.models.functions import Cast

from outlet.common.models import PreferredLanguage, SentEmail

ERASED = "[erased]"
# Domains under .invalid never receive mail (RFC 2606): an erased account's address, and the choke point's guard.
TOMBSTONE_DOMAIN = "invalid"

# Keys in a provider's payload (Stripe's objects, the sandbox's copies of them) that hold who paid: blanked
# wherever they appear; ids, amounts, currencies, types and times stay, so the facts derived from an event remain
# explainable. Matched case-insensitively, also as a suffix ("customer_email", "receipt_email", "billing_details").
PERSONAL_KEYS = frozenset(
    {
        "email",
        "name",
        "phone",
        "address",
        "shipping",
        "billing_details",
        "customer_details",
        "shipping_details",
        "customer_email",
        "customer_name",
        "customer_phone",
        "customer_address",
        "customer_shipping",
        "receipt_email",
        "donor_name",
        "display_name",
        "message",
        "first_name",
        "last_name",
    }
)


def is_personal_key(key: str) -> bool:
    lowered = key.lower()
    return lowered in PERSONAL_KEYS or lowered.endswith(("_email", "_name", "_phone", "_address"))


def tombstone_email(reference: int | str) -> str:
    return f"deleted-{reference}@{TOMBSTONE_DOMAIN}"


def is_tombstone(address: str) -> bool:
    return address.lower().endswith("@" + TOMBSTONE_DOMAIN)


def _pattern(needles: Iterable[str]) -> re.Pattern[str] | None:
    # Longest first, so "Ana Beridze" is replaced whole before "Ana" could be; very short names are left alone
    # (blanking every "Al" inside other words would garble the text and protect no one).
    usable = sorted({n.strip() for n in needles if n and len(n.strip()) >= 3}, key=len, reverse=True)
    if not usable:
        return None
    return re.compile("|".join(re.escape(n) for n in usable), re.IGNORECASE)


def replace_in_text(text: str, needles: Iterable[str], replacement: str = ERASED) -> str:
    """`text` with every occurrence of each needle (a name, an address) replaced, ignoring case."""
    pattern = _pattern(needles)
    return pattern.sub(replacement, text) if pattern and text else text


def scrub_json(value: Any, *, needles: Iterable[str] = (), replacement: str = ERASED, keys: bool = True) -> Any:
    """A copy of a stored JSON value with personal keys blanked (an object becomes {}, anything else ""; not with
    keys=False, for JSON that is not a provider's and names others too) and, when `needles` are given, every string
    that mentions one of them rewritten."""
    pattern = _pattern(needles)

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                key: (_blank(item) if keys and is_personal_key(str(key)) else walk(item)) for key, item in node.items()
            }
        if isinstance(node, list):
            return [walk(item) for item in node]
        if isinstance(node, str) and pattern is not None:
            return pattern.sub(replacement, node)
        return node

    return walk(value)


def _blank(value: Any) -> Any:
    if isinstance(value, dict):
        return {}
    if isinstance(value, list):
        return []
    if value is None or isinstance(value, bool | int | float):
        return value
    return ""


def json_mentions(field: str, needles: Iterable[str]) -> Q:
    """A filter for rows whose JSON `field`, as text, mentions any needle (annotate `<field>_text` first with
    `as_text(field)`). Works on PostgreSQL and SQLite alike."""
    query = Q(pk__in=[])
    for needle in {n for n in needles if n}:
        query |= Q(**{f"{field}_text__icontains": needle})
    return query


def as_text(field: str) -> dict[str, Cast]:
    return {f"{field}_text": Cast(field, output_field=TextField())}


def mask_email(address: str) -> str:
    """`ana.beridze@gmail.com` -> `a•••@g•••.com`: enough to tell two donors apart, not to write to them."""
    if not address or "@" not in address:
        return "•••" if address else ""
    local, _, domain = address.partition("@")
    host, dot, tld = domain.rpartition(".")
    if not dot:
        host, tld = domain, ""
    return f"{local[:1]}•••@{host[:1]}•••{'.' + tld if tld else ''}"


def mask_name(name: str) -> str:
    """`Ana Beridze` -> `A••• B•••`."""
    return " ".join(f"{word[:1]}•••" for word in name.split()) if name else ""


# --- The common app's own rows about a person ---


def sent_email_rows(*, emails: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The emails we sent to these addresses (what, when, the subject), oldest first."""
    query = Q(pk__in=[])
    for address in {e for e in emails if e}:
        query |= Q(to__iexact=address)
    for email in SentEmail.objects.filter(query).order_by("sent_at", "pk").iterator(chunk_size=500):
        yield {"kind": email.kind, "to": email.to, "subject": email.subject, "sent_at": email.sent_at.isoformat()}


def language_row(*, user_id: int) -> dict[str, Any] | None:
    stored = PreferredLanguage.objects.filter(user_id=user_id).first()
    return {"language": stored.language, "updated_at": stored.updated_at.isoformat()} if stored else None


def erase_sent_emails(*, emails: Iterable[str], names: Iterable[str], tombstone: str) -> int:
    """Point the record of emails sent to these addresses at the tombstone and take names out of their subjects;
    the record that a message of a kind went out on a day stays (so a retried task still never sends it twice)."""
    addresses = {e for e in emails if e}
    needles = addresses | set(names)
    query = Q(pk__in=[])
    for address in addresses:
        query |= Q(to__iexact=address) | Q(key__icontains=address)
    for needle in needles:
        query |= Q(subject__icontains=needle)
    changed = 0
    for email in SentEmail.objects.filter(query).iterator(chunk_size=500):
        email.to = tombstone if email.to.lower() in addresses else email.to
        email.subject = replace_in_text(email.subject, needles)[:300]
        email.key = replace_in_text(email.key, addresses, tombstone)[:200]
        email.save(update_fields=["to", "subject", "key"])
        changed += 1
    return changed


def erase_language(*, user_id: int) -> int:
    return PreferredLanguage.objects.filter(user_id=user_id).delete()[0]


# --- A guest donor's link to ask for their erasure (in every donation receipt email to a guest) ---

GUEST_ERASURE_SALT = "outlet.privacy.guest-erasure"


def guest_erasure_token(address: str) -> str:
    """Signed with SECRET_KEY, bound to the address; its age is checked when it is opened."""
    from django.core import signing

    return signing.dumps({"e": address.lower()}, salt=GUEST_ERASURE_SALT, compress=True)


def guest_erasure_url(address: str) -> str:
    from django.conf import settings
    from django.urls import reverse

    return f"{settings.SITE_URL}{reverse('privacy:guest_erase', args=[guest_erasure_token(address)])}"


def address_for_guest_erasure_token(token: str, *, max_age_days: int) -> str | None:
    """The address a link was made for, or None when it was tampered with or is older than `max_age_days`."""
    from django.core import signing

    try:
        data = signing.loads(token, salt=GUEST_ERASURE_SALT, max_age=max_age_days * 86400)
    except signing.BadSignature:
        return None
    address = data.get("e") if isinstance(data, dict) else None
    return address if isinstance(address, str) and "@" in address else None


# --- Parts above the products (newsletters) hold addresses too; they register here, since outlet.privacy sits beside
# them and may not import them. Each registers a name, rows for the export and a forgetter for the erasure. ---

AddressRows = Callable[[Iterable[str]], Iterable[dict[str, Any]]]
AddressForgetter = Callable[[Iterable[str]], int]
_address_holders: dict[str, tuple[AddressRows, AddressForgetter]] = {}


def register_address_holder(name: str, *, rows: AddressRows, forget: AddressForgetter) -> None:
    """Called from an AppConfig.ready(): `rows(addresses)` for a person's export, `forget(addresses)` for their
    erasure (returns how many rows changed)."""
    _address_holders[name] = (rows, forget)


def address_holders() -> dict[str, tuple[AddressRows, AddressForgetter]]:
    return dict(_address_holders)


def email_choice_rows(addresses: Iterable[str]) -> Iterator[dict[str, Any]]:
    """What the person said yes or no to, and where; and whether the email service reported the address."""
    from outlet.common.models import EmailConsent, SuppressedAddress

    wanted = {a.lower() for a in addresses if a}
    for consent in EmailConsent.objects.filter(address__in=wanted).order_by("changed_at", "pk"):
        yield {
            "address": consent.address,
            "topic": consent.topic,
            "subscribed": consent.subscribed,
            "source": consent.source,
            "changed_at": consent.changed_at.isoformat(),
        }
    for suppressed in SuppressedAddress.objects.filter(address__in=wanted):
        yield {
            "address": suppressed.address,
            "topic": "(every optional email)",
            "subscribed": False,
            "source": f"suppressed: {suppressed.reason}",
            "changed_at": suppressed.created_at.isoformat(),
        }


def forget_email_choices(addresses: Iterable[str]) -> int:
    from outlet.common import email_preferences
    from outlet.common.models import EmailConsent, SuppressedAddress

    wanted = {a.lower() for a in addresses if a}
    count = EmailConsent.objects.filter(address__in=wanted).count()
    count += SuppressedAddress.objects.filter(address__in=wanted).count()
    for address in wanted:
        email_preferences.forget_address(address)
    return count


register_address_holder("email_choices", rows=email_choice_rows, forget=forget_email_choices)
