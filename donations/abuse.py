"""Card-testing defence for the donation form: rate limits on checkout starts, a refusal for donors whose card is
declined again and again, and a proof-of-work challenge that switches itself on when declined payments spike.

Card testers start many checkouts with stolen card numbers and watch which are declined; card crackers try one
card number over and over with guessed expiry dates and security codes. Three cheap brakes:
- Rate limits per IP address and per email (settings.DONATION_RATE_LIMITS), counted in Django's cache, which every
  process sees (donations/abuse_counters.py). The address is the site's one client-address rule
  (outlet/common/client_address.py: the same one sign-in limits use, so a proxy in front never merges every donor
  into one bucket). The email is counted as the mailbox it delivers to: "nino+1@x.org" and "nino+2@x.org" are one
  donor, and so are Gmail's dotted spellings.
- A limit per card (settings.DONATION_CARD_DECLINES) where the provider names the card in a declined payment
  (Stripe's card fingerprint, a keyed hash of it here). The card is typed on the provider's page, so a checkout
  cannot be refused by card before it starts; instead, once a card has been declined too often, the email and the
  connection of every checkout that tries it are refused for a while.
- A self-hosted ALTCHA proof of work (the `altcha` package, protocol v1: find n with sha256(salt + n) ==
  challenge). No third-party script and no tracking: the browser spends about a second of CPU, a script
  spraying thousands of checkouts spends thousands of seconds. It asks for JavaScript, so it is only on while
  an attack is likely (declines spiked) or while staff force it on.

The spike switch is the CheckoutShield row (one row, made on first use). Its state is read on every view of the
form, so the decision is cached briefly and forgotten whenever it changes.

When the cache is down (Redis outage) checkout starts fail closed: nothing can be counted, so no limit and no
one-time challenge can be enforced, and an open door is what a card tester waits for. The donor is told that no
gift can be taken for a moment and that nothing was charged; reading, the campaign page and its form stay up.
A decline reported while the cache is down is not counted (starts are refused anyway, so no new declines come).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import altcha
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from donations.abuse_counters import (
    first_to_claim,
    hit,
    minutes_text,
    seconds_until_below,
    unhit_all,
    whole_minutes,
    window_total,
)
from donations.models import CheckoutShield, DonationCheckout
from outlet.common.client_address import limit_subject
from outlet.common.redis_cache import CacheUnavailable

CHALLENGE_FIELD = "altcha"  # the form field the widget posts its solution in
CHALLENGE_LIFETIME = timedelta(minutes=10)
MAX_SOLUTION_LENGTH = 2000  # a real solution is ~300 characters; anything longer is refused unread
SHIELD_CACHE_SECONDS = 30  # the longest a process may act on a stale shield decision (saves invalidate at once)
CACHE_DOWN_MESSAGE = gettext_lazy(
    "We can't take gifts for a moment; nothing was charged. Please try again in a few minutes."
)
# Providers whose mailboxes ignore dots in the name part, so "n.i.n.o@gmail.com" reaches "nino@gmail.com".
DOTS_IGNORED_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}

logger = logging.getLogger(__name__)


class CheckoutBlocked(Exception):
    """The checkout may not start; `message` is shown to the donor, `needs_challenge` asks for the challenge,
    `retry_later` says the shield itself is unavailable (the cache is down), not that this donor did anything."""

    def __init__(self, message: str, *, needs_challenge: bool = False, retry_later: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.needs_challenge = needs_challenge
        self.retry_later = retry_later

    @property
    def status(self) -> int:
        """The HTTP status for the refusal: 503 while the shield cannot count, 400 for the challenge, else 429."""
        return 503 if self.retry_later else 400 if self.needs_challenge else 429


# --- The donation form's entry point --------------------------------------------------------------------------


def guard_checkout_start(*, ip: str, email: str, challenge_solution: str | None) -> None:
    """Raise CheckoutBlocked when this donor may not start a checkout now (a card they used is refused, the
    challenge is on and not solved, too many attempts, or the cache that counts attempts is down). Counts the
    attempt only when it is allowed, so a refused one does not lengthen the wait. `ip` is
    outlet.common.client_address.client_address(request)."""
    counted: list[str] = []
    subjects = {"ip": limit_subject(ip), "email": _email_subject(email)}
    try:
        _refuse_donors_of_refused_cards(subjects)
        if challenge_required():
            _redeem_solution(challenge_solution)
        now = time.time()
        limits = settings.DONATION_RATE_LIMITS
        for kind in ("ip", "email"):
            if not subjects[kind]:
                continue
            limit, window = limits[kind]
            key, counts = hit(f"limit:{kind}:{subjects[kind]}", window_seconds=window, now=now)
            counted.append(key)
            if sum(counts) > limit:
                wait = seconds_until_below(counts, limit=limit, window_seconds=window, now=now)
                raise CheckoutBlocked(_too_many_attempts(kind, wait))  # (the form shows a challenge if it is on)
        hit("starts", window_seconds=_spike()["window_seconds"], now=now)
        if subjects["email"] and subjects["ip"]:  # where this donor gives from, should their card be refused later
            cache.set(f"abuse:origin:{subjects['email']}", subjects["ip"], timeout=_card_rule()["window_seconds"])
    except CacheUnavailable:
        unhit_all(counted)
        raise CheckoutBlocked(str(CACHE_DOWN_MESSAGE), retry_later=True) from None
    except CheckoutBlocked:
        unhit_all(counted)
        raise


def _too_many_attempts(kind: str, wait_seconds: float) -> str:
    """The donor's message for a rate limit: per connection ("ip") or per email address."""
    minutes = whole_minutes(wait_seconds)
    if kind == "ip":
        text = ngettext(
            "Too many attempts from this connection; try again in %(count)d minute.",
            "Too many attempts from this connection; try again in %(count)d minutes.",
            minutes,
        )
    else:
        text = ngettext(
            "Too many attempts with this email address; try again in %(count)d minute.",
            "Too many attempts with this email address; try again in %(count)d minutes.",
            minutes,
        )
    return text % {"count": minutes}


