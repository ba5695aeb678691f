"""Erasing one person: a reader who deletes their account, or a guest donor who asks from their receipt email.

The order is fixed and matters:
1. Stop what charges them: the membership and every monthly gift are cancelled at the payment provider through
   the products' own paths (members.personal_data.end_membership_now, donations.personal_data.stop_monthly_gifts).
   If the provider cannot be reached or refuses, ErasureBlocked is raised and NOTHING is erased: a deleted
   account whose card is still charged every month would be the worst outcome.
2. Collect every address and name the person used (account, gifts, Ghost import, receipts), before they go.
3. Run ERASE_STEPS in one transaction: each app forgets what it holds, with its own function. Amounts, currencies,
   dates, receipt numbers, the allocation ledger and campaign totals stay, under a tombstone account with no name
   or address, and an ErasureRecord (a random reference, counts, no personal data) says it happened.

Adding a place that holds personal data is one line in ERASE_STEPS (a name and a function taking the Subject);
tests/privacy/test_erasure_leaves_nothing.py scans every text and JSON column of every table for what was erased,
so a place left out fails there.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from donations import personal_data as donations_data
from members import personal_data as members_data
from outlet.common import personal_data as common_data
from outlet.payments import personal_data as payments_data
from outlet.payments.providers.base import ProviderError
from outlet.privacy.models import DataExport, ErasureRecord
from outlet.receipts import personal_data as receipts_data

User = get_user_model()


class ErasureBlocked(Exception):
    """The provider could not stop a membership or monthly gift: nothing was erased (the message says why)."""


@dataclass
class Subject:
    """Who is being erased: their account (if any), every address and name they used, and what replaces them."""

    user_id: int | None
    emails: set[str]
    names: set[str]
    tombstone: str
    now: datetime
    payment_ids: list[int] = field(default_factory=list)
    provider_refs: set[str] = field(default_factory=set)

    @property
    def needles(self) -> set[str]:
        return self.emails | self.names


# --- The steps: (name, function). One line per place personal data lives. ---


def _account(subject: Subject) -> int:
    """The account row stays as a tombstone (its memberships, timeline and payments point at it); its name,
    address, password, sign-in addresses, authenticators and sessions go, and it can never sign in again."""
    if subject.user_id is None:
        return 0
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    user = User.objects.get(pk=subject.user_id)
    user.email = subject.tombstone
    user.username = subject.tombstone.split("@")[0]
    user.first_name = user.last_name = ""
    user.is_active = user.is_staff = user.is_superuser = False
    user.set_unusable_password()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    changed = EmailAddress.objects.filter(user_id=subject.user_id).delete()[0]
    changed += Authenticator.objects.filter(user_id=subject.user_id).delete()[0]
    return changed + 1 + _sessions(subject.user_id)


def _sessions(user_id: int) -> int:
    """Database sessions carry the user's id only inside their signed data: each live one is read to find theirs."""
    mine = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator(chunk_size=1000):
        if str(session.get_decoded().get("_auth_user_id")) == str(user_id):
            mine.append(session.pk)
    return Session.objects.filter(pk__in=mine).delete()[0]


def _language(subject: Subject) -> int:
    return common_data.erase_language(user_id=subject.user_id) if subject.user_id else 0


def _gifts(subject: Subject) -> int:
    return sum(donations_data.erase_donor(user_id=subject.user_id, emails=subject.emails, now=subject.now).values())


def _receipts(subject: Subject) -> int:
    return receipts_data.forget_payer_details(
        receipts_data.receipts_of(payment_ids=subject.payment_ids, emails=subject.emails)
    )


def _payments(subject: Subject) -> int:
    return payments_data.erase_payer(user_id=subject.user_id, emails=subject.emails, names=subject.names)


def _provider_events(subject: Subject) -> int:
    return payments_data.erase_from_events(emails=subject.emails, names=subject.names, refs=subject.provider_refs)


def _member_timeline(subject: Subject) -> int:
    if subject.user_id is None:
        return 0
    counts = members_data.erase_personal_data(user_id=subject.user_id, emails=subject.emails, names=subject.names)
    return sum(counts.values())


def _sent_emails(subject: Subject) -> int:
    return common_data.erase_sent_emails(emails=subject.emails, names=subject.names, tombstone=subject.tombstone)


