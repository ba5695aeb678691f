"""Card-testing defence for the donation form: rate limits and a proof-of-work challenge when declines spike.

(Interface only for now; the limits and the challenge follow.)"""

from __future__ import annotations

from datetime import datetime


class CheckoutBlocked(Exception):
    """The checkout may not start; `message` is shown to the donor, `needs_challenge` asks for the challenge."""

    def __init__(self, message: str, *, needs_challenge: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.needs_challenge = needs_challenge


def guard_checkout_start(*, ip: str, email: str, challenge_solution: str | None) -> None:
    """Raise CheckoutBlocked when this donor may not start a checkout now (too many attempts, or the challenge is
    on and not solved). Counts the attempt when it is allowed."""


def challenge_required() -> bool:
    """Whether the donation form must show the proof-of-work challenge now."""
    return False


def new_challenge() -> dict:
    """A fresh challenge for the form's widget (JSON-serialisable)."""
    return {}


def record_decline(*, occurred_at: datetime, reference: str) -> None:
    """Count a declined donation payment towards the spike that switches the challenge on."""
