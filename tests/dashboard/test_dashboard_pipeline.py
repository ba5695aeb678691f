"""The dashboard's membership figures from members made the real way: readers join and cancel through the sandbox
provider (same intake, task and handlers as Stripe) and staff cancel one at once, so the event kinds the dashboard
counts are the ones the pipeline actually writes."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from members.models import Membership
from members.staff import cancel_membership_now
from members.stats import member_movement_by_month, members_by_tier, membership_recurring_revenue
from tests.factories import UserFactory
from tests.members import sandbox_journey as journey

pytestmark = pytest.mark.django_db(transaction=True)


def reader(name: str) -> Client:
    client = Client()
    client.force_login(UserFactory(username=name, email=f"{name}@example.org"))
    return client


@time_machine.travel(datetime(2026, 6, 15, 12, 0, tzinfo=ZoneInfo("Asia/Tbilisi")))  # mid-month: all in one month
def test_joins_cancellations_and_a_cancel_now_through_the_provider(priced_tiers):
    journey.join_and_pay(reader("ana"), tier="supporter", interval="month", currency="GEL")  # renews: 15.00 GEL a month
    journey.join_and_pay(
        reader("beka"), tier="insider", interval="year", currency="USD"
    )  # renews: 120.00 / 12 = 10.00 USD
    cancelling = reader("cira")
    journey.join_and_pay(cancelling, tier="supporter", interval="month", currency="GEL")
    cancelling.post("/accounts/membership/cancel/")  # ends at period end: access, no MRR, one cancellation
    journey.join_and_pay(reader("dato"), tier="insider", interval="month", currency="GEL")
    staff = UserFactory(username="manager", is_staff=True)
    cancel_membership_now(
        membership_id=Membership.objects.get(user__username="dato").pk, staff_user=staff
    )  # cancelled and lapsed

    assert Membership.objects.get(user__username="dato").status == Membership.Status.LAPSED
    now = timezone.now()
    this_month = member_movement_by_month(now=now)[-1]
    assert (this_month.new, this_month.cancelled, this_month.lapsed) == (4, 2, 1)
    revenue, plan_unknown = membership_recurring_revenue()
    assert [(r.currency, r.monthly_minor, r.members) for r in revenue] == [("GEL", 1500, 1), ("USD", 1000, 1)]
    assert plan_unknown == 0
    assert [(t.name, t.paid, t.comp) for t in members_by_tier(now=now)] == [("Supporter", 2, 0), ("Insider", 1, 0)]
