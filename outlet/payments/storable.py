"""What a verified provider event must look like before it is stored. A valid signature proves who sent the bytes,
not that PostgreSQL can hold them: a NUL (JSONB and text columns refuse it), a lone surrogate (not UTF-8), an id or
type longer than its column, or a number JSON cannot carry made the insert fail with a 500, so the provider retried
a delivery that could never succeed.

Text PostgreSQL cannot hold is replaced by U+FFFD, the same way on every delivery and listing, so the event is
stored and processed and its duplicates still find it (a donor's name typed with a stray control character must
not lose their gift). What can never be stored faithfully (an id or type too long, an infinite amount) is refused
whole: nothing is stored."""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from typing import Any

from django.core.exceptions import BadRequest

from outlet.payments.models import WebhookEvent
from outlet.payments.providers.base import ProviderEvent

# NUL, and surrogate code points on their own (json.loads accepts "\ud800"; UTF-8 cannot encode it).
_UNSTORABLE_TEXT = re.compile("[\x00\ud800-\udfff]")
# The same, as json.dumps writes them: NUL, a high surrogate not followed by a low one, a low one not after a high one
# (a pair is one character beyond the BMP, an emoji, and is stored as it is).
_UNSTORABLE_ESCAPE = re.compile(r"\\u0000|\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])|(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f]")
REPLACEMENT = "\ufffd"


class UnstorableEvent(BadRequest):
    """A verified event we can never store as it is. Django answers a BadRequest with 400, so the webhook view
    refuses it even where it does not catch this itself; reconciliation skips it with a warning."""


def storable(event: ProviderEvent) -> ProviderEvent:
    """The event as it will be stored, or UnstorableEvent saying why it cannot be."""
    event_id, event_type = _text(str(event.id)), _text(str(event.type))
    id_limit = WebhookEvent._meta.get_field("event_id").max_length or 0
    type_limit = WebhookEvent._meta.get_field("type").max_length or 0
    if not event_id.strip():
        raise UnstorableEvent("the event has no id")
    if len(event_id) > id_limit:
        raise UnstorableEvent(f"the event id is {len(event_id)} characters long; at most {id_limit} can be stored")
    if len(event_type) > type_limit:
        raise UnstorableEvent(
            f"the event type is {len(event_type)} characters long; at most {type_limit} can be stored"
        )
    if _storable_as_it_is(event.payload):
        payload = event.payload
    else:
        try:
            payload = _clean(event.payload)
        except RecursionError:
            raise UnstorableEvent("the event is nested too deeply to store") from None
    if (event_id, event_type) == (event.id, event.type) and payload is event.payload:
        return event
    return replace(event, id=event_id, type=event_type, payload=payload)


def _storable_as_it_is(payload: Any) -> bool:
    """The common case, answered by the C JSON encoder in under half the time a walk through the payload takes (the
    webhook intake asks for every delivery): no infinite or NaN number (the encoder refuses them) and no NUL or lone
    surrogate in any key or text (the encoder writes them as escapes: _UNSTORABLE_ESCAPE). False sends the payload
    through _clean, which also says which it was; a false alarm (text holding a backslash and such letters) only
    costs the walk."""
    try:
        text = json.dumps(payload, allow_nan=False)
    except (ValueError, TypeError, RecursionError):
        return False
    return _UNSTORABLE_ESCAPE.search(text) is None


def _text(value: str) -> str:
    return _UNSTORABLE_TEXT.sub(REPLACEMENT, value)


def _clean(value: Any) -> Any:
    """The same JSON with unstorable text replaced; an infinite or NaN number (JSON has none) refuses the event."""
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, dict):
        return {_text(str(key)): _clean(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        raise UnstorableEvent("the event holds a number JSON cannot carry (infinite or NaN)")
    return value
