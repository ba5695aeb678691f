"""Staff actions on one member, end to end through the sandbox provider and the webhook intake (tasks run eagerly):
each is confirmed on its own page, checked against its permission, recorded on the timeline with the staff user and
in the admin History, and refused with a reason when it makes no sense."""

from __future__ import annotations

import re
from datetime import timedelta
from unittest import mock

import pytest
from allauth.account.models import EmailAddress
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.utils import timezone

from members.models import MemberEvent, Membership
from members.services import Audience, reader_standing
from outlet.common.local_time import date_text
from outlet.payments.models import Payment, SandboxObject
from outlet.receipts.models import Receipt
from tests.factories import MembershipFactory, TierFactory, UserFactory
from tests.members import sandbox_journey as journey
from tests.members.factories_member_admin import staff_with

pytestmark = pytest.mark.django_db(transaction=True)

MANAGER_PERMS = (
    "members.view_membership",
    "members.comp_membership",
    "members.cancel_membership",
    "members.refund_membership_payment",
    "members.email_member",
)


@pytest.fixture
def manager(db):
    user = staff_with(*MANAGER_PERMS, username="maia")
    client = Client()
    client.force_login(user)
    return user, client


@pytest.fixture
def paying_member(priced_tiers):
    reader = UserFactory(username="nino", email="nino@example.org", first_name="Nino")
    client = Client()
    client.force_login(reader)
    journey.join_and_pay(client)
    return Membership.objects.get(user=reader)


def action_url(membership, action: str) -> str:
    return f"/admin/members/membership/{membership.pk}/do/{action}/"


def member_page(client, membership) -> str:
    return client.get(f"/admin/members/membership/{membership.pk}/change/").content.decode()


def history(membership) -> list[str]:
    return list(
        LogEntry.objects.filter(object_id=str(membership.pk), content_type__model="membership").values_list(
            "change_message", flat=True
        )
    )


def staff_events(membership, staff_user):
    return list(
        MemberEvent.objects.filter(user=membership.user, staff_user=staff_user).values_list("summary", flat=True)
    )


# --- Cancelling through the provider ------------------------------------------------------------------------


def test_cancel_now_asks_the_provider_and_the_membership_ends_when_its_event_comes_back(paying_member, manager):
    staff, client = manager
    confirm = client.get(action_url(paying_member, "cancel-now"))
    assert confirm.status_code == 200
    page = confirm.content.decode()
    assert "What will happen" in page and "no further charges" in page and 'value="Cancel the subscription now"' in page
    assert Membership.objects.get(pk=paying_member.pk).status == "active", "a GET changes nothing"

    done = client.post(action_url(paying_member, "cancel-now"), follow=True)
    assert "Asked the payment provider to cancel" in done.content.decode()
    membership = Membership.objects.get(pk=paying_member.pk)
    assert membership.status == "lapsed" and membership.ended_at is not None
    assert reader_standing(user=membership.user).audience is Audience.LAPSED
    assert SandboxObject.objects.get(object_id=membership.provider_subscription_id).data["status"] == "canceled"
    assert staff_events(membership, staff) == ["Staff asked the payment provider to cancel the subscription now"]
    assert MemberEvent.objects.filter(user=membership.user, kind="lapsed", webhook_event__isnull=False).count() == 1
    assert any("cancel the subscription" in message for message in history(membership))

    timeline = member_page(client, membership)
    assert timeline.index("Membership ended") < timeline.index("Staff asked the payment provider to cancel"), (
        "newest first"
    )
    assert "staff: maia" in timeline

    again = client.post(action_url(paying_member, "cancel-now"), follow=True).content.decode()
    assert "not done" in again and "already ended" in again
    assert len(staff_events(membership, staff)) == 1


