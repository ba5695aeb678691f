"""Card-testing defence for the donation form: rate limits on checkout starts, and a proof-of-work challenge that
switches itself on when declined payments spike.

Card testers start many checkouts with stolen card numbers and watch which are declined. Two cheap brakes:
- Rate limits per IP address and per email (settings.DONATION_RATE_LIMITS), counted in Django's cache, which every
  process sees: Redis in production (INCR is atomic across web processes), the shared file cache in the embedded
  default (outlet/file_cache.py: add and incr under a lock, so the worker's declines reach the web server's form).
  The counters are sliding windows made of ten fixed slots, so a burst straddling a slot boundary is seen whole.
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
import ipaddress
import json
import logging
import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import altcha
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from donations.models import CheckoutShield
from outlet.redis_cache import CacheUnavailable

CHALLENGE_FIELD = "altcha"  # the form field the widget posts its solution in
CHALLENGE_LIFETIME = timedelta(minutes=10)
MAX_SOLUTION_LENGTH = 2000  # a real solution is ~300 characters; anything longer is refused unread
SHIELD_CACHE_SECONDS = 30  # the longest a process may act on a stale shield decision (saves invalidate at once)
SLOTS = 10  # each sliding window is counted in this many fixed slots
CACHE_DOWN_MESSAGE = "We can't take gifts for a moment; nothing was charged. Please try again in a few minutes."

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
    """Raise CheckoutBlocked when this donor may not start a checkout now (the challenge is on and not solved, too
    many attempts, or the cache that counts attempts is down). Counts the attempt only when it is allowed, so a
    refused one does not lengthen the wait."""
    counted: list[str] = []
    try:
        if challenge_required():
            _redeem_solution(challenge_solution)
        now = time.time()
        limits = settings.DONATION_RATE_LIMITS
        for kind, subject, message in (
            ("ip", _ip_subject(ip), "Too many attempts from this connection; try again in {minutes}."),
            ("email", _email_subject(email), "Too many attempts with this email address; try again in {minutes}."),
        ):
            if not subject:
                continue
            limit, window = limits[kind]
            key, counts = _hit(f"limit:{kind}:{subject}", window_seconds=window, now=now)
            counted.append(key)
            if sum(counts) > limit:
                wait = _seconds_until_below(counts, limit=limit, window_seconds=window, now=now)
                raise CheckoutBlocked(message.format(minutes=_minutes(wait)))  # (the form shows a challenge if it is on)
        _hit("starts", window_seconds=_spike()["window_seconds"], now=now)
    except CacheUnavailable:
        _unhit_all(counted)
        raise CheckoutBlocked(CACHE_DOWN_MESSAGE, retry_later=True) from None
    except CheckoutBlocked:
        _unhit_all(counted)
        raise


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def _email_subject(email: str) -> str:
    email = normalise_email(email)
    # Keyed hash: the cache never holds donors' addresses.
    return salted_hmac("outlet.donations.abuse.email", email, algorithm="sha256").hexdigest()[:32] if email else ""


def _ip_subject(ip: str) -> str:
    """One IPv4 address, or one IPv6 /64 (what a single customer is usually handed, so rotating within it is free)."""
    ip = (ip or "").strip()
    if not ip:
        return ""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return hashlib.sha256(ip.encode()).hexdigest()[:32]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address) + "/64"
    return str(address)


def _minutes(seconds: float) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


# --- Sliding-window counters in the cache ---------------------------------------------------------------------


def _slot_seconds(window_seconds: int) -> int:
    return max(1, math.ceil(window_seconds / SLOTS))


def _slot_keys(name: str, *, window_seconds: int, now: float) -> list[str]:
    """Cache keys of the window's slots, oldest first, ending with the slot `now` falls in."""
    length = _slot_seconds(window_seconds)
    current = int(now // length)
    return [f"abuse:{name}:{length}:{slot}" for slot in range(current - SLOTS + 1, current + 1)]


def _hit(name: str, *, window_seconds: int, now: float) -> tuple[str, list[int]]:
    """Count one event in the slot `now` falls in; returns that slot's key and the window's counts, oldest first.

    cache.add + cache.incr: on Redis, SET NX and INCR (on the file cache, the same under its lock), so concurrent
    processes never lose a count. The current
    slot's count is the one INCR returned (reading it again could see later attempts of other processes, and
    refuse this one for them); the earlier slots are only ever lowered. Each slot key expires when it can no
    longer be part of a window."""
    keys = _slot_keys(name, window_seconds=window_seconds, now=now)
    key = keys[-1]
    timeout = window_seconds + 2 * _slot_seconds(window_seconds)
    cache.add(key, 0, timeout=timeout)
    try:
        current = cache.incr(key)
    except ValueError:  # expired between add and incr (only on a clock jump): start it again
        cache.add(key, 1, timeout=timeout)
        current = 1
    earlier = cache.get_many(keys[:-1])
    return key, [int(earlier.get(k) or 0) for k in keys[:-1]] + [int(current)]


def _unhit_all(keys: list[str]) -> None:
    for key in keys:
        try:
            cache.decr(key)
        except (ValueError, CacheUnavailable):  # expired, or the cache went away mid-request: the slot expires anyway
            pass


def _first_to_claim(key: str, *, timeout: int) -> bool:
    """True for exactly one caller per key (SET NX then INCR, so a cache that is down raises CacheUnavailable
    instead of answering "already taken" or "yours")."""
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key) == 1
    except ValueError:  # expired between add and incr: only on a clock jump, long after the claim mattered
        return cache.add(key, 1, timeout=timeout)


