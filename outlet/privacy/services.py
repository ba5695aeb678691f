"""The reader's own data, as services the views, tasks and admin call: asking for an export and building it,
expiring old ones, the emailed code that confirms an erasure, erasing (outlet.privacy.erasure) and scrubbing old
provider payloads."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from outlet.common import emails, languages, outbox
from outlet.common.local_time import date_text
from outlet.payments import personal_data as payments_data
from outlet.privacy import erasure, export
from outlet.privacy.models import DataExport, ErasureRecord, PayloadScrubCursor

logger = logging.getLogger(__name__)
User = get_user_model()

BUILD_TASK = "outlet.privacy.tasks.build_export"


# --- Data export ---


def latest_export(*, user_id: int) -> DataExport | None:
    return DataExport.objects.filter(user_id=user_id).first()


def request_export(*, user_id: int) -> tuple[DataExport, bool]:
    """Ask for a new export; one being prepared already is returned instead (the database allows one at a time).
    The build is handed to the worker through the outbox, so a broker outage delays it and loses nothing."""
    preparing = DataExport.objects.filter(user_id=user_id, status=DataExport.Status.PREPARING).first()
    if preparing is not None:
        return preparing, False
    try:
        with transaction.atomic():
            created = DataExport.objects.create(user_id=user_id)
            outbox.enqueue_after_commit(
                task=BUILD_TASK, args=[created.pk, _build_key(created)], key=_build_key(created)
            )
    except IntegrityError:  # a second click raced the first: theirs is the one
        return DataExport.objects.get(user_id=user_id, status=DataExport.Status.PREPARING), False
    return created, True


def _build_key(export_row: DataExport) -> str:
    return f"privacy-export-{export_row.pk}"


def build_export(*, export_id: int) -> bool:
    """Build the archive into storage, mark it ready and email its link. Safe to run twice: a ready export is left
    alone, and the email is keyed."""
    row = DataExport.objects.filter(pk=export_id, status=DataExport.Status.PREPARING).first()
    if row is None:
        return False
    archive, size = export.build_into_storage(
        owner=export.Owner.of(row.user_id), name=f"data-{secrets.token_urlsafe(18)}.zip"
    )
    now = timezone.now()
    with archive:
        row.file.save(archive.name or "data.zip", archive, save=False)
    updated = DataExport.objects.filter(pk=row.pk, status=DataExport.Status.PREPARING).update(
        file=row.file.name,
        size_bytes=size,
        status=DataExport.Status.READY,
        ready_at=now,
        expires_at=now + timedelta(days=settings.PRIVACY_EXPORT_DAYS),
    )
    if not updated:  # expired or erased meanwhile: nothing to offer
        row.file.delete(save=False)
        return False
    row.refresh_from_db()
    _email_export_ready(row)
    return True


def download_path(export_row: DataExport) -> str:
    return reverse("privacy:download", args=[export_row.pk])


def _email_export_ready(row: DataExport) -> None:
    user = User.objects.get(pk=row.user_id)
    with translation.override(languages.for_user(user)):
        emails.privacy_export_ready(
            key=f"privacy-export-ready-{row.pk}",
            to=user.email,
            name=user.get_full_name(),
            download_url=f"{settings.SITE_URL}{download_path(row)}",
            expires_on=date_text(row.expires_at),
            days=settings.PRIVACY_EXPORT_DAYS,
        )


def export_for_download(*, user_id: int, export_id: int, now: datetime | None = None) -> DataExport | None:
    """The export, if it is this reader's, ready and not past its date."""
    now = now or timezone.now()
    return DataExport.objects.filter(
        pk=export_id, user_id=user_id, status=DataExport.Status.READY, expires_at__gt=now
    ).first()


def expire_exports(*, now: datetime | None = None) -> int:
    """Delete the files of exports past their date (daily). The row stays, marked expired, so the account page can
    say so; an export stuck preparing for a day is marked failed (the reader may ask again)."""
    now = now or timezone.now()
    done = 0
    for row in DataExport.objects.filter(status=DataExport.Status.READY, expires_at__lte=now).iterator():
        if row.file:
            row.file.delete(save=False)
        DataExport.objects.filter(pk=row.pk).update(status=DataExport.Status.EXPIRED, file="")
        done += 1
    DataExport.objects.filter(status=DataExport.Status.PREPARING, requested_at__lt=now - timedelta(days=1)).update(
        status=DataExport.Status.FAILED
    )
    return done


# --- The emailed code that confirms an erasure ---

CODE_RESEND_SECONDS = 60
CODE_TRIES = 5


@dataclass
class CodeCheck:
    ok: bool
    email: str = ""
    expired: bool = False


def _digest(code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), code.encode(), hashlib.sha256).hexdigest()


def send_code(session, *, purpose: str, email: str, for_account: bool) -> bool:
    """Email a fresh 6-digit code to `email` and remember its digest in the session (never the code). A second ask
    within a minute sends nothing new (the first code still works). Returns whether one was sent."""
    held = session.get(f"privacy-code-{purpose}")
    if held and held.get("email") == email and time.time() - held.get("sent", 0) < CODE_RESEND_SECONDS:
        return False
    code = f"{secrets.randbelow(1_000_000):06d}"
    session[f"privacy-code-{purpose}"] = {
        "digest": _digest(code),
        "email": email,
        "sent": time.time(),
        "expires": time.time() + settings.PRIVACY_CODE_MINUTES * 60,
        "tries": 0,
    }
    emails.privacy_code(
        key=f"privacy-code-{purpose}-{secrets.token_hex(8)}",
        to=email,
        code=code,
        minutes=settings.PRIVACY_CODE_MINUTES,
        for_account=for_account,
    )
    return True


def check_code(session, *, purpose: str, code: str) -> CodeCheck:
    """Is `code` the one emailed? Five wrong tries or the time running out use it up."""
    held = session.get(f"privacy-code-{purpose}")
    if not held:
        return CodeCheck(ok=False, expired=True)
    if time.time() > held["expires"] or held["tries"] >= CODE_TRIES:
        session.pop(f"privacy-code-{purpose}", None)
        return CodeCheck(ok=False, expired=True)
    if hmac.compare_digest(held["digest"], _digest(code.strip())):
        session.pop(f"privacy-code-{purpose}", None)
        return CodeCheck(ok=True, email=held["email"])
    held["tries"] += 1
    session[f"privacy-code-{purpose}"] = held
    return CodeCheck(ok=False)


def code_was_sent(session, *, purpose: str) -> bool:
    return bool(session.get(f"privacy-code-{purpose}"))


# --- Erasure ---

ErasureBlocked = erasure.ErasureBlocked


def delete_account(*, user_id: int) -> ErasureRecord:
    """Cancel what charges them at the provider, then erase (raises ErasureBlocked, nothing erased)."""
    return erasure.erase(user_id=user_id)


def erase_guest(*, email: str) -> ErasureRecord:
    return erasure.erase(email=email)


# --- Old provider payloads ---


def scrub_old_webhook_payloads(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Daily: blank payer details in provider events older than settings.WEBHOOK_PAYLOAD_RETENTION_DAYS."""
    now = now or timezone.now()
    cursor, _ = PayloadScrubCursor.objects.get_or_create(pk=1)
    done, last = payments_data.scrub_old_event_payloads(
        received_before=now - timedelta(days=settings.WEBHOOK_PAYLOAD_RETENTION_DAYS),
        after_pk=cursor.last_event_id,
        batch_size=batch_size,
    )
    PayloadScrubCursor.objects.filter(pk=cursor.pk).update(last_event_id=last, last_run_at=now)
    return done