@pytest.mark.date_sensitive
def test_cancel_at_period_end_keeps_access_until_then_and_resume_undoes_it(paying_member, manager):
    staff, client = manager
    period_end = paying_member.current_period_end
    assert (
        date_text(period_end, "d F Y") in client.get(action_url(paying_member, "cancel-at-period-end")).content.decode()
    )
    client.post(action_url(paying_member, "cancel-at-period-end"))
    membership = Membership.objects.get(pk=paying_member.pk)
    assert (membership.status, membership.cancel_at_period_end, membership.current_period_end) == (
        "cancelled",
        True,
        period_end,
    )
    assert reader_standing(user=membership.user).is_member
    page = member_page(client, membership)
    assert "/do/resume/" in page and "/do/cancel-at-period-end/" not in page

    refused = client.get(action_url(membership, "cancel-at-period-end")).content.decode()
    assert "already set to end on" in refused and 'value="End at the period end"' not in refused

    client.post(action_url(membership, "resume"))
    membership.refresh_from_db()
    assert (membership.status, membership.cancel_at_period_end) == ("active", False)
    assert (
        SandboxObject.objects.get(object_id=membership.provider_subscription_id).data["cancel_at_period_end"] is False
    )
    assert len(staff_events(membership, staff)) == 2
    kinds = list(
        MemberEvent.objects.filter(user=membership.user, webhook_event__isnull=False).values_list("kind", flat=True)
    )
    assert "cancel_requested" in kinds and "resumed" in kinds
    assert len(history(membership)) == 2


def test_a_comp_cannot_be_cancelled_at_the_provider(priced_tiers, manager):
    _, client = manager
    comp = MembershipFactory(source="comp", current_period_end=None)
    page = client.get(action_url(comp, "cancel-now")).content.decode()
    assert "complimentary membership" in page and 'value="Cancel the subscription now"' not in page
    response = client.post(action_url(comp, "cancel-now"), follow=True)
    assert "not done" in response.content.decode()
    assert Membership.objects.get(pk=comp.pk).status == "active" and not history(comp)


# --- Comps ----------------------------------------------------------------------------------------------------


def test_staff_comp_a_lapsed_member_from_their_page_and_end_it(priced_tiers, manager):
    staff, client = manager
    lapsed = MembershipFactory(
        tier=priced_tiers["supporter"],
        status="lapsed",
        ended_at=timezone.now() - timedelta(days=10),
        current_period_end=timezone.now() - timedelta(days=10),
    )
    until = timezone.localdate() + timedelta(days=60)
    assert "Comp this membership" in member_page(client, lapsed)
    response = client.post(
        action_url(lapsed, "comp"), {"tier": priced_tiers["insider"].pk, "until": until.isoformat()}, follow=True
    )
    assert "now has a complimentary Insider membership until" in response.content.decode()
    membership = Membership.objects.get(pk=lapsed.pk)
    assert (membership.source, membership.status, membership.tier.slug) == ("comp", "active", "insider")
    assert membership.current_period_end.date() == until
    assert reader_standing(user=membership.user).is_member

    assert "End the comp" in member_page(client, membership)
    client.post(action_url(membership, "end-comp"))
    membership.refresh_from_db()
    assert membership.status == "lapsed" and reader_standing(user=membership.user).audience is Audience.LAPSED
    assert MemberEvent.objects.filter(user=membership.user, kind="comp_ended", staff_user=staff).exists()
    assert MemberEvent.objects.filter(user=membership.user, kind="comped", staff_user=staff).exists()
    assert len(history(membership)) == 2


def test_a_comp_with_a_past_end_date_is_refused_with_the_reason(priced_tiers, manager):
    _, client = manager
    lapsed = MembershipFactory(status="lapsed", tier=priced_tiers["supporter"])
    response = client.post(action_url(lapsed, "comp"), {"tier": priced_tiers["supporter"].pk, "until": "2001-01-01"})
    assert response.status_code == 200 and "The end date is in the past" in response.content.decode()
    assert Membership.objects.get(pk=lapsed.pk).status == "lapsed"


# --- Refunds ------------------------------------------------------------------------------------------------


