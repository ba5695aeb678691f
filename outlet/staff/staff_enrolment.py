"""A staff account's first authenticator app needs a second proof that a password thief lacks.

Without it, two-factor would be trust-on-first-use: whoever signs in first with a new colleague's password (a
phished, reused or shoulder-surfed one) would set up their own authenticator app and own the admin for good. So,
while the admin demands two-factor sign-in (`ADMIN_REQUIRES_MFA`), an active staff account with no authenticator app
opens the setup page only in a session that has just shown one of:

- a code emailed to the account's verified address (self-service, the usual way), or
- a link an administrator issued from the admin (single use, expiring, for this account only): for a colleague
  whose mailbox cannot be used, or whom the administrator prefers to hand it to in person.

An accepted proof marks this session, not the account, for `PROOF_FOR_SESSION`; the account's next sign-in anywhere
else still needs one. Readers who turn two-factor on for themselves never meet any of this. Codes and links are kept
only as digests. Every step is written to the account's History in the admin (django.contrib.admin's LogEntry):
codes sent, codes refused too often, links issued and withdrawn (by whom), proofs accepted and the enrolment itself.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from outlet.common import emails
from outlet.common.local_time import datetime_text
from outlet.staff.models import StaffEnrolmentProof

logger = logging.getLogger(__name__)

CODE_DIGITS = 8  # 5 tries a code, 10 codes a day: about 1 in 2 million a day for someone guessing
CODE_LIFETIME = timedelta(minutes=15)
CODE_RESEND_AFTER = timedelta(seconds=60)
CODES_PER_DAY = 10
WRONG_CODES_ALLOWED = 5
LINK_LIFETIME = timedelta(days=3)
PROOF_FOR_SESSION = timedelta(minutes=30)
_SESSION_KEY = "outlet_staff_enrolment_proof"
_DIGEST_SALT = "outlet.staff.staff_enrolment"

Kind = StaffEnrolmentProof.Kind


class EnrolmentRefused(Exception):
    """The proof was not accepted; `str(error)` says why, in words for the person at the keyboard."""


@dataclass(frozen=True)
class IssuedLink:
    proof: StaffEnrolmentProof
    token: str  # shown once to the administrator, never stored


def has_authenticator_app(user) -> bool:
    """An authenticator app (recovery codes alone are only its backup, never a second factor of their own)."""
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user_id=user.pk).exclude(type=Authenticator.Type.RECOVERY_CODES).exists()


def is_staff_account(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def enrolment_needs_proof(user) -> bool:
    """True for an active staff account with no authenticator app while the admin demands two-factor sign-in."""
    return settings.ADMIN_REQUIRES_MFA and is_staff_account(user) and not has_authenticator_app(user)


def verified_address(user) -> str:
    """Where an enrolment code may go: the primary verified address, else any verified one, else ""."""
    from allauth.account.models import EmailAddress

    address = (
        EmailAddress.objects.filter(user_id=user.pk, verified=True)
        .order_by("-primary", "pk")
        .values_list("email", flat=True)
        .first()
    )
    return address or ""


def open_code(user) -> StaffEnrolmentProof | None:
    """The emailed code that would be accepted now, if any (only the newest one ever is)."""
    return _open_proofs(user, Kind.EMAILED_CODE).first()


def open_links(user) -> QuerySet[StaffEnrolmentProof]:
    return _open_proofs(user, Kind.ADMIN_LINK)


def staff_awaiting_enrolment() -> QuerySet:
    """Active staff accounts with no authenticator app: they can reach nothing in the admin yet."""
    from allauth.mfa.models import Authenticator

    enrolled = Authenticator.objects.exclude(type=Authenticator.Type.RECOVERY_CODES).values("user_id")
    return (
        get_user_model().objects.filter(is_active=True, is_staff=True).exclude(pk__in=enrolled).order_by("email", "pk")
    )


# --- The emailed code ---------------------------------------------------------------------------------------


def email_enrolment_code(*, user) -> StaffEnrolmentProof:
    """Email a fresh code to the account's verified address; any earlier code stops working.

    Refused (EnrolmentRefused) for an account that needs no proof, without a verified address, within a minute of
    the last code, or after CODES_PER_DAY codes in 24 hours. A mail server that refuses leaves no code behind.
    """
    if not enrolment_needs_proof(user):
        raise EnrolmentRefused(_("This account needs no enrolment code."))
    address = verified_address(user)
    if not address:
        raise EnrolmentRefused(
            _(
                "This account has no verified email address to send a code to. Ask an administrator for an enrolment "
                "link."
            )
        )
    now = timezone.now()
    with transaction.atomic():
        get_user_model().objects.select_for_update(no_key=True).filter(pk=user.pk).first()  # one code request at a time
        recent = StaffEnrolmentProof.objects.filter(
            user=user, kind=Kind.EMAILED_CODE, created_at__gt=now - timedelta(days=1)
        )
        latest = recent.order_by("-created_at").first()
        if latest and latest.created_at > now - CODE_RESEND_AFTER:
            raise EnrolmentRefused(
                _(
                    "A code was sent less than a minute ago. Check your inbox (and spam folder), or ask for a new "
                    "code in a minute."
                )
            )
        if recent.count() >= CODES_PER_DAY:
            raise EnrolmentRefused(
                _(
                    "%(count)s codes have been sent in the last 24 hours, so no more are sent today. Ask an "
                    "administrator for an enrolment link."
                )
                % {"count": CODES_PER_DAY}
            )
        _withdraw(_open_proofs(user, Kind.EMAILED_CODE), now)
        code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
        proof = StaffEnrolmentProof.objects.create(
            user=user,
            kind=Kind.EMAILED_CODE,
            secret_digest=_digest(user, code),
            sent_to=address,
            created_at=now,
            expires_at=now + CODE_LIFETIME,
        )
        emails.staff_enrolment_code(
            key=f"staff-enrolment-code-{proof.pk}",
            to=address,
            name=user.get_short_name(),
            code=f"{code[:4]} {code[4:]}",
            minutes=int(CODE_LIFETIME.total_seconds() // 60),
            requested_at=datetime_text(now),
        )
        _log(actor=user, account=user, message=f"Emailed a two-factor enrolment code to {address}.")
    return proof


def accept_enrolment_code(*, user, code: str) -> StaffEnrolmentProof:
    """Check a typed code against the account's newest open one; a wrong code counts against it, a used one stays
    used. Spaces and dashes are ignored (the email groups the digits)."""
    typed = "".join(ch for ch in code if ch not in " -\u00a0")
    if not enrolment_needs_proof(user):
        raise EnrolmentRefused(_("This account needs no enrolment code."))
    with transaction.atomic():  # a refusal is raised after the block, so the wrong attempt it counted stays counted
        proof = _open_proofs(user, Kind.EMAILED_CODE).select_for_update().first()
        if proof is None:
            refusal = _("That code has expired or was already used. Ask for a new code.")
        elif typed.isdigit() and constant_time_compare(proof.secret_digest, _digest(user, typed)):
            _mark_used(proof)
            _log(actor=user, account=user, message=f"Proved the enrolment with the code emailed to {proof.sent_to}.")
            return proof
        elif proof.wrong_attempts + 1 < WRONG_CODES_ALLOWED:
            StaffEnrolmentProof.objects.filter(pk=proof.pk).update(wrong_attempts=F("wrong_attempts") + 1)
            refusal = _("That code is not the one we sent. Check the newest email and try again.")
        else:
            StaffEnrolmentProof.objects.filter(pk=proof.pk).update(
                wrong_attempts=F("wrong_attempts") + 1, withdrawn_at=timezone.now()
            )
            _log(
                actor=user,
                account=user,
                message=f"An emailed enrolment code was typed wrong {WRONG_CODES_ALLOWED} times and stopped working.",
            )
            refusal = _("That code was typed wrong too many times and no longer works. Ask for a new code.")
    raise EnrolmentRefused(refusal)


# --- The administrator's link ----------------------------------------------------------------------------------


def issue_enrolment_link(*, user, issued_by) -> IssuedLink:
    """A single-use link for this staff account's first authenticator app, valid for LINK_LIFETIME; any earlier
    open link for the account stops working. Only for an account that needs one (staff, no app yet)."""
    if not enrolment_needs_proof(user):
        raise EnrolmentRefused(
            _("%(account)s needs no enrolment link: it is not an active staff account without an authenticator app.")
            % {"account": _name(user)}
        )
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        _withdraw(open_links(user), now)
        proof = StaffEnrolmentProof.objects.create(
            user=user,
            kind=Kind.ADMIN_LINK,
            secret_digest=_digest(None, token),
            issued_by=issued_by,
            created_at=now,
            expires_at=now + LINK_LIFETIME,
        )
        until = datetime_text(proof.expires_at)
        _log(
            actor=issued_by,
            account=user,
            message=f"Issued a two-factor enrolment link for {_name(user)}, valid until {until}.",
        )
    return IssuedLink(proof=proof, token=token)


def withdraw_enrolment_link(*, proof_id: int, withdrawn_by) -> bool:
    """Stop an open link working (say it went to the wrong person); False when it was no longer open."""
    with transaction.atomic():
        proof = (
            StaffEnrolmentProof.objects.select_for_update()
            .select_related("user")
            .filter(pk=proof_id, kind=Kind.ADMIN_LINK)
            .first()
        )
        if proof is None or not _withdraw(StaffEnrolmentProof.objects.filter(pk=proof.pk), timezone.now()):
            return False
        _log(
            actor=withdrawn_by,
            account=proof.user,
            message=f"Withdrew the two-factor enrolment link issued {datetime_text(proof.created_at)}.",
        )
    return True


def find_enrolment_link(*, token: str) -> StaffEnrolmentProof | None:
    """The open link this token belongs to; None for an unknown, used, withdrawn or expired one."""
    if not token or len(token) > 100:
        return None
    return (
        StaffEnrolmentProof.objects.filter(
            kind=Kind.ADMIN_LINK,
            secret_digest=_digest(None, token),
            used_at=None,
            withdrawn_at=None,
            expires_at__gt=timezone.now(),
        )
        .select_related("user", "issued_by")
        .first()
    )


def accept_enrolment_link(*, user, token: str) -> StaffEnrolmentProof:
    """Use the link, once, for the account it was issued for (the signed-in one)."""
    if not enrolment_needs_proof(user):
        raise EnrolmentRefused(_("This account needs no enrolment link."))
    with transaction.atomic():
        found = find_enrolment_link(token=token)
        proof = StaffEnrolmentProof.objects.select_for_update().filter(pk=found.pk).first() if found else None
        if proof is None or proof.used_at or proof.withdrawn_at:
            raise EnrolmentRefused(
                _(
                    "This enrolment link has expired, was withdrawn or was already used. Ask an administrator for a "
                    "new one."
                )
            )
        if proof.user_id != user.pk:
            raise EnrolmentRefused(
                _(
                    "This enrolment link was issued for another account. Sign out, then sign in as the staff member it "
                    "was issued for."
                )
            )
        _mark_used(proof)
        # found is not None here: proof is found's row, locked.
        issuer = _name(found.issued_by) if found.issued_by else "an administrator"  # type: ignore[union-attr]
        _log(actor=user, account=user, message=f"Proved the enrolment with the link {issuer} issued.")
    return proof


# --- This session's proof, and the enrolment it allows --------------------------------------------------------------


def remember_proof(request, *, user, proof: StaffEnrolmentProof) -> None:
    request.session[_SESSION_KEY] = {"user": str(user.pk), "proof": proof.pk, "at": time.time()}


def session_may_enrol(request, *, user) -> bool:
    """This session showed a proof for this very account within PROOF_FOR_SESSION, or it already passed two-factor
    sign-in (password and an authenticator code, say before the staff member removed a lost phone's app): both are
    more than a password."""
    held = request.session.get(_SESSION_KEY) or {}
    if held.get("user") == str(user.pk) and time.time() - float(held.get("at", 0)) < PROOF_FOR_SESSION.total_seconds():
        return True
    return _passed_two_factor(request, user)


def record_enrolment(request, *, user, authenticator) -> None:
    """A staff account set up its authenticator app: say so in its History, with what this session showed first,
    and spend the session's proof (a later re-enrolment needs a new one)."""
    held = request.session.pop(_SESSION_KEY, None) or {}
    if not is_staff_account(user):
        return
    # pk=None (a session without a proof) matches no row; django-stubs' lookup check wants a value.
    proof = StaffEnrolmentProof.objects.filter(pk=held.get("proof"), user=user).first() if held else None  # type: ignore[misc]
    if proof is not None:
        details: dict[str, str] = {
            Kind.EMAILED_CODE: "after an emailed code",
            Kind.ADMIN_LINK: "after an administrator's enrolment link",
        }
        detail = details[proof.kind]
    elif _passed_two_factor(request, user):
        detail = "in a session that had passed two-factor sign-in"
    else:
        detail = "without a proof: ADMIN_REQUIRES_MFA is off"
    _log(actor=user, account=user, message=f"Set up an authenticator app for two-factor sign-in ({detail}).")
    logger.info("Staff account %s set up an authenticator app (%s)", user.pk, authenticator.pk)


def _passed_two_factor(request, user) -> bool:
    from allauth.account.authentication import get_authentication_records

    return any(record.get("method") == "mfa" for record in get_authentication_records(request, user))


# --- Helpers ---------------------------------------------------------------------------------------------------


def _open_proofs(user, kind: str) -> QuerySet[StaffEnrolmentProof]:
    return StaffEnrolmentProof.objects.filter(
        user=user,
        kind=kind,
        used_at=None,
        withdrawn_at=None,
        expires_at__gt=timezone.now(),
        wrong_attempts__lt=WRONG_CODES_ALLOWED,
    ).order_by("-created_at", "-pk")


def _withdraw(proofs: QuerySet[StaffEnrolmentProof], when) -> int:
    return StaffEnrolmentProof.objects.filter(pk__in=proofs.values("pk"), used_at=None, withdrawn_at=None).update(
        withdrawn_at=when
    )


def _mark_used(proof: StaffEnrolmentProof) -> None:
    proof.used_at = timezone.now()
    proof.save(update_fields=["used_at"])


def _digest(user, secret: str) -> str:
    """A code is short, so its digest is tied to the account; a link's token is long and unique on its own."""
    scope = f"code:{user.pk}:" if user is not None else "link:"
    return salted_hmac(_DIGEST_SALT, scope + secret, algorithm="sha256").hexdigest()


def _name(user) -> str:
    return user.email or user.get_username()


def _log(*, actor, account, message: str) -> None:
    """Into `account`'s History in the admin (and the actor's Recent actions)."""
    if actor is None:
        return
    LogEntry.objects.log_actions(
        user_id=actor.pk, queryset=[account], action_flag=CHANGE, change_message=message, single_object=True
    )
