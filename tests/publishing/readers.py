"""A small cast of readers with different standings, shared by the publishing tests."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from members.models import Membership
from tests.factories import MembershipFactory, TierFactory, UserFactory

READERS = ["anonymous", "free", "lapsed", "expired", "member_a", "member_b", "comped_a", "cancelled_a", "staff"]
MEMBERS_WITH_TIER_A = {"member_a", "comped_a", "cancelled_a"}
MEMBERS = MEMBERS_WITH_TIER_A | {"member_b"}


@pytest.fixture
def tiers(db):
    return {"a": TierFactory(name="Insider", slug="insider"), "b": TierFactory(name="Supporter", slug="supporter")}


@pytest.fixture
def cast(db, tiers):
    """reader name -> a logged-in (or anonymous) test client."""
    now = timezone.now()
    users = {
        "free": UserFactory(username="free"),
        "lapsed": MembershipFactory(
            user=UserFactory(username="lapsed"),
            tier=tiers["a"],
            status=Membership.Status.LAPSED,
            current_period_end=now - timezone.timedelta(days=3),
        ).user,
        # Active on paper, but its period ended beyond the renewal leeway and no renewal came: no access.
        "expired": MembershipFactory(
            user=UserFactory(username="expired"), tier=tiers["a"], current_period_end=now - timezone.timedelta(days=3)
        ).user,
        "member_a": MembershipFactory(user=UserFactory(username="member_a"), tier=tiers["a"]).user,
        "member_b": MembershipFactory(user=UserFactory(username="member_b"), tier=tiers["b"]).user,
        "comped_a": MembershipFactory(
            user=UserFactory(username="comped_a"),
            tier=tiers["a"],
            source=Membership.Source.COMP,
            current_period_end=None,
        ).user,
        "cancelled_a": MembershipFactory(
            user=UserFactory(username="cancelled_a"), tier=tiers["a"], status=Membership.Status.CANCELLED
        ).user,
        "staff": UserFactory(username="staff", is_staff=True),
    }
    clients = {"anonymous": Client()}
    for name, user in users.items():
        client = Client()
        client.force_login(user)
        clients[name] = client
    return clients