@pytest.mark.date_sensitive
def test_refund_the_last_payment_through_the_provider_and_a_double_post_refunds_once(paying_member, manager):
    staff, client = manager
    payment = Payment.objects.get(user=paying_member.user)
    confirm = client.get(action_url(paying_member, "refund")).content.decode()
    assert "GEL\u00a015" in confirm and date_text(payment.paid_at, "d F Y") in confirm

    first = client.post(action_url(paying_member, "refund"), {"payment_id": payment.pk}, follow=True).content.decode()
    assert "Asked the payment provider to refund" in first
    second = client.post(action_url(paying_member, "refund"), {"payment_id": payment.pk}, follow=True).content.decode()
    assert "not done" in second and "already been refunded in full" in second

    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded_minor) == ("refunded", 1500)
    charge = SandboxObject.objects.get(object_id=payment.provider_ref)
    assert charge.data["amount_refunded"] == 1500 and len(charge.data["refunds"]) == 1
    assert Receipt.objects.get(payment=payment, kind="original").voided_at is not None
    assert len(staff_events(paying_member, staff)) == 1
    assert (
        MemberEvent.objects.filter(user=paying_member.user, kind="refunded", webhook_event__isnull=False).count() == 1
    )
    assert Membership.objects.get(pk=paying_member.pk).status == "active", "a refund alone does not end the membership"


def test_a_double_post_before_the_provider_answers_still_refunds_once(paying_member, manager):
    """With Stripe the refund event arrives later: the second click reaches the provider with the same key."""
    staff, client = manager
    payment = Payment.objects.get(user=paying_member.user)
    # The provider's events wait in the intake, unprocessed.
    with mock.patch("outlet.payments.services.queue_event_processing"):
        client.post(action_url(paying_member, "refund"), {"payment_id": payment.pk})
        client.post(action_url(paying_member, "refund"), {"payment_id": payment.pk})
    charge = SandboxObject.objects.get(object_id=payment.provider_ref)
    assert charge.data["amount_refunded"] == 1500 and len(charge.data["refunds"]) == 1
    assert len(staff_events(paying_member, staff)) == 1


def test_a_member_who_never_paid_has_nothing_to_refund(priced_tiers, manager):
    _, client = manager
    comp = MembershipFactory(source="comp")
    assert "made no membership payment" in client.get(action_url(comp, "refund")).content.decode()
    assert client.post(action_url(comp, "refund"), {"payment_id": 1}).status_code == 302
    assert "/do/refund/" not in member_page(client, comp)


def test_a_payment_of_another_member_cannot_be_refunded_from_this_page(paying_member, manager):
    _, client = manager
    other = MembershipFactory(tier=TierFactory())
    foreign = Payment.objects.create(
        provider="sandbox",
        provider_ref="in_other",
        purpose="membership",
        user=other.user,
        amount_minor=900,
        currency="GEL",
        paid_at=timezone.now(),
    )
    response = client.post(
        action_url(paying_member, "refund"), {"payment_id": foreign.pk}, follow=True
    ).content.decode()
    assert "not one of this member&#x27;s membership payments" in response
    assert Payment.objects.get(pk=foreign.pk).amount_refunded_minor == 0


# --- Emails -------------------------------------------------------------------------------------------------


def test_resend_one_of_the_members_receipts(paying_member, manager, mailoutbox):
    staff, client = manager
    receipt = Receipt.objects.get(payment__user=paying_member.user)
    sent_before = len(mailoutbox)
    page = client.get(action_url(paying_member, "resend-receipt")).content.decode()
    assert receipt.number in page
    done = client.post(
        action_url(paying_member, "resend-receipt"), {"receipt": receipt.pk}, follow=True
    ).content.decode()
    assert f"Receipt {receipt.number} will be emailed again" in done
    assert len(mailoutbox) == sent_before + 1 and mailoutbox[-1].to == ["nino@example.org"]
    assert any(name == f"receipt-{receipt.number}.pdf" for name, *_ in mailoutbox[-1].attachments)
    assert staff_events(paying_member, staff) == [f"Staff resent receipt {receipt.number} to nino@example.org"]
    assert history(paying_member)


def test_a_receipt_of_another_member_is_refused(paying_member, manager, mailoutbox):
    _, client = manager
    response = client.post(action_url(paying_member, "resend-receipt"), {"receipt": 999999})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()


