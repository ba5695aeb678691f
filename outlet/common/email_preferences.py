"""Which emails a person wants besides the ones about their account and money, and the links that change it.

Receipts, security codes and payment problems always go out. Newsletters, fundraising appeals and membership news
go only to someone who said yes (or, for a paying member's own newsletters, who has not said no), never to an
address the sender reported as bouncing or complaining, and each carries a one-click unsubscribe (RFC 8058) that
works without a password or a cookie: the signed address in the link is the authority.

Parts above this one add the topics they send (each newsletter, with its default for that reader) through
`register_topics`, so these pages list them without this module knowing what a newsletter is."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from outlet.common.models import EmailConsent, SuppressedAddress

FUNDRAISING = "fundraising"
MEMBERSHIP_NEWS = "membership_news"
_UNSUBSCRIBE_SALT = "outlet.email.unsubscribe"
_PREFERENCES_SALT = "outlet.email.preferences"


@dataclass(frozen=True)
class Topic:
    """One kind of optional email as a reader is offered it: `default` is what applies until they say."""

    key: str
    label: str | Promise
    description: str | Promise
    default: bool = False


TopicSource = Callable[[str], list[Topic]]
_sources: list[TopicSource] = []


def register_topics(source: TopicSource) -> None:
    """Called from an AppConfig.ready(): `source(address)` names the topics offered to that address."""
    if source not in _sources:
        _sources.append(source)


def _own_topics(address: str) -> list[Topic]:
    return [
        Topic(
            FUNDRAISING,
            _("Fundraising appeals"),
            _("When the fundraiser needs help: a few emails a year, never more than one a week."),
        ),
        Topic(
            MEMBERSHIP_NEWS,
            _("Membership news"),
            _("New member benefits, events and changes to membership."),
        ),
    ]


def normalise(address: str) -> str:
    return (address or "").strip().lower()


def topics_for(address: str) -> list[Topic]:
    """Every topic offered to this address: the newsletters first (they are what most readers came for)."""
    address = normalise(address)
    offered: list[Topic] = []
    for source in _sources:
        offered.extend(source(address))
    return offered + _own_topics(address)


def topic_label(address: str, topic: str) -> str | Promise:
    for offered in topics_for(address):
        if offered.key == topic:
            return offered.label
    return _("these emails")


def choices_for(address: str) -> dict[str, bool]:
    """What this address said to each topic; topics it never answered are absent."""
    rows = EmailConsent.objects.filter(address=normalise(address)).values_list("topic", "subscribed")
    return dict(rows)


def wants(*, address: str, topic: str, default: bool = False) -> bool:
    said = EmailConsent.objects.filter(address=normalise(address), topic=topic).values_list("subscribed", flat=True)
    for subscribed in said:
        return subscribed
    return default


def may_send(*, address: str, topic: str, default: bool = False) -> bool:
    """Whether an optional email on this topic may go to this address now."""
    return not is_suppressed(address) and wants(address=address, topic=topic, default=default)


def set_choice(*, address: str, topic: str, subscribed: bool, source: str) -> bool:
    """Record a yes or no; saying the same thing twice changes nothing (returns whether anything changed)."""
    address = normalise(address)
    with transaction.atomic():
        consent = EmailConsent.objects.select_for_update().filter(address=address, topic=topic).first()
        if consent is None:
            EmailConsent.objects.create(address=address, topic=topic, subscribed=subscribed, source=source)
            return True
        if consent.subscribed == subscribed:
            return False
        consent.subscribed, consent.source, consent.changed_at = subscribed, source, timezone.now()
        consent.save(update_fields=["subscribed", "source", "changed_at"])
        return True


def is_suppressed(address: str) -> bool:
    return SuppressedAddress.objects.filter(address=normalise(address)).exists()


def suppress(*, address: str, reason: str, detail: str = "", source: str = "") -> bool:
    """Stop optional email to an address the sender reports as undeliverable; a second report changes nothing."""
    _row, created = SuppressedAddress.objects.get_or_create(
        address=normalise(address), defaults={"reason": reason, "detail": detail[:300], "source": source[:40]}
    )
    return created


def lift_suppression(address: str) -> bool:
    return SuppressedAddress.objects.filter(address=normalise(address)).delete()[0] > 0


def forget_address(address: str) -> None:
    """An erased person leaves no address behind in consents or suppressions."""
    address = normalise(address)
    EmailConsent.objects.filter(address=address).delete()
    SuppressedAddress.objects.filter(address=address).delete()


# --- Links: signed, so they need no sign-in; they do not expire (an old newsletter's unsubscribe must work) ---


def unsubscribe_token(*, address: str, topic: str) -> str:
    return signing.dumps({"a": normalise(address), "t": topic}, salt=_UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[str, str] | None:
    try:
        value = signing.loads(token, salt=_UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("a"), str) or not isinstance(value.get("t"), str):
        return None
    return value["a"], value["t"]


def preferences_token(address: str) -> str:
    return signing.dumps(normalise(address), salt=_PREFERENCES_SALT, compress=True)


def read_preferences_token(token: str) -> str | None:
    try:
        value = signing.loads(token, salt=_PREFERENCES_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, str) and "@" in value else None


def unsubscribe_url(*, address: str, topic: str) -> str:
    """In the active language (emails are written under their reader's language)."""
    path = reverse("email_unsubscribe", args=[unsubscribe_token(address=address, topic=topic)])
    return settings.SITE_URL.rstrip("/") + path


def preferences_url(address: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("email_preferences_link", args=[preferences_token(address)])


def list_unsubscribe_headers(*, address: str, topic: str) -> dict[str, str]:
    """RFC 2369 + RFC 8058: mail clients show an Unsubscribe button that POSTs to the link with no cookie."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(address=address, topic=topic)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