def mailbox_for_limits(email: str) -> str:
    """The mailbox an address delivers to, as far as a limit can tell: lower case, without a "+tag" (plus
    addressing, which most providers offer), and for Gmail without dots in the name. Only for counting: nobody is
    ever written to at this spelling."""
    email = (email or "").strip().lower()
    name, at, domain = email.rpartition("@")
    if not at or not name:
        return email
    domain = domain.rstrip(".")
    name = name.split("+", 1)[0] or name
    if domain in DOTS_IGNORED_DOMAINS:
        name, domain = name.replace(".", "") or name, DOTS_IGNORED_DOMAINS[domain]
    return f"{name}@{domain}"


def _email_subject(email: str) -> str:
    email = mailbox_for_limits(email)
    # Keyed hash: the cache never holds donors' addresses.
    return salted_hmac("outlet.donations.abuse.email", email, algorithm="sha256").hexdigest()[:32] if email else ""


def _card_subject(fingerprint: str) -> str:
    return salted_hmac("outlet.donations.abuse.card", fingerprint, algorithm="sha256").hexdigest()[:32]


# --- The proof-of-work challenge --------------------------------------------------------------------------------


def _challenge_key() -> str:
    """Derived from SECRET_KEY with its own salt: a leak of one derived key reveals nothing about the others."""
    return salted_hmac("outlet.donations.abuse.challenge", "altcha-hmac-key", algorithm="sha256").hexdigest()


def new_challenge() -> dict:
    """A fresh challenge for the form's widget (JSON-serialisable): algorithm, challenge, maxNumber, salt,
    signature. It expires after CHALLENGE_LIFETIME; the expiry is inside the signed salt."""
    challenge = altcha.create_challenge_v1(
        altcha.ChallengeOptionsV1(
            hmac_key=_challenge_key(),
            max_number=settings.DONATION_CHALLENGE_MAX_NUMBER,
            expires=timezone.now() + CHALLENGE_LIFETIME,
        )
    )
    return challenge.to_dict()


