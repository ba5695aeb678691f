"""Who may read what. Every article view asks `decide_access` and renders exactly what it returns."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from members.services import ReaderStanding
from outlet.publishing.meter import Meter
from outlet.publishing.models import Article


class Gate(enum.StrEnum):
    """Why the reader got the full text, or why they got a teaser."""

    OPEN = "open"  # public article
    MEMBER = "member"  # membership (or tier) grants it
    STAFF = "staff"  # newsroom staff read everything
    METER_FREE = "meter_free"  # a metered article within the free allowance
    METER_EXHAUSTED = "meter_exhausted"  # allowance used up: teaser + join prompt
    MEMBERS_ONLY = "members_only"  # teaser + join prompt
    TIER_REQUIRED = "tier_required"  # teaser + join (or upgrade, for members of another tier)


@dataclass(frozen=True)
class AccessDecision:
    full_text: bool
    gate: Gate
    counts_against_meter: bool = False
    # A member whose tier does not include this article is asked to change tier, not to join.
    offer_upgrade: bool = False

    @property
    def variant(self) -> str:
        """Everything about the decision that changes the page, for cache keys."""
        return f"{self.gate}:{int(self.full_text)}:{int(self.offer_upgrade)}"


def decide_access(
    *, article: Article, standing: ReaderStanding, meter: Meter | None, allowed_tier_ids: frozenset[int]
) -> AccessDecision:
    level = article.access
    if level == Article.Access.PUBLIC:
        return AccessDecision(True, Gate.OPEN)
    if standing.is_staff:
        return AccessDecision(True, Gate.STAFF)
    if level == Article.Access.TIERS:
        if standing.is_member and standing.tier_id in allowed_tier_ids:
            return AccessDecision(True, Gate.MEMBER)
        return AccessDecision(False, Gate.TIER_REQUIRED, offer_upgrade=standing.is_member)
    if standing.is_member:
        return AccessDecision(True, Gate.MEMBER)
    if level == Article.Access.MEMBERS:
        return AccessDecision(False, Gate.MEMBERS_ONLY)
    # Metered.
    if meter.can_read(article.pk):  # type: ignore[union-attr]  # a metered story's caller loads the reader's meter
        return AccessDecision(True, Gate.METER_FREE, counts_against_meter=True)
    return AccessDecision(False, Gate.METER_EXHAUSTED)
