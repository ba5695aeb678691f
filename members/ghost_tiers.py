"""Which of our tiers each Ghost tier stands for. Ghost names its tiers freely (its free tier is "Free" by default, and
sites rename it, e.g. "Member"; its paid tiers need not match ours), so staff choose in the import preview, one
choice per tier name found in the file: one of our tiers, or a free account with no membership.

A mapping is {Ghost tier name: our tier's id, or FREE_ACCOUNT}; a name left out is not chosen yet. It is stored with
the import (MemberImport.counts["tier_mapping"], beside the counts it produced), so apply and the provider sync use
exactly the choice the preview showed, and the next import starts from it.

What a member is in Ghost (ghost_standing) decides what the mapping does: a free member becomes a free account
whatever tier name they carry, and a member whose only tiers map to a free account is a free member; a member the
file calls complimentary, gifted or paid needs a tier here, so their tier must map to one of ours (a mapping never
takes away access the file states)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.text import slugify

from members.ghost_csv import GhostRow
from members.models import MemberImport, Tier

FREE_ACCOUNT = "free"
# The free tier of a Ghost site under the names it is found with: Ghost's fixture ("Free") and the usual renaming.
GHOST_FREE_TIER_NAMES = frozenset({"free", "member", "members", "free member", "free members", "free tier"})
REMEMBERED_IMPORTS = 20

Mapping = dict[str, "int | str"]


def ghost_standing(row: GhostRow, mapping: Mapping) -> str:
    """What the member is in Ghost: comped, paid, gift or free. Where the file says it (complimentary_plan, a status
    column, a gift id) that stands, and a tier mapped to a free account cannot take that access away. Ghost's own
    export has no status column: there a member is paid when they have a Stripe customer and a tier that is not
    mapped to a free account (Ghost keeps the customer of a member who stopped paying, and lists its free tier on
    free members), and free otherwise."""
    if row.complimentary or row.status == "comped":
        return "comped"
    if row.status in ("free", "paid"):
        return row.status
    if row.stripe_customer_id and any(mapping.get(name) != FREE_ACCOUNT for name in row.tiers):
        return "paid"
    if row.gift_id and row.tiers:
        return "gift"
    return "free"


def tier_names_in(rows: Iterable[GhostRow]) -> list[str]:
    """Every distinct Ghost tier name in the file, in the order the file first names them."""
    return list(dict.fromkeys(name for row in rows for name in row.tiers))


def remembered_mapping() -> Mapping:
    """The choices of the latest applied imports, newest first, so a re-import maps as the first one did."""
    remembered: Mapping = {}
    recent = (
        MemberImport.objects.filter(status=MemberImport.Status.APPLIED)
        .order_by("-applied_at", "-id")
        .values_list("counts", flat=True)[:REMEMBERED_IMPORTS]
    )
    for counts in recent:
        for name, choice in (counts or {}).get("tier_mapping", {}).items():
            remembered.setdefault(name, choice)
    return remembered


def default_mapping(names: list[str], *, tiers: list[Tier], remembered: Mapping) -> Mapping:
    """Staff's earlier choice for a name; else our tier of that name or slug; else Ghost's free tier -> a free
    account. A name matching none of these stays unchosen."""
    ours: dict[str, Tier] = {}
    for tier in tiers:
        ours.setdefault(tier.slug.lower(), tier)
        ours[tier.name.lower()] = tier
    known_ids = {tier.pk for tier in tiers}
    mapping: Mapping = {}
    for name in names:
        earlier = remembered.get(name)
        named = ours.get(name.lower()) or ours.get(slugify(name))
        if earlier == FREE_ACCOUNT or earlier in known_ids:
            mapping[name] = earlier
        elif named is not None:
            mapping[name] = named.pk
        elif name.lower() in GHOST_FREE_TIER_NAMES or slugify(name) == "free":
            mapping[name] = FREE_ACCOUNT
    return mapping


def clean_mapping(choices: dict[str, str], *, names: list[str], tiers: list[Tier]) -> Mapping:
    """Form values (tier id as text, FREE_ACCOUNT or "") as a mapping; anything else is left unchosen."""
    known = {str(tier.pk): tier.pk for tier in tiers}
    mapping: Mapping = {}
    for name in names:
        value = (choices.get(name) or "").strip()
        if value == FREE_ACCOUNT:
            mapping[name] = FREE_ACCOUNT
        elif value in known:
            mapping[name] = known[value]
    return mapping


@dataclass
class Resolved:
    """A row's Ghost tier names read through the mapping."""

    tier: Tier | None = None  # the first name mapped to one of our tiers
    free: list[str] = field(default_factory=list)  # names mapped to a free account
    unchosen: list[str] = field(default_factory=list)  # names nobody chose for yet (or whose tier is gone)


def resolve(names: list[str], mapping: Mapping, tiers_by_id: dict[int, Tier]) -> Resolved:
    resolved = Resolved()
    for name in names:
        choice = mapping.get(name)
        if choice == FREE_ACCOUNT:
            resolved.free.append(name)
        elif choice in tiers_by_id:
            resolved.tier = resolved.tier or tiers_by_id[choice]
        else:
            resolved.unchosen.append(name)
    return resolved


def mapping_of(member_import: MemberImport | None) -> Mapping:
    return dict((member_import.counts or {}).get("tier_mapping", {})) if member_import is not None else {}


def describe(mapping: Mapping, tiers_by_id: dict[int, Tier]) -> str:
    """'Member → free account, Premium → Insider' (for the admin history)."""
    parts = []
    for name, choice in mapping.items():
        if choice == FREE_ACCOUNT:
            target = "free account"
        else:
            tier = tiers_by_id.get(choice) if isinstance(choice, int) else None  # any other text is no tier's id
            target = str(tier) if tier is not None else "a removed tier"
        parts.append(f"{name} → {target}")
    return ", ".join(parts) or "no Ghost tiers"


def quoted(names: list[str]) -> str:
    return ", ".join(f"{name!r}" for name in names)