def _redeem_solution(solution: str | None) -> None:
    """Accept a solution once: valid signature, solved, not expired, not seen before."""
    # Each message is one whole text for translators; they all end by asking the donor to wait for the check.
    if not solution or not solution.strip():
        raise CheckoutBlocked(
            _(
                "We are seeing a wave of automated card testing, so this form now asks your browser to solve a small "
                "puzzle first (it needs JavaScript). Please wait for the check below to finish, then send the form "
                "again."
            ),
            needs_challenge=True,
        )
    did_not_pass = _(
        "The anti-abuse check did not pass. Please wait for the check below to finish, then send the form again."
    )
    if len(solution) > MAX_SOLUTION_LENGTH:
        raise CheckoutBlocked(did_not_pass, needs_challenge=True)
    try:
        payload = json.loads(base64.b64decode(solution.strip(), validate=True))
        expires = int(altcha.extract_params_v1(payload)["expires"][0])
        valid, _reason = altcha.verify_solution_v1(payload, _challenge_key(), check_expires=False)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        valid, expires = False, 0
    if not valid:
        raise CheckoutBlocked(did_not_pass, needs_challenge=True)
    if expires < time.time():
        raise CheckoutBlocked(
            _(
                "The anti-abuse check expired while the form was open. Please wait for the check below to finish, "
                "then send the form again."
            ),
            needs_challenge=True,
        )
    used_key = "abuse:challenge-used:" + hashlib.sha256(str(payload["signature"]).encode()).hexdigest()
    if not first_to_claim(used_key, timeout=int(expires - time.time()) + 60):
        raise CheckoutBlocked(
            _(
                "That anti-abuse check was already used. Please wait for the check below to finish, then send the "
                "form again."
            ),
            needs_challenge=True,
        )


# --- Declines: the spike switch and the per-card limit -------------------------------------------------------


def _spike() -> dict:
    return settings.DONATION_DECLINE_SPIKE


def _card_rule() -> dict:
    return settings.DONATION_CARD_DECLINES


def record_decline(
    *, occurred_at: datetime, reference: str, card_fingerprint: str | None = None, checkout_reference: str | None = None
) -> None:
    """Count a declined donation payment towards the spike that switches the challenge on and, when the provider
    names the card (`card_fingerprint`), towards that card's limit; `checkout_reference` (our metadata's
    outlet_checkout) says whose checkout tried it, so they can be refused while the card is.

    Counted at the provider's time, so a late or replayed event lands where it happened (and one older than a
    window is not counted in it); a redelivered event (same payment, same time) is counted once."""
    spike, card_rule = _spike(), _card_rule()
    window, card_window = int(spike["window_seconds"]), int(card_rule["window_seconds"])
    at = occurred_at.timestamp()
    now = time.time()
    if at < now - max(window, card_window):
        return
    seen = hashlib.sha256(f"{reference}|{at}".encode()).hexdigest()
    try:
        if not first_to_claim(f"abuse:decline-seen:{seen}", timeout=max(window, card_window) + 60):
            return
        if card_fingerprint and at >= now - card_window:
            _count_card_decline(_card_subject(card_fingerprint), at=min(at, now), checkout_reference=checkout_reference)
        if at < now - window:
            return
        hit("declines", window_seconds=window, now=min(at, now))
        declines = window_total("declines", window_seconds=window, now=now)
    except CacheUnavailable:
        # Checkout starts are refused while the cache is down, so no spike can build up meanwhile.
        logger.warning("card-testing shield: cache unavailable, decline %s not counted", reference)
        return
    if declines >= int(spike["declines"]):
        _trigger(reason=f"{declines} declined payments in {minutes_text(window)}")


