"""Which product code handles which domain event. members/ and donations/ register here in AppConfig.ready(),
so this package never imports them (dependencies point one way)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from outlet.payments.providers.base import DomainEvent

# A handler returns True when the event concerned something of ours (a member, a donation), else False.
Handler = Callable[..., bool]
_handlers: dict[type[DomainEvent], list[Handler]] = defaultdict(list)


def register(event_type: type[DomainEvent], handler: Handler) -> None:
    if handler not in _handlers[event_type]:
        _handlers[event_type].append(handler)


def dispatch(event: DomainEvent, *, webhook_event: Any) -> bool:
    """Run every handler for this event; True when at least one found it was ours."""
    claimed = False
    for handler in _handlers.get(type(event), []):
        claimed = handler(event, webhook_event=webhook_event) or claimed
    return claimed
