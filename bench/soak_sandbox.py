"""The sandbox provider with a lossy network in front of its webhooks, for bench/soak.py.

The real sandbox hands every event it emits straight to the intake. This one keeps a share of them back
(SOAK_DELAY_FRACTION, default 0.2): the event is stored at the "provider" exactly as the sandbox stores it (a
SandboxObject of kind "event", which reconciliation also reads), but not delivered. The soak's webhook thread later
posts the held-back events to /payments/webhooks/sandbox/ with fresh signatures, shuffled and some twice, so the
site sees late, reordered and duplicated deliveries, as Stripe's retries produce them.
"""

from __future__ import annotations

import os
import random
import time

from outlet.payments.models import SandboxObject
from outlet.payments.providers.sandbox.provider import SandboxProvider, _new_id

DELAY_FRACTION = float(os.environ.get("SOAK_DELAY_FRACTION", "0.2"))
_chance = random.Random()


class DelayingSandbox(SandboxProvider):
    def emit(self, event_type: str, obj: dict) -> None:
        if _chance.random() >= DELAY_FRACTION:
            super().emit(event_type, obj)
            return
        event_id = _new_id("evt")
        event = {"id": event_id, "type": event_type, "created": int(time.time()), "data": {"object": obj}}
        SandboxObject.objects.create(object_id=event_id, kind="event", data=event)  # held back: the soak delivers it