def test_resend_the_verification_email_to_an_unverified_address(priced_tiers, manager, mailoutbox):
    staff, client = manager
    membership = MembershipFactory(user=UserFactory(username="new", email="new@example.org"))
    EmailAddress.objects.create(user=membership.user, email="new@example.org", verified=False, primary=True)
    assert "Resend verification email" in member_page(client, membership)
    done = client.post(action_url(membership, "resend-verification"), follow=True).content.decode()
    assert "asking them to confirm the address" in done
    message = mailoutbox[-1]
    assert message.to == ["new@example.org"] and "confirm" in message.subject.lower()
    assert "http://testserver/accounts/login/" in message.body
    assert staff_events(membership, staff) == ["Staff sent a reminder to confirm the address new@example.org"]

    # Doing what the email says: sign in, type the code mailed then; the address is verified.
    reader = Client()
    assert (
        reader.post("/accounts/login/", {"login": "new@example.org", "password": "correct horse battery staple"})[
            "Location"
        ]
        == "/accounts/confirm-email/"
    )
    code = re.search(r"^\s*([A-Z0-9]{4,}(?:-[A-Z0-9]+)*)\s*$", mailoutbox[-1].body, re.MULTILINE).group(1)
    reader.post("/accounts/confirm-email/", {"code": code})
    assert EmailAddress.objects.get(user=membership.user).verified


def test_a_verified_address_gets_no_verification_email(priced_tiers, manager, mailoutbox):
    _, client = manager
    membership = MembershipFactory()
    EmailAddress.objects.create(user=membership.user, email=membership.user.email, verified=True, primary=True)
    assert "already verified" in client.get(action_url(membership, "resend-verification")).content.decode()
    response = client.post(action_url(membership, "resend-verification"), follow=True).content.decode()
    assert "already verified" in response and not mailoutbox


# --- Permissions and forgery --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "action, needed",
    [
        ("comp", "members.comp_membership"),
        ("end-comp", "members.comp_membership"),
        ("cancel-now", "members.cancel_membership"),
        ("cancel-at-period-end", "members.cancel_membership"),
        ("resume", "members.cancel_membership"),
        ("refund", "members.refund_membership_payment"),
        ("resend-receipt", "members.email_member"),
        ("resend-verification", "members.email_member"),
    ],
)
def test_each_action_needs_its_own_permission(paying_member, action, needed):
    others = [perm for perm in MANAGER_PERMS if perm != needed]
    staff = staff_with(*others)
    client = Client()
    client.force_login(staff)
    assert client.get(action_url(paying_member, action)).status_code == 403
    assert client.post(action_url(paying_member, action), {"payment_id": 1, "receipt": 1}).status_code == 403
    assert Membership.objects.get(pk=paying_member.pk).status == "active"
    assert Payment.objects.get(user=paying_member.user).amount_refunded_minor == 0


def test_a_viewer_sees_the_member_page_without_action_buttons(paying_member):
    viewer = staff_with("members.view_membership")
    client = Client()
    client.force_login(viewer)
    page = member_page(client, paying_member)
    assert "Became a member: Supporter" in page and "/do/" not in page
    # Links only to what this viewer may open: no provider-event log, no payment records, no receipt PDFs.
    assert "/admin/payments/" not in page and "/admin/receipts/receipt/" not in page


def test_an_action_posted_without_the_csrf_token_is_refused(paying_member, manager):
    staff, _ = manager
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    assert client.post(action_url(paying_member, "cancel-now")).status_code == 403
    assert Membership.objects.get(pk=paying_member.pk).status == "active"


def test_an_unknown_action_or_member_is_not_found(paying_member, manager):
    _, client = manager
    assert client.get(action_url(paying_member, "delete-everything")).status_code == 404
    assert client.get(f"/admin/members/membership/{paying_member.pk + 1000}/do/cancel-now/").status_code == 404


def test_a_staff_cancel_at_period_end_is_on_the_members_page_as_a_change_of_theirs(paying_member, manager):
    """The same pending-then-confirmed record as when the member asks, naming who asked."""
    from members.models import MembershipChange

    staff, client = manager
    client.post(action_url(paying_member, "cancel-at-period-end"))
    change = MembershipChange.objects.get(membership=paying_member)
    assert (change.kind, change.requested_by, change.confirmed_at is not None) == ("cancel", staff, True)