def _window_total(name: str, *, window_seconds: int, now: float | None = None) -> int:
    keys = _slot_keys(name, window_seconds=window_seconds, now=time.time() if now is None else now)
    return sum(int(value or 0) for value in cache.get_many(keys).values())


def _seconds_until_below(counts: list[int], *, limit: int, window_seconds: int, now: float) -> float:
    """When enough of the oldest slots have left the window that one more attempt fits under the limit.
    `counts` include the refused attempt, which is not kept."""
    length = _slot_seconds(window_seconds)
    first_slot = int(now // length) - SLOTS + 1
    remaining = sum(counts) - 1
    for index, count in enumerate(counts):
        remaining -= count
        if remaining < limit:
            return (first_slot + index + SLOTS) * length - now
    return window_seconds


# --- The proof-of-work challenge --------------------------------------------------------------------------------


def _challenge_key() -> str:
    """Derived from SECRET_KEY with its own salt: a leak of one derived key reveals nothing about the others."""
    return salted_hmac("outlet.donations.abuse.challenge", "altcha-hmac-key", algorithm="sha256").hexdigest()


def new_challenge() -> dict:
    """A fresh challenge for the form's widget (JSON-serialisable): algorithm, challenge, maxNumber, salt,
    signature. It expires after CHALLENGE_LIFETIME; the expiry is inside the signed salt."""
    challenge = altcha.create_challenge_v1(altcha.ChallengeOptionsV1(
        hmac_key=_challenge_key(), max_number=settings.DONATION_CHALLENGE_MAX_NUMBER,
        expires=timezone.now() + CHALLENGE_LIFETIME,
    ))
    return challenge.to_dict()


def solve_challenge(challenge: dict) -> str:
    """What the browser widget does, in Python (tests and the load bench): the base64 payload for CHALLENGE_FIELD."""
    solution = altcha.solve_challenge_v1(challenge["challenge"], challenge["salt"], challenge["algorithm"], challenge["maxNumber"])
    if solution is None:
        raise ValueError("this challenge has no solution below its maxNumber")
    payload = {key: challenge[key] for key in ("algorithm", "challenge", "salt", "signature")} | {"number": solution.number}
    return base64.b64encode(json.dumps(payload).encode()).decode()


def _redeem_solution(solution: str | None) -> None:
    """Accept a solution once: valid signature, solved, not expired, not seen before."""
    again = "Please wait for the check below to finish, then send the form again."
    if not solution or not solution.strip():
        raise CheckoutBlocked(
            "We are seeing a wave of automated card testing, so this form now asks your browser to solve a small "
            "puzzle first (it needs JavaScript). " + again, needs_challenge=True)
    if len(solution) > MAX_SOLUTION_LENGTH:
        raise CheckoutBlocked("The anti-abuse check did not pass. " + again, needs_challenge=True)
    try:
        payload = json.loads(base64.b64decode(solution.strip(), validate=True))
        expires = int(altcha.extract_params_v1(payload)["expires"][0])
        valid, _ = altcha.verify_solution_v1(payload, _challenge_key(), check_expires=False)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        valid, expires = False, 0
    if not valid:
        raise CheckoutBlocked("The anti-abuse check did not pass. " + again, needs_challenge=True)
    if expires < time.time():
        raise CheckoutBlocked("The anti-abuse check expired while the form was open. " + again, needs_challenge=True)
    used_key = "abuse:challenge-used:" + hashlib.sha256(str(payload["signature"]).encode()).hexdigest()
    if not _first_to_claim(used_key, timeout=int(expires - time.time()) + 60):
        raise CheckoutBlocked("That anti-abuse check was already used. " + again, needs_challenge=True)


# --- The spike switch -----------------------------------------------------------------------------------------


def _spike() -> dict:
    return settings.DONATION_DECLINE_SPIKE


def record_decline(*, occurred_at: datetime, reference: str) -> None:
    """Count a declined donation payment towards the spike that switches the challenge on.

    Counted at the provider's time, so a late or replayed event lands where it happened (and one older than the
    window is not counted at all); a redelivered event (same payment, same time) is counted once."""
    spike = _spike()
    window = int(spike["window_seconds"])
    at = occurred_at.timestamp()
    now = time.time()
    if at < now - window:
        return
    seen = hashlib.sha256(f"{reference}|{at}".encode()).hexdigest()
    try:
        if not _first_to_claim(f"abuse:decline-seen:{seen}", timeout=window + 60):
            return
        _hit("declines", window_seconds=window, now=min(at, now))
    except CacheUnavailable:
        # Checkout starts are refused while the cache is down, so no spike can build up meanwhile.
        logger.warning("card-testing shield: cache unavailable, decline %s not counted", reference)
        return
    declines = _window_total("declines", window_seconds=window, now=now)
    if declines >= int(spike["declines"]):
        _trigger(reason=f"{declines} declined payments in {_minutes(window)}")


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
        last_triggered_at=row.last_triggered_at, last_trigger_reason=row.last_trigger_reason,
        declines_in_window=_window_total("declines", window_seconds=window),
        checkout_starts_in_window=_window_total("starts", window_seconds=window),
        window_seconds=window, declines_to_trigger=int(_spike()["declines"]),
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
