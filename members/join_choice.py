"""A reader's choice of membership, carried through sign-up and email verification in a signed token, and the
story they came from, offered again after paying. Nothing here can send a reader to another site."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core import signing
from django.utils import translation

JOIN_CHOICE_SALT = "members.join-choice"
JOIN_CHOICE_MAX_AGE_DELTA = timedelta(days=1)  # a reader may take a while to find the verification email
JOIN_CHOICE_MAX_AGE = int(JOIN_CHOICE_MAX_AGE_DELTA.total_seconds())
# Pages a reader is not sent "back" to after paying: the membership and account pages themselves.
NOT_RETURN_PATHS = ("/membership/", "/accounts/", "/payments/", "/admin/")


def safe_return_path(path: str | None) -> str:
    """A path on this site to offer after paying, or "": never another site (//evil.example, https://…)."""
    path = (path or "").strip()
    if not path.startswith("/") or path.startswith("//") or "\\" in path or len(path) > 300:
        return ""
    # The same pages in every language: /ka/membership/ is the membership page too.
    language = translation.get_language_from_path(path)
    unprefixed = path[len(language) + 1 :] if language else path
    if any(unprefixed.startswith(prefix) for prefix in NOT_RETURN_PATHS) or unprefixed in ("/", ""):
        return ""
    return path


@dataclass(frozen=True)
class JoinChoice:
    tier_slug: str
    interval: str
    currency: str
    return_path: str = ""


def sign_join_choice(choice: JoinChoice) -> str:
    """The choice an anonymous reader made, signed, so sign-up and verification can carry it to the checkout."""
    return signing.dumps(
        [choice.tier_slug, choice.interval, choice.currency, choice.return_path], salt=JOIN_CHOICE_SALT, compress=True
    )


def read_join_choice(token: str) -> JoinChoice | None:
    """None for a forged, damaged or day-old token: the reader then chooses again on the membership page."""
    try:
        tier_slug, interval, currency, return_path = signing.loads(
            token or "", salt=JOIN_CHOICE_SALT, max_age=JOIN_CHOICE_MAX_AGE
        )
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return JoinChoice(str(tier_slug), str(interval), str(currency), safe_return_path(str(return_path)))
