"""One idempotency-key scheme for every call about a subscription at the provider (a membership, a monthly gift),
derived from the state the provider last reported: a retried request is the same request, a later one a new one,
and a member's request and staff's same request from the same state are one request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from donations import recurring
from donations.models import RecurringDonation
from members import services as members
from members import staff as member_staff
from members.models import Membership
from outlet.payments.providers.sandbox.provider import SandboxProvider
from tests.donations.conftest import give
from tests.factories import UserFactory
from tests.members.sandbox_journey import join_and_pay

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def asked(monkeypatch) -> list[tuple[str, str]]:
    """Every renewal or price call the sandbox receives, as (call, idempotency key), without acting on it (as if the
    provider's answer and event had not come back yet)."""
    calls: list[tuple[str, str]] = []
    for call in ("set_cancel_at_period_end", "change_subscription_price", "cancel_subscription_now"):
        monkeypatch.setattr(
            SandboxProvider, call, lambda self, _call=call, **kw: calls.append((_call, kw["idempotency_key"]))
        )
    return calls


@pytest.fixture
def member(priced_tiers):
    reader = UserFactory(email="member@example.org")
    client = Client()
    client.force_login(reader)
    join_and_pay(client)
    return reader


def test_a_reader_and_staff_stopping_renewal_from_one_state_send_one_request(member, asked):
    staff_user = UserFactory(is_staff=True)
    members.set_membership_renewal(user=member, renew=False)
    members.set_membership_renewal(user=member, renew=False)  # a double click before the provider answered
    member_staff.set_renewal_by_staff(membership_id=member.membership.pk, renew=False, staff_user=staff_user)
    keys = {key for _, key in asked}
    assert len(asked) == 3 and len(keys) == 1
    assert keys.pop().startswith(f"membership-{member.membership.pk}-renew-0-")


def test_the_same_request_after_the_provider_reported_a_new_state_is_a_new_request(member, asked):
    members.set_membership_renewal(user=member, renew=False)
    membership = Membership.objects.get(user=member)
    membership.note_state_applied(membership.provider_state_at + timedelta(seconds=5), 0)
    membership.save()
    members.set_membership_renewal(user=member, renew=False)
    assert [call for call, _ in asked] == ["set_cancel_at_period_end"] * 2
    assert asked[0][1] != asked[1][1]


def test_cancelling_now_and_stopping_renewal_are_different_requests(member, asked):
    staff_user = UserFactory(is_staff=True)
    member_staff.cancel_membership_now(membership_id=member.membership.pk, staff_user=staff_user)
    member_staff.cancel_membership_now(membership_id=member.membership.pk, staff_user=staff_user)
    members.set_membership_renewal(user=member, renew=False)
    assert [key for _, key in asked][0] == [key for _, key in asked][1] != asked[2][1]


def test_monthly_gifts_use_the_same_scheme(campaign, asked):
    reader = UserFactory(email="monthly@example.org")
    give(campaign, email=reader.email, gift_minor=2000, interval="month", user_id=reader.pk)
    gift = RecurringDonation.objects.get()
    recurring.set_monthly_renewal(gift=gift, renew=False)
    recurring.change_monthly_amount(gift=gift, gift_minor=3000)
    state = f"{int(gift.provider_state_at.timestamp() * 1000)}.{gift.provider_state_rank}"
    assert [key for _, key in asked] == [
        f"donation-recurring-{gift.pk}-renew-0-{state}",
        f"donation-recurring-{gift.pk}-amount-3000-{state}",
    ]


def test_an_older_report_than_the_state_applied_is_known_to_be_stale():
    applied = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)
    subscription = Membership(provider_state_at=applied, provider_state_rank=2)
    assert subscription.knows_newer_state_than(applied - timedelta(seconds=1), 5)
    assert subscription.knows_newer_state_than(applied, 1)
    assert not subscription.knows_newer_state_than(applied, 2)
    assert not subscription.knows_newer_state_than(applied + timedelta(seconds=1), 0)
    assert not Membership().knows_newer_state_than(applied, 0)  # nothing applied yet: every report is news
