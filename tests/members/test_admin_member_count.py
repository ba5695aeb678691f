"""The member list's count: the whole list's comes from a cache kept under the members' figures version
(members.stats.membership_count), so it must change the moment a membership is added or removed, however that is
written; a filtered list is counted as before."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client

from members.models import Membership
from tests.factories import MembershipFactory, UserFactory

LIST = "/admin/members/membership/"


@pytest.fixture
def client(db):
    cache.clear()
    client = Client()
    client.force_login(UserFactory(username="anna", email="anna@example.org", is_staff=True, is_superuser=True))
    return client


def shown_count(client, query: str = "") -> int:
    html = client.get(LIST + query).content.decode()
    paginator = html.split('class="paginator"', 1)[1].split("</p>", 1)[0]
    return int(re.search(r"(\d[\d,]*) membership", paginator).group(1).replace(",", ""))


def test_the_whole_list_count_follows_every_change(client):
    MembershipFactory.create_batch(3)
    assert shown_count(client) == 3
    assert shown_count(client, "?o=2") == 3  # another order, the same rows
    MembershipFactory()
    assert shown_count(client) == 4
    Membership.objects.filter(pk=Membership.objects.order_by("pk").first().pk).delete()
    assert shown_count(client) == 3
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # past every service and signal
            cursor.execute("DELETE FROM members_membership WHERE id = (SELECT max(id) FROM members_membership)")
        assert shown_count(client) == 2


def test_a_filtered_list_is_counted_as_it_filters(client):
    MembershipFactory.create_batch(2, status=Membership.Status.ACTIVE)
    MembershipFactory(status=Membership.Status.PAST_DUE)
    assert shown_count(client) == 3
    assert shown_count(client, "?status__exact=past_due") == 1
    Membership.objects.filter(status=Membership.Status.ACTIVE).update(status=Membership.Status.PAST_DUE)
    assert shown_count(client, "?status__exact=past_due") == 3
    assert shown_count(client) == 3


def test_the_timeline_list_count_follows_every_change(client):
    from members.models import MemberEvent

    def events_shown(query: str = "") -> int:
        html = client.get("/admin/members/memberevent/" + query).content.decode()
        paginator = html.split('class="paginator"', 1)[1].split("</p>", 1)[0]
        return int(re.search(r"(\d[\d,]*) member event", paginator).group(1).replace(",", ""))

    membership = MembershipFactory()
    before = MemberEvent.objects.count()
    assert events_shown() == before
    for kind in ("joined", "renewed"):
        MemberEvent.objects.create(user=membership.user, membership=membership, kind=kind, summary=kind)
    assert events_shown() == before + 2
    assert events_shown("?kind__exact=renewed") == MemberEvent.objects.filter(kind="renewed").count()
    MemberEvent.objects.filter(kind="joined").delete()
    assert events_shown() == MemberEvent.objects.count()