def _admin_history(subject: Subject) -> int:
    """The admin's change history names objects by their text (a membership reads "ana@… — Supporter")."""
    query = Q(pk__in=[])
    for needle in subject.needles:
        query |= Q(object_repr__icontains=needle) | Q(change_message__icontains=needle)
    changed = 0
    for entry in LogEntry.objects.filter(query).iterator(chunk_size=500):
        entry.object_repr = common_data.replace_in_text(entry.object_repr, subject.needles)[:200]
        entry.change_message = common_data.replace_in_text(entry.change_message, subject.needles)
        entry.save(update_fields=["object_repr", "change_message"])
        changed += 1
    return changed


def _exports(subject: Subject) -> int:
    """Exports already made hold everything: their files go with the account."""
    if subject.user_id is None:
        return 0
    exports = list(DataExport.objects.filter(user_id=subject.user_id))
    for export in exports:
        if export.file:
            export.file.delete(save=False)
    return DataExport.objects.filter(pk__in=[e.pk for e in exports]).delete()[0]


def _held_by_address(subject: Subject) -> int:
    """What the parts registered in outlet.common.personal_data hold by address: email choices, newsletter issues."""
    return sum(forget(subject.emails) for _rows, forget in common_data.address_holders().values())


ERASE_STEPS: list[tuple[str, Callable[[Subject], int]]] = [
    ("gifts", _gifts),
    ("receipts", _receipts),
    ("payments", _payments),
    ("provider_events", _provider_events),
    ("member_timeline", _member_timeline),
    ("sent_emails", _sent_emails),
    ("admin_history", _admin_history),
    ("exports", _exports),
    ("language", _language),
    ("email_choices_and_newsletters", _held_by_address),
    ("account", _account),  # last: the steps above look for the account's own address and name
]


# --- Running an erasure ---


def _stop_charges(*, user_id: int | None, emails: set[str]) -> None:
    try:
        if user_id is not None:
            members_data.end_membership_now(user_id=user_id)
        donations_data.stop_monthly_gifts(user_id=user_id, emails=emails)
    except ProviderError as exc:
        raise ErasureBlocked(str(exc)) from exc


def _subject(*, user_id: int | None, emails: set[str], reference: str) -> Subject:
    emails = {e.lower() for e in emails if e}
    names: set[str] = set()
    if user_id is not None:
        from allauth.account.models import EmailAddress

        user = User.objects.get(pk=user_id)
        emails |= {user.email.lower()} if user.email else set()
        emails |= {e.lower() for e in EmailAddress.objects.filter(user_id=user_id).values_list("email", flat=True)}
        emails |= members_data.emails_of(user_id=user_id) | donations_data.donor_emails(user_id=user_id)
        names |= {n for n in (user.get_full_name(), user.first_name, user.last_name) if n}
        names |= members_data.names_of(user_id=user_id)
    names |= donations_data.donor_names(user_id=user_id, emails=emails)
    payment_ids = payments_data.payment_ids(user_id=user_id, emails=emails)
    names |= receipts_data.donor_names(payment_ids=payment_ids, emails=emails)
    return Subject(
        user_id=user_id,
        emails=emails,
        names=names,
        tombstone=common_data.tombstone_email(user_id if user_id is not None else reference[:12]),
        now=timezone.now(),
        payment_ids=payment_ids,
        provider_refs=payments_data.provider_refs(user_id=user_id, emails=emails),
    )


def erase(*, user_id: int | None = None, email: str = "") -> ErasureRecord:
    """Erase an account (user_id) or a guest donor's address (email). Raises ErasureBlocked, having changed
    nothing, when the provider cannot stop what charges them."""
    emails = {email.lower()} if email else set()
    _stop_charges(user_id=user_id, emails=emails)
    reference = secrets.token_hex(8)
    with transaction.atomic():
        subject = _subject(user_id=user_id, emails=emails, reference=reference)
        counts = {name: step(subject) for name, step in ERASE_STEPS}
        return ErasureRecord.objects.create(
            reference=reference,
            kind=ErasureRecord.Kind.ACCOUNT if user_id is not None else ErasureRecord.Kind.GUEST,
            erased_at=subject.now,
            tombstone_user_id=user_id,
            counts=counts,
        )
