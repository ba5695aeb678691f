"""Card-testing defence for the donation form: rate limits and a proof-of-work challenge when declines spike.

(Interface only for now.)"""

from __future__ import annotations

from datetime import datetime


class CheckoutBlocked(Exception):
    """The checkout may not start; `message` is shown to the donor, `needs_challenge` asks for the challenge."""

    def __init__(self, message: str, *, needs_challenge: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.needs_challenge = needs_challenge


def record_decline(*, occurred_at: datetime, reference: str) -> None:
    """Count a declined donation payment towards the spike that switches the challenge on."""
