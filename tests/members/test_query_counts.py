"""Pin the SQL the membership pages cost, so an N+1 over tiers, payments or the timeline fails a test."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import UserFactory
from tests.members import sandbox_journey as journey

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def long_time_member(priced_tiers):
    """A member with a dozen renewals: a long payment list and a long timeline."""
    client = Client()
    client.force_login(UserFactory(username="veteran", email="veteran@example.org"))
    journey.join_and_pay(client)
    portal_url = journey.portal(client)
    for _ in range(12):
        client.post(portal_url, {"action": "renew", "subscription": journey.subscription_id()})
    return client


def test_the_membership_page_costs_the_same_for_any_number_of_tiers(priced_tiers, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):  # the currencies offered, the prices with their tiers, the banner prompts
        assert Client().get("/membership/?currency=USD&interval=year").status_code == 200


def test_the_account_page_costs_the_same_for_any_number_of_payments(long_time_member, django_assert_max_num_queries):
    # session, user, membership+tier, a pending change, payments, their receipts (one prefetch), the years with a
    # statement, the offers for changing plan, the header's standing, timeline
    with django_assert_max_num_queries(10):
        html = long_time_member.get("/accounts/membership/").content.decode()
    assert html.count("Payment of GEL") >= 12