def _count_card_decline(card: str, *, at: float, checkout_reference: str | None) -> None:
    """The card's declines in its window; at the limit the card is refused for `refuse_minutes`, and so is the
    donor (email and connection) of every checkout it is declined on while refused."""
    rule = _card_rule()
    _key, counts = hit(f"card:{card}", window_seconds=int(rule["window_seconds"]), now=at)
    refused_key = f"abuse:card-refused:{card}"
    refuse_seconds = int(rule["refuse_minutes"]) * 60
    if sum(counts) >= int(rule["declines"]):
        cache.set(refused_key, time.time() + refuse_seconds, timeout=refuse_seconds)
        logger.warning("card-testing shield: a card was declined %s times; its donors are refused", sum(counts))
    elif float(cache.get(refused_key) or 0) <= time.time():
        return
    until = time.time() + refuse_seconds
    for kind, subject in _checkout_donor(checkout_reference).items():
        cache.set(f"abuse:refused:{kind}:{subject}", until, timeout=refuse_seconds)


def _checkout_donor(checkout_reference: str | None) -> dict[str, str]:
    """The email subject of the checkout the card was declined on, and the connection it last started from."""
    try:
        reference = uuid.UUID(str(checkout_reference or ""))
    except ValueError:
        return {}
    email = DonationCheckout.objects.filter(reference=reference).values_list("email", flat=True).first()
    email_subject = _email_subject(email or "")
    if not email_subject:
        return {}
    ip_subject = cache.get(f"abuse:origin:{email_subject}")
    return {"email": email_subject} | ({"ip": ip_subject} if ip_subject else {})


def _refuse_donors_of_refused_cards(subjects: dict[str, str]) -> None:
    keys = {f"abuse:refused:{kind}:{subject}": kind for kind, subject in subjects.items() if subject}
    refused = cache.get_many(list(keys))
    for key, kind in keys.items():
        wait = float(refused.get(key) or 0) - time.time()  # the mark holds its end: exact whatever the cache's expiry
        if wait > 0:
            raise CheckoutBlocked(_card_refused(kind, wait))


def _card_refused(kind: str, wait_seconds: float) -> str:
    """The donor's message while a card they used is refused: from their connection ("ip") or email address,
    for about so many hours (two or more), else so many minutes. One whole sentence per case for translators."""
    hours = round(wait_seconds / 3600)
    if hours >= 2:
        count = hours
        if kind == "ip":
            text = ngettext(
                "A card used from this connection was declined too many times, so to protect cardholders from card "
                "testing we can't start a new gift from this connection for about %(count)d hour. Nothing was charged.",
                "A card used from this connection was declined too many times, so to protect cardholders from card "
                "testing we can't start a new gift from this connection for about %(count)d hours. Nothing was "
                "charged.",
                count,
            )
        else:
            text = ngettext(
                "A card used with this email address was declined too many times, so to protect cardholders from "
                "card testing we can't start a new gift with this email address for about %(count)d hour. Nothing "
                "was charged.",
                "A card used with this email address was declined too many times, so to protect cardholders from "
                "card testing we can't start a new gift with this email address for about %(count)d hours. Nothing "
                "was charged.",
                count,
            )
    else:
        count = whole_minutes(wait_seconds)
        if kind == "ip":
            text = ngettext(
                "A card used from this connection was declined too many times, so to protect cardholders from card "
                "testing we can't start a new gift from this connection for %(count)d minute. Nothing was charged.",
                "A card used from this connection was declined too many times, so to protect cardholders from card "
                "testing we can't start a new gift from this connection for %(count)d minutes. Nothing was charged.",
                count,
            )
        else:
            text = ngettext(
                "A card used with this email address was declined too many times, so to protect cardholders from "
                "card testing we can't start a new gift with this email address for %(count)d minute. Nothing was "
                "charged.",
                "A card used with this email address was declined too many times, so to protect cardholders from "
                "card testing we can't start a new gift with this email address for %(count)d minutes. Nothing was "
                "charged.",
                count,
            )
    return text % {"count": count}


