"""Staff sign-in for tests: the admin demands a session that passed two-factor sign-in (outlet/staff/admin_site.py).

`client.force_login(staff_user)` skips the sign-in pages, so for staff it also does what allauth does when the
authenticator code is typed: the user gets an authenticator app (TOTP) and the session's authentication log gets an
"mfa" entry. Tests about the two-factor sign-in itself go through the real pages (tests/staff/test_staff_mfa.py)
or call `force_login_without_second_factor`.

Loaded as a pytest plugin (pyproject: `-p tests.staff`), so every test's `force_login`, `admin_client` included,
behaves this way with no fixture to remember.
"""

from __future__ import annotations

import time

import pytest
from django.test import Client

TEST_PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's password


def give_authenticator_app(user) -> str:
    """Activate a TOTP authenticator (and recovery codes) for `user` as the setup page would; returns the secret."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from allauth.mfa.utils import decrypt

    existing = Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).first()
    if existing:
        return decrypt(existing.data["secret"])
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    if not Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.RECOVERY_CODES).exists():
        RecoveryCodes.activate(user)
    return secret


def current_totp_code(secret: str) -> str:
    """The code an authenticator app would show now, computed with allauth's own HOTP helpers."""
    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    counter = int(time.time()) // app_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(secret, counter))


def a_wrong_code(secret: str) -> str:
    """Six digits that are none of the codes allauth accepts now (its tolerance window included)."""
    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    counter = int(time.time()) // app_settings.TOTP_PERIOD
    valid = {format_hotp_value(hotp_value(secret, counter + step)) for step in range(-2, 3)}
    return next(code for code in ("123456", "654321", "111111", "999999", "000001", "424242") if code not in valid)


def mark_session_second_factor(client: Client, user) -> None:
    """Write the session's allauth authentication log as a password + authenticator-code sign-in would."""
    from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
    from allauth.account.internal.flows.login import _AUTHENTICATION_METHODS_USER_SESSION_KEY
    from allauth.account.internal.userkit import user_id_to_str
    from allauth.mfa.models import Authenticator

    give_authenticator_app(user)
    totp = Authenticator.objects.get(user_id=user.pk, type=Authenticator.Type.TOTP)
    session = client.session
    now = time.time()
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": now, "email": user.email},
        {"method": "mfa", "at": now, "id": totp.pk, "type": totp.type},
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = user_id_to_str(user)
    session.save()


_plain_force_login = Client.force_login


def force_login_without_second_factor(client: Client, user, backend=None) -> None:
    """A session that signed in with a password only (what a staff member without an authenticator app has)."""
    _plain_force_login(client, user, backend)


def _force_login_passing_second_factor(self: Client, user, backend=None) -> None:
    _plain_force_login(self, user, backend)
    if user.is_staff:
        mark_session_second_factor(self, user)


@pytest.fixture(autouse=True)
def _staff_force_login_passes_second_factor(monkeypatch):
    """See the module docstring."""
    monkeypatch.setattr(Client, "force_login", _force_login_passing_second_factor)


def sign_in_staff_in_browser(page, base_url: str, user, secret: str, *, next_path: str = "/admin/") -> None:
    """Sign in through the real pages as a staff member would: email and password, then the authenticator code."""
    page.goto(base_url + next_path)  # the admin sends a signed-out visitor to the sign-in page
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Code", exact=True).fill(current_totp_code(secret))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base_url + next_path)


def finance_staff_with_app():
    """Keti, a Finance staff member with a verified email and an authenticator app; returns (user, TOTP secret)."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth.models import Group

    from outlet.staff.roles import FINANCE
    from tests.factories import UserFactory

    user = UserFactory(username="keti", email="keti@example.org", first_name="Keti", is_staff=True)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    user.groups.add(Group.objects.get(name=FINANCE))
    return user, give_authenticator_app(user)
