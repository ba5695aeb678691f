"""Who gets a newsletter: the addresses its audience allows AND whose owner wants it (`may_send`: their yes, or the
newsletter's default for them when they never said; never a suppressed address).

The rule per address is `_decide`, applied to a batch of addresses with one query per fact (suppressions, consents,
membership, gifts), never per address. Candidates come in keyset-paged batches from at most two sources, so no
send holds its audience in memory:

- everyone who said yes to the newsletter's topic (the sign-ups; also members and donors who ticked it), and
- when the newsletter is opt-out for some members (a newsletter, not an appeal, with tiers), those members.

Defaults: a paying member of the newsletter's tiers gets it until they say no; everyone else only after a yes.
Appeals and membership news use the site-wide `fundraising` / `membership_news` topics, which the choices page
offers unticked to everyone, so for them nobody is opted in by default (the page and the sending agree)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models.functions import Lower
from django.utils import timezone

from donations import services as donations
from members import services as members
from outlet.common import email_preferences
from outlet.common.models import EmailConsent, SuppressedAddress
from outlet.newsletters.models import Newsletter

BATCH = 2000
READER = "reader"


@dataclass(frozen=True)
class Recipient:
    address: str
    user_id: int | None
    variant: str  # READER, or "member:<tier id>": what the stories' teasers and links say


def member_variant(tier_id: int) -> str:
    return f"member:{tier_id}"


def _tier_ids(newsletter: Newsletter) -> set[int]:
    return set(newsletter.tiers.values_list("pk", flat=True))


def _default_in(newsletter: Newsletter, member: tuple[int, int] | None, tier_ids: set[int]) -> bool:
    if newsletter.category != Newsletter.Category.NEWSLETTER or member is None:
        return False
    if newsletter.audience == Newsletter.Audience.MEMBERS:
        return not tier_ids or member[1] in tier_ids
    if newsletter.audience == Newsletter.Audience.ANYONE:
        return member[1] in tier_ids
    return False


def _audience_allows(newsletter: Newsletter, member: tuple[int, int] | None, tier_ids: set[int], donor: bool) -> bool:
    if newsletter.audience == Newsletter.Audience.MEMBERS:
        return member is not None and (not tier_ids or member[1] in tier_ids)
    if newsletter.audience == Newsletter.Audience.DONORS:
        return donor
    return True


def decide(
    newsletter: Newsletter, addresses: Iterable[str], *, now: datetime | None = None, tier_ids: set[int] | None = None
) -> list[Recipient]:
    """The recipients among these (lower-cased) addresses, in their order; five queries whatever their number."""
    batch = list(dict.fromkeys(email_preferences.normalise(a) for a in addresses if a))
    if not batch:
        return []
    now = now or timezone.now()
    tier_ids = _tier_ids(newsletter) if tier_ids is None else tier_ids
    suppressed = set(SuppressedAddress.objects.filter(address__in=batch).values_list("address", flat=True))
    said = dict(
        EmailConsent.objects.filter(topic=newsletter.topic, address__in=batch).values_list("address", "subscribed")
    )
    standing = members.member_tiers_by_address(addresses=batch, now=now)
    donors = donations.donors_among(batch) if newsletter.audience == Newsletter.Audience.DONORS else set()
    users = dict(
        get_user_model()
        .objects.annotate(address=Lower("email"))
        .filter(address__in=[a for a in batch if a not in standing])
        .values_list("address", "pk")
    )
    chosen = []
    for address in batch:
        member = standing.get(address)
        if address in suppressed or not _audience_allows(newsletter, member, tier_ids, address in donors):
            continue
        if not said.get(address, _default_in(newsletter, member, tier_ids)):
            continue
        if member is not None:
            chosen.append(Recipient(address, member[0], member_variant(member[1])))
        else:
            chosen.append(Recipient(address, users.get(address), READER))
    return chosen


def allows(newsletter: Newsletter, address: str, *, now: datetime | None = None) -> bool:
    return bool(decide(newsletter, [address], now=now))


def _opted_in(newsletter: Newsletter, size: int) -> Iterator[list[str]]:
    last = ""
    while True:
        batch = list(
            EmailConsent.objects.filter(topic=newsletter.topic, subscribed=True, address__gt=last)
            .order_by("address")
            .values_list("address", flat=True)[:size]
        )
        if not batch:
            return
        yield batch
        last = batch[-1]


def _opted_out_members(newsletter: Newsletter, tier_ids: set[int], now: datetime, size: int) -> Iterator[list[str]]:
    """Members the newsletter goes to by default (they are skipped here if they said yes: the first pass had them)."""
    if newsletter.category != Newsletter.Category.NEWSLETTER:
        return
    if newsletter.audience == Newsletter.Audience.ANYONE and not tier_ids:
        return
    if newsletter.audience == Newsletter.Audience.DONORS:
        return
    rows = members.members_with_access(now=now, tier_ids=tier_ids or None).annotate(address=Lower("user__email"))
    last_id = 0
    while True:
        page = list(rows.filter(pk__gt=last_id).order_by("pk").values_list("pk", "address")[:size])
        if not page:
            return
        last_id = page[-1][0]
        addresses = [address for _pk, address in page if address]
        said_yes = set(
            EmailConsent.objects.filter(topic=newsletter.topic, subscribed=True, address__in=addresses).values_list(
                "address", flat=True
            )
        )
        yield [address for address in addresses if address not in said_yes]


def recipient_batches(
    newsletter: Newsletter, *, now: datetime | None = None, size: int = BATCH
) -> Iterator[list[Recipient]]:
    """Every recipient once, a batch at a time (at most `size` candidates in memory)."""
    now = now or timezone.now()
    tier_ids = _tier_ids(newsletter)
    for source in (_opted_in(newsletter, size), _opted_out_members(newsletter, tier_ids, now, size)):
        for candidates in source:
            chosen = decide(newsletter, candidates, now=now, tier_ids=tier_ids)
            if chosen:
                yield chosen


def topics_offered(address: str) -> list[email_preferences.Topic]:
    """For the email choices page: each active newsletter this address's standing allows, with its default."""
    offered = list(
        Newsletter.objects.filter(active=True, category=Newsletter.Category.NEWSLETTER).prefetch_related("tiers")
    )
    if not offered or not address:
        return []
    now = timezone.now()
    member = members.member_tiers_by_address(addresses=[address], now=now).get(address)
    donor = any(n.audience == Newsletter.Audience.DONORS for n in offered) and bool(donations.donors_among([address]))
    topics = []
    for newsletter in offered:
        tier_ids = {tier.pk for tier in newsletter.tiers.all()}
        if not _audience_allows(newsletter, member, tier_ids, donor):
            continue
        topics.append(
            email_preferences.Topic(
                newsletter.topic,
                newsletter.name,
                newsletter.description,
                default=_default_in(newsletter, member, tier_ids),
            )
        )
    return topics
