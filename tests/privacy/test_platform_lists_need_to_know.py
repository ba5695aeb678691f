"""The platform's own payment and receipt lists show a gift's payer only to staff who may see gifts: the membership
team lists members' payments and receipts, never a donor's name or address (who may have asked for privacy)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from outlet.staff.roles import FINANCE, MEMBERSHIP_MANAGER
from tests.factories import UserFactory
from tests.members.factories_member_admin import payment, receipt

pytestmark = pytest.mark.django_db


def _staff(role: str) -> Client:
    user = UserFactory(username=role.lower().replace(" ", "-"), is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def both_kinds():
    member = UserFactory(username="member", email="member.one@example.org")
    donor = UserFactory(username="donor", email="quiet.donor@example.org")
    member_payment = payment(member)
    gift_payment = payment(donor, purpose="donation")
    return {
        "member_payment": member_payment,
        "member_receipt": receipt(member_payment),
        "gift_payment": gift_payment,
        "gift_receipt": receipt(gift_payment),
    }


def test_the_membership_team_lists_members_payments_and_receipts_but_no_gifts(both_kinds):
    team = _staff(MEMBERSHIP_MANAGER)
    payments = team.get("/admin/payments/payment/").content.decode()
    receipts = team.get("/admin/receipts/receipt/").content.decode()
    assert "member.one@example.org" in payments and "member.one@example.org" in receipts
    assert "quiet.donor@example.org" not in payments and "quiet.donor@example.org" not in receipts
    assert both_kinds["member_receipt"].number in receipts and both_kinds["gift_receipt"].number not in receipts
    # Nor by address: a gift's page is not found for them.
    assert team.get(f"/admin/payments/payment/{both_kinds['gift_payment'].pk}/change/").status_code == 302
    assert team.get(f"/admin/receipts/receipt/{both_kinds['gift_receipt'].pk}/change/").status_code == 302
    assert team.get(f"/admin/receipts/receipt/{both_kinds['member_receipt'].pk}/change/").status_code == 200


def test_finance_lists_every_payment_and_receipt(both_kinds):
    finance = _staff(FINANCE)
    payments = finance.get("/admin/payments/payment/").content.decode()
    receipts = finance.get("/admin/receipts/receipt/").content.decode()
    for address in ("member.one@example.org", "quiet.donor@example.org"):
        assert address in payments and address in receipts
