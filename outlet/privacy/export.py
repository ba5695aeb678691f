"""A reader's data export: one zip of everything we hold about them, built by a task, kept a few days.

The archive holds `data.json` (every kind below, in one document), one CSV per kind, and each receipt's PDF. Memory
stays bounded for a member with years of history: each kind is read from the database with .iterator(), written
row by row into the zip on a temporary file, and the finished file is copied to storage in chunks, never held as
one string. Every app says what it holds through its own personal_data module; adding a kind is one line in
EXPORT_KINDS (a name and a function taking the Owner and yielding rows as dicts)."""

from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files import File
from django.utils import timezone

from donations import personal_data as donations_data
from members import personal_data as members_data
from outlet.common import personal_data as common_data
from outlet.payments import personal_data as payments_data
from outlet.receipts import personal_data as receipts_data

User = get_user_model()


@dataclass(frozen=True)
class Owner:
    """Whose data: the account, and every address it is known by (sign-in addresses, gifts given with another)."""

    user_id: int
    emails: frozenset[str]

    @classmethod
    def of(cls, user_id: int) -> Owner:
        user = User.objects.get(pk=user_id)
        emails = {user.email.lower()} if user.email else set()
        emails |= {e.lower() for e in EmailAddress.objects.filter(user_id=user_id).values_list("email", flat=True)}
        emails |= donations_data.donor_emails(user_id=user_id)
        return cls(user_id=user_id, emails=frozenset(emails))


def _account(owner: Owner) -> Iterator[dict[str, Any]]:
    user = User.objects.get(pk=owner.user_id)
    language = common_data.language_row(user_id=owner.user_id)
    yield {
        "username": user.get_username(),
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "joined_at": user.date_joined.isoformat(),
        "last_sign_in_at": user.last_login.isoformat() if user.last_login else "",
        "language": language["language"] if language else "",
    }


def _addresses(owner: Owner) -> Iterator[dict[str, Any]]:
    for address in EmailAddress.objects.filter(user_id=owner.user_id).order_by("pk"):
        yield {"email": address.email, "verified": address.verified, "primary": address.primary}


def _payment_ids(owner: Owner) -> list[int]:
    return payments_data.payment_ids(user_id=owner.user_id, emails=owner.emails)


def _receipts(owner: Owner) -> Iterator[dict[str, Any]]:
    for row, _receipt in receipts_data.receipt_rows(payment_ids=_payment_ids(owner), emails=owner.emails):
        yield row


EXPORT_KINDS: list[tuple[str, Callable[[Owner], Iterable[dict[str, Any]]]]] = [
    ("account", _account),
    ("email_addresses", _addresses),
    ("memberships", lambda o: members_data.membership_rows(user_id=o.user_id)),
    ("membership_checkouts", lambda o: members_data.checkout_rows(user_id=o.user_id)),
    ("membership_timeline", lambda o: members_data.timeline_rows(user_id=o.user_id)),
    ("payments", lambda o: payments_data.payment_rows(user_id=o.user_id, emails=o.emails)),
    ("gifts", lambda o: donations_data.gift_rows(user_id=o.user_id, emails=o.emails)),
    ("gift_allocations", lambda o: donations_data.allocation_rows(user_id=o.user_id, emails=o.emails)),
    ("monthly_gifts", lambda o: donations_data.monthly_gift_rows(user_id=o.user_id, emails=o.emails)),
    ("receipts", _receipts),
    ("emails_sent", lambda o: common_data.sent_email_rows(emails=o.emails)),
]


def export_kinds() -> list[tuple[str, Callable[[Owner], Iterable[dict[str, Any]]]]]:
    """EXPORT_KINDS, then what the parts registered in outlet.common.personal_data hold by address (the email
    choices, the newsletter issues sent)."""
    registered = [
        (name, lambda owner, rows=rows: rows(owner.emails))
        for name, (rows, _forget) in common_data.address_holders().items()
    ]
    return [*EXPORT_KINDS, *registered]


def _write_json(archive: zipfile.ZipFile, owner: Owner) -> None:
    with archive.open("data.json", "w", force_zip64=True) as raw:
        out = io.TextIOWrapper(raw, encoding="utf-8")
        out.write("{\n")
        header = {"site": settings.SITE_NAME, "generated_at": timezone.now().isoformat()}
        for key, value in header.items():
            out.write(f"  {json.dumps(key)}: {json.dumps(value)},\n")
        kinds = export_kinds()
        for position, (kind, rows) in enumerate(kinds):
            out.write(f"  {json.dumps(kind)}: [")
            for index, row in enumerate(rows(owner)):
                out.write(("," if index else "") + "\n    " + json.dumps(row, ensure_ascii=False, default=str))
            out.write("\n  ]" + ("," if position < len(kinds) - 1 else "") + "\n")
        out.write("}\n")
        out.flush()
        out.detach()


def _write_csv(archive: zipfile.ZipFile, kind: str, rows: Iterable[dict[str, Any]]) -> None:
    with archive.open(f"{kind}.csv", "w", force_zip64=True) as raw:
        out = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        writer: csv.DictWriter | None = None
        for row in rows:
            if writer is None:
                writer = csv.DictWriter(out, fieldnames=list(row))
                writer.writeheader()
            writer.writerow(row)
        out.flush()
        out.detach()


def _write_pdfs(archive: zipfile.ZipFile, owner: Owner) -> int:
    from outlet.receipts.pdf import render_receipt

    count = 0
    for row, receipt in receipts_data.receipt_rows(payment_ids=_payment_ids(owner), emails=owner.emails):
        archive.writestr(row["pdf"], render_receipt(receipt))
        count += 1
    return count


def write_archive(owner: Owner, target: IO[bytes]) -> None:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", README)
        _write_json(archive, owner)
        for kind, rows in export_kinds():
            _write_csv(archive, kind, rows(owner))
        _write_pdfs(archive, owner)


def build_into_storage(*, owner: Owner, name: str) -> tuple[File, int]:
    """Write the archive to a temporary file, then hand it to storage (which copies it in chunks)."""
    spool = tempfile.TemporaryFile()
    write_archive(owner, spool)
    size = spool.tell()
    spool.seek(0)
    return File(spool, name=name), size


README = """Everything we hold about you, as of the date in data.json.

data.json      every kind of record in one file
*.csv          the same records, one file per kind (open them in a spreadsheet)
receipts/      the PDF of each of your receipts

Amounts are in minor units (1500 is 15.00) with their currency. Times are in UTC.
"""
