"""allauth's account adapter for outlet (settings.ACCOUNT_ADAPTER): where sign-in and sign-up differ from allauth's
defaults.

- The client address is outlet.common.client_address's, the one rule every limit on the site uses.
- An email address longer than the database keeps is refused with a message, not cut short by allauth's
  user_field (which truncates to the column's length, so the account would be made for an address nobody owns).
- Wrong passwords lock an address per connection, with a looser limit per address on top (ACCOUNT_RATE_LIMITS
  "login_failed" and "login_failed_account"). allauth's own limit is per address alone, so anyone who knows a
  reader's address could keep the reader out of password sign-in; now a guesser on one connection locks only
  themselves, and the per-address limit still bounds a guess spread over many connections. Whoever is locked
  out is pointed at sign-in by an emailed code, which these limits never block.
"""

from __future__ import annotations

from typing import Any

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal import ratelimit
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from outlet.common.client_address import client_address, limit_subject

ALLAUTH_APP = "allauth.account"
PER_ACCOUNT_ACTION = "login_failed_account"
# Translators: “Send me a sign-in code” is the label of the button on the sign-in page that emails a code.
CODE_HINT = gettext_lazy("To get in now, use “Send me a sign-in code” on the sign-in page: we email you a code.")
# Each is whole sentences joined with spaces (lazily, so each reader gets their own language).
LOCKED_ON_THIS_CONNECTION = format_lazy(
    "{} {} {}",
    gettext_lazy("Too many failed login attempts for this address from your connection."),
    CODE_HINT,
    gettext_lazy("Or wait a few minutes and try your password again."),
)
LOCKED_EVERYWHERE = format_lazy(
    "{} {}",
    gettext_lazy(
        "Too many failed login attempts for this address from several places, so password sign-in "
        "for it is paused for a while."
    ),
    CODE_HINT,
)


def email_max_length() -> int:
    return int(account_settings.EMAIL_MAX_LENGTH)


def email_too_long_message(email: str) -> str:
    # Translators: both numbers are counts of characters, e.g. "up to 254 characters, and this one has 300".
    return _(
        "That email address is too long: we can keep addresses of up to %(limit)s characters, "
        "and this one has %(length)s. Please use a shorter address."
    ) % {"limit": email_max_length(), "length": len(email)}


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request: HttpRequest) -> str:
        return client_address(request)

    def clean_email(self, email: str) -> str:
        """Sign-up, adding an address and password reset all pass through here."""
        if len(email) > email_max_length():
            raise ValidationError(email_too_long_message(email), code="max_length")
        return super().clean_email(email)

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """Count this password attempt against the address on this connection, then against the address alone;
        allauth rolls both back when the password is right (authenticate), so only wrong ones add up."""
        account = self._get_login_attempts_cache_key(request, **credentials)
        here = ratelimit.consume(request, app=ALLAUTH_APP, action="login_failed", key=_on_connection(request, account))
        if not here:
            raise ValidationError(LOCKED_ON_THIS_CONNECTION, code="too_many_login_attempts")
        everywhere = ratelimit.consume(request, app=ALLAUTH_APP, action=PER_ACCOUNT_ACTION, key=account)
        if not everywhere:
            here.rollback()  # a refused attempt does not lengthen this connection's wait
            raise ValidationError(LOCKED_EVERYWHERE, code="too_many_login_attempts")
        self._login_failed_rl_usage = ratelimit.RateLimitUsage(usage=[*here.usage, *everywhere.usage])

    def _delete_login_attempts_cached_email(self, request: HttpRequest, **credentials: Any) -> None:
        """After a password reset (the reader proved the address) both locks on the address are lifted."""
        super()._delete_login_attempts_cached_email(request, **credentials)
        account = self._get_login_attempts_cache_key(request, **credentials)
        ratelimit.clear(request, app=ALLAUTH_APP, action="login_failed", key=_on_connection(request, account))
        ratelimit.clear(request, app=ALLAUTH_APP, action=PER_ACCOUNT_ACTION, key=account)


def _on_connection(request: HttpRequest, account: str) -> str:
    return f"{account}|{limit_subject(client_address(request))}"
