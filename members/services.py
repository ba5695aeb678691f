"""Membership rules that other apps ask about (the publishing side asks: is this reader a member?)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from members.models import Membership


class Audience(enum.StrEnum):
    """Who a reader is, as far as access and prompts care."""

    ANONYMOUS = "anonymous"
    FREE = "free"  # signed in, never been a member (a "free member")
    LAPSED = "lapsed"  # was a member, access has ended
    MEMBER = "member"  # access now: paid, past due within grace, cancelled until period end, or comped


@dataclass(frozen=True)
class ReaderStanding:
    audience: Audience
    tier_id: int | None = None
    is_staff: bool = False

    @property
    def is_member(self) -> bool:
        return self.audience is Audience.MEMBER


ANONYMOUS_STANDING = ReaderStanding(Audience.ANONYMOUS)


def membership_grants_access(membership: Membership, *, now: datetime) -> bool:
    if membership.status == Membership.Status.LAPSED:
        return False
    return membership.current_period_end is None or membership.current_period_end > now


def reader_standing(*, user, now: datetime | None = None) -> ReaderStanding:
    """One query for a signed-in reader; none for an anonymous one."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS_STANDING
    now = now or timezone.now()
    membership = Membership.objects.filter(user_id=user.pk).only("tier_id", "status", "current_period_end").first()
    if membership is None:
        return ReaderStanding(Audience.FREE, is_staff=user.is_staff)
    if membership_grants_access(membership, now=now):
        return ReaderStanding(Audience.MEMBER, tier_id=membership.tier_id, is_staff=user.is_staff)
    return ReaderStanding(Audience.LAPSED, is_staff=user.is_staff)


def standing_for_request(request, *, now: datetime | None = None) -> ReaderStanding:
    """The reader's standing, looked up once per request however many views and templates ask."""
    standing = getattr(request, "_reader_standing", None)
    if standing is None:
        standing = reader_standing(user=getattr(request, "user", None), now=now)
        request._reader_standing = standing
    return standing
