"""Demo staff accounts, one per role, each with an authenticator app already set up (local demo only).

The admin opens only after a two-factor sign-in, so a demo account without an authenticator could not show it.
All demo accounts share one published TOTP secret: add it to any authenticator app, or print the current code with
`manage.py demo_totp_code`. Neither the accounts nor the command exist when IS_PRODUCTION is true."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Q

from outlet.staff import roles

# Base32, as authenticator apps take it. Published on purpose: it guards nothing but local demo data.
DEMO_TOTP_SECRET = "OUTLETDEMOLOCALONLYNEVERINPRODXX"


@dataclass(frozen=True)
class DemoStaff:
    username: str
    email: str
    first_name: str
    role: str | None  # None: a superuser


DEMO_STAFF = [
    DemoStaff("editor", "editor@example.com", "Demo", None),
    DemoStaff("newsdesk", "newsdesk@example.com", "Nino", roles.EDITOR),
    DemoStaff("members", "members@example.com", "Levon", roles.MEMBERSHIP_MANAGER),
    DemoStaff("finance", "finance@example.com", "Ayten", roles.FINANCE),
]


def ensure_demo_staff(*, password: str) -> tuple[int, int]:
    """(created, already present). An existing account is left as staff last saw it, password included."""
    created = present = 0
    user_model = get_user_model()
    for staff in DEMO_STAFF:
        if user_model.objects.filter(Q(username=staff.username) | Q(email__iexact=staff.email)).exists():
            present += 1
            continue
        _create(user_model, staff, password=password)
        created += 1
    return created, present


@transaction.atomic
def _create(user_model, staff: DemoStaff, *, password: str) -> None:
    from allauth.account.models import EmailAddress
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP

    names = {"first_name": staff.first_name, "last_name": staff.role or "Editor"}
    if staff.role is None:
        user = user_model.objects.create_superuser(
            username=staff.username, email=staff.email, password=password, **names
        )
    else:
        user = user_model.objects.create_user(
            username=staff.username, email=staff.email, password=password, is_staff=True, **names
        )
        user.groups.add(Group.objects.get(name=staff.role))
    # Sign-in is by email; a verified address spares the demo account a confirmation email.
    EmailAddress.objects.create(user=user, email=staff.email, verified=True, primary=True)
    TOTP.activate(user, DEMO_TOTP_SECRET)
    RecoveryCodes.activate(user)


def current_demo_code(*, at: float | None = None) -> str:
    """What an authenticator app holding DEMO_TOTP_SECRET shows now, by allauth's own HOTP helpers."""
    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    counter = int(at if at is not None else time.time()) // app_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(DEMO_TOTP_SECRET, counter))