def _trigger(*, reason: str) -> None:
    now = timezone.now()
    until = now + timedelta(minutes=int(_spike()["challenge_minutes"]))
    with transaction.atomic():
        row = _locked_shield()
        row.challenge_until = max(row.challenge_until or until, until)
        row.last_triggered_at = now
        row.last_trigger_reason = reason[:200]
        row.save(update_fields=["challenge_until", "last_triggered_at", "last_trigger_reason", "updated_at"])
    _forget_shield()


def challenge_required() -> bool:
    """Whether the donation form must show the proof-of-work challenge now: staff forced it on, or on "auto"
    declines spiked and the challenge has not run out. Read from the cache for up to SHIELD_CACHE_SECONDS."""
    state = cache.get(_SHIELD_CACHE_KEY)
    if state is None:
        row = shield()
        state = {"mode": row.mode, "until": row.challenge_until.timestamp() if row.challenge_until else None}
        cache.set(_SHIELD_CACHE_KEY, state, timeout=SHIELD_CACHE_SECONDS)
    if state["mode"] == CheckoutShield.Mode.ON:
        return True
    if state["mode"] == CheckoutShield.Mode.OFF:
        return False
    return bool(state["until"] and state["until"] > time.time())


_SHIELD_CACHE_KEY = "abuse:shield"


def _forget_shield() -> None:
    cache.delete(_SHIELD_CACHE_KEY)


def shield() -> CheckoutShield:
    """The one CheckoutShield row, created on first use."""
    row = CheckoutShield.objects.order_by("pk").first()
    return row or CheckoutShield.objects.get_or_create(pk=1)[0]


def _locked_shield() -> CheckoutShield:
    row = shield()
    return CheckoutShield.objects.select_for_update().get(pk=row.pk)


# --- What staff see and do (the admin calls these) ------------------------------------------------------------


@dataclass(frozen=True)
class AttackState:
    mode: str
    challenge_on: bool
    challenge_until: datetime | None  # when an automatic challenge runs out (None: not switched on by a spike)
    last_triggered_at: datetime | None
    last_trigger_reason: str
    declines_in_window: int
    checkout_starts_in_window: int
    window_seconds: int
    declines_to_trigger: int


def attack_state() -> AttackState:
    row = shield()
    window = int(_spike()["window_seconds"])
    now = timezone.now()
    auto_on = bool(row.challenge_until and row.challenge_until > now)
    return AttackState(
        mode=row.mode,
        challenge_on=row.mode == CheckoutShield.Mode.ON or (row.mode == CheckoutShield.Mode.AUTO and auto_on),
        challenge_until=row.challenge_until if auto_on else None,
        last_triggered_at=row.last_triggered_at,
        last_trigger_reason=row.last_trigger_reason,
        declines_in_window=window_total("declines", window_seconds=window),
        checkout_starts_in_window=window_total("starts", window_seconds=window),
        window_seconds=window,
        declines_to_trigger=int(_spike()["declines"]),
    )


def set_shield_mode(*, mode: str) -> CheckoutShield:
    if mode not in CheckoutShield.Mode.values:
        raise ValueError(f"unknown shield mode {mode!r}")
    with transaction.atomic():
        row = _locked_shield()
        row.mode = mode
        row.save(update_fields=["mode", "updated_at"])
    _forget_shield()
    return row


def switch_challenge_off_now() -> CheckoutShield:
    """End the challenge at once: an automatic one is cleared, a forced one goes back to automatic (so a new spike
    can still switch it on; staff who want it never to appear choose "off")."""
    with transaction.atomic():
        row = _locked_shield()
        row.challenge_until = None
        if row.mode == CheckoutShield.Mode.ON:
            row.mode = CheckoutShield.Mode.AUTO
        row.save(update_fields=["mode", "challenge_until", "updated_at"])
    _forget_shield()
    return row
