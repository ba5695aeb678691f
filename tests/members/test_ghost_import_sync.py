"""After a Ghost import: the provider's subscriptions decide an imported member's access (Stripe through the
recording HTTP client and Stripe's example objects; the sandbox through its own rows), replacing the provisional
access the import gave, and later renewals of those subscriptions arrive as ours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from members import ghost_sync
from members.ghost_import import PROVISIONAL_DAYS, apply_import, preview_import
from members.lifecycle import lapse_ended_memberships
from members.models import GhostMember, MemberEvent, Membership
from members.services import Audience, reader_standing
from outlet.common.models import SentEmail
from outlet.payments.models import Payment, SandboxObject
from tests.members.ghost_exports.helpers import ghost_subscription, subscriptions_of
from tests.payments import stripe_objects as so

pytestmark = pytest.mark.django_db(transaction=True)
User = get_user_model()
HEADER = (
    "id,email,name,note,subscribed_to_emails,complimentary_plan,stripe_customer_id,created_at,deleted_at,labels,tiers"
)
PERIOD_END = datetime.fromtimestamp(so.DEFAULT_PERIOD_END, tz=UTC)


def import_rows(staff, *rows: str, provider_id: str = "stripe"):
    data = ("\r\n".join([HEADER, *rows]) + "\r\n").encode()
    member_import = preview_import(filename="ghost.csv", data=data, staff_user=staff, provider_id=provider_id)
    return apply_import(import_id=member_import.pk, staff_user=staff, provider_id=provider_id)


PAID_ROW = "g1,paid@example.org,Paid Reader,,true,,cus_g1,2022-01-01T00:00:00.000Z,,,Supporter"


def test_a_member_who_cancelled_in_ghost_keeps_the_time_they_paid_for(priced_tiers, importer, stripe_http):
    stripe_http.respond(
        subscriptions_of(ghost_subscription(sub_id="sub_g1", customer="cus_g1", cancel_at_period_end=True))
    )
    import_rows(importer, PAID_ROW)

    membership = Membership.objects.get(user__email="paid@example.org")
    assert (membership.status, membership.current_period_end, membership.cancel_at_period_end) == (
        "cancelled",
        PERIOD_END,
        True,
    )
    assert (membership.interval, membership.amount_minor, membership.currency) == ("month", 1500, "GEL")
    assert not membership.awaiting_provider_sync
    ghost = GhostMember.objects.get(ghost_id="g1")
    assert ghost.sync_status == "synced" and "Following stripe subscription sub_g1" in ghost.sync_note
    assert MemberEvent.objects.filter(membership=membership, kind="imported", summary__contains="sub_g1").count() == 1


def test_without_a_live_paid_subscription_the_provisional_access_ends(priced_tiers, importer, stripe_http):
    stripe_http.respond(
        subscriptions_of(
            ghost_subscription(
                sub_id="sub_old", customer="cus_g1", status="canceled", period_end=so.DEFAULT_PERIOD_END - 800 * so.DAY
            )
        )
    )
    import_rows(importer, PAID_ROW)

    user = User.objects.get(email="paid@example.org")
    membership = Membership.objects.get(user=user)
    assert (membership.status, membership.awaiting_provider_sync) == ("lapsed", False)
    assert reader_standing(user=user).audience is Audience.LAPSED
    assert "No live paid subscription" in user.ghost_member.sync_note


def test_a_comp_subscription_of_zero_is_no_paid_time_and_a_real_one_wins_over_a_comp(
    priced_tiers, importer, stripe_http
):
    stripe_http.respond(subscriptions_of(ghost_subscription(sub_id="sub_comp", customer="cus_c1", amount=0)))
    stripe_http.respond(subscriptions_of(ghost_subscription(sub_id="sub_real", customer="cus_c2", amount=3000)))
    import_rows(
        importer,
        "c1,comp-zero@example.org,Comp Zero,,true,true,cus_c1,2020-01-01T00:00:00.000Z,,,Insider",
        "c2,comp-paying@example.org,Comp Paying,,true,true,cus_c2,2020-01-01T00:00:00.000Z,,,Insider",
    )

    zero = Membership.objects.get(user__email="comp-zero@example.org")
    assert (zero.source, zero.tier.name, zero.provider_subscription_id) == ("comp", "Insider", "")
    paying = Membership.objects.get(user__email="comp-paying@example.org")
    assert (paying.source, paying.status, paying.provider_subscription_id, paying.amount_minor) == (
        "paid",
        "active",
        "sub_real",
        3000,
    )


def test_a_customer_stripe_does_not_know_leaves_provisional_access_and_a_failed_sync_for_staff(
    priced_tiers, importer, stripe_http
):
    stripe_http.respond_error(400, code="resource_missing", param="customer", message="No such customer: 'cus_g1'")
    import_rows(importer, PAID_ROW)

    membership = Membership.objects.get(user__email="paid@example.org")
    assert membership.awaiting_provider_sync and membership.status == "active"
    ghost = GhostMember.objects.get(ghost_id="g1")
    assert ghost.sync_status == "failed" and "right Stripe account" in ghost.sync_note
    assert ghost_sync.requeue_pending_syncs() == 0  # not asked again on its own: staff must look


def test_after_an_outage_the_sweep_asks_again_and_the_provider_decides(priced_tiers, importer, stripe_http):
    stripe_http.fail_connection()
    import_rows(importer, PAID_ROW)
    ghost = GhostMember.objects.get(ghost_id="g1")
    assert ghost.sync_status == "pending"
    assert ghost_sync.requeue_pending_syncs() == 0  # asked a moment ago: the task's own retries come first

    stripe_http.respond(subscriptions_of(ghost_subscription(sub_id="sub_g1", customer="cus_g1")))
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        assert ghost_sync.requeue_pending_syncs() == 1

    membership = Membership.objects.get(user__email="paid@example.org")
    assert (membership.provider_subscription_id, membership.awaiting_provider_sync) == ("sub_g1", False)
    ghost.refresh_from_db()
    assert (ghost.sync_status, ghost.sync_attempts) == ("synced", 2)


def test_a_later_renewal_of_the_ghost_subscription_is_processed_as_ours(priced_tiers, importer, stripe_http, settings):
    stripe_http.respond(subscriptions_of(ghost_subscription(sub_id="sub_g1", customer="cus_g1")))
    import_rows(importer, PAID_ROW)
    next_end = so.DEFAULT_PERIOD_END + 31 * so.DAY
    renewal = so.invoice_paid_payload(
        invoice_id="in_ghost_renewal",
        customer="cus_g1",
        subscription_id="sub_g1",
        metadata={"ghost_member": "imported"},
        period_end=next_end,
        customer_email="paid@example.org",
        billing_reason="subscription_cycle",
        created=int(timezone.now().timestamp()),
    )

    response = so.post_stripe_event(Client(), so.stripe_event("invoice.paid", renewal), settings.STRIPE_WEBHOOK_SECRET)

    assert response.status_code == 200
    membership = Membership.objects.get(user__email="paid@example.org")
    assert membership.current_period_end == datetime.fromtimestamp(next_end, tz=UTC)
    assert Payment.objects.get(provider_ref="in_ghost_renewal").user == membership.user


def test_the_sandbox_plays_stripe_for_an_imported_customer(priced_tiers, importer):
    SandboxObject.objects.create(
        object_id="sbx_cus_ghost",
        kind="customer",
        data={"id": "sbx_cus_ghost", "email": "paid@example.org", "card": "4242", "metadata": {}},
    )
    SandboxObject.objects.create(
        object_id="sbx_sub_ghost",
        kind="subscription",
        data={
            "id": "sbx_sub_ghost",
            "customer": "sbx_cus_ghost",
            "status": "active",
            "cancel_at_period_end": False,
            "metadata": {},
            "ended_at": None,
            "price": {
                "lookup_key": "ghost",
                "product_name": "Ghost Insider",
                "interval": "year",
                "currency": "USD",
                "amount": 12000,
            },
            "current_period_start": so.DEFAULT_PERIOD_END - 365 * so.DAY,
            "current_period_end": so.DEFAULT_PERIOD_END,
        },
    )
    import_rows(
        importer,
        "s1,paid@example.org,Sandbox Reader,,true,,sbx_cus_ghost,2022-01-01T00:00:00.000Z,,,Insider",
        provider_id="sandbox",
    )

    membership = Membership.objects.get(user__email="paid@example.org")
    assert (membership.provider, membership.provider_subscription_id, membership.tier.name) == (
        "sandbox",
        "sbx_sub_ghost",
        "Insider",
    )
    assert (membership.interval, membership.amount_minor, membership.currency, membership.current_period_end) == (
        "year",
        12000,
        "USD",
        PERIOD_END,
    )
    assert not membership.awaiting_provider_sync


def test_provisional_access_is_bounded_and_a_late_answer_still_restores_it(priced_tiers, importer, stripe_http):
    stripe_http.fail_connection()
    import_rows(importer, PAID_ROW)
    user = User.objects.get(email="paid@example.org")
    later = timezone.now() + timedelta(days=PROVISIONAL_DAYS + 3)

    with time_machine.travel(later):
        assert lapse_ended_memberships() == 1
        assert reader_standing(user=user).audience is Audience.LAPSED
        assert not SentEmail.objects.filter(
            to="paid@example.org"
        ).exists()  # no "your membership ended": they may be paying
        assert Membership.objects.get(user=user).awaiting_provider_sync  # still on the staff list

        stripe_http.respond(
            subscriptions_of(
                ghost_subscription(
                    sub_id="sub_g1", customer="cus_g1", period_end=int((later + timedelta(days=20)).timestamp())
                )
            )
        )
        assert ghost_sync.requeue_pending_syncs() == 1
        membership = Membership.objects.get(user=user)
        assert (membership.status, membership.provider_subscription_id, membership.awaiting_provider_sync) == (
            "active",
            "sub_g1",
            False,
        )
        assert reader_standing(user=user).is_member


def test_a_membership_the_sync_creates_starts_when_the_member_joined_ghost(priced_tiers, importer, stripe_http):
    """Ghost names no tier (status says paid), so the import only links the customer; Stripe's subscription is on one
    of our prices, and the membership it brings is dated from the member's Ghost signup, not from the sync."""
    stripe_http.respond(
        subscriptions_of(
            ghost_subscription(sub_id="sub_g1", customer="cus_g1", lookup_key="outlet:supporter:month:gel:1500")
        )
    )
    data = (
        HEADER + ",status\r\ng1,paid@example.org,Paid Reader,,true,,cus_g1,2019-05-05T05:05:05.000Z,,,,paid\r\n"
    ).encode()
    member_import = preview_import(filename="ghost.csv", data=data, staff_user=importer)
    assert member_import.preview_rows[0]["actions"] == ["create", "link"]
    apply_import(import_id=member_import.pk, staff_user=importer)

    membership = Membership.objects.get(user__email="paid@example.org")
    assert (membership.tier.name, membership.provider_subscription_id) == ("Supporter", "sub_g1")
    assert membership.started_at == datetime(2019, 5, 5, 5, 5, 5, tzinfo=UTC)
    ghost = GhostMember.objects.get(ghost_id="g1")
    assert "paid until" in ghost.sync_note
