"""The account page links each payment's numbered receipt once it is issued, and the statements of gifts."""

from __future__ import annotations

import pytest
from django.test import Client

from outlet.common.local_time import site_date
from outlet.receipts.models import Receipt
from tests.donations.conftest import give, make_campaign
from tests.factories import UserFactory
from tests.members import sandbox_journey as journey

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def member(priced_tiers):
    user = UserFactory(email="eka@example.org")
    client = Client()
    client.force_login(user)
    journey.join_and_pay(client)
    return user, client


def test_the_membership_receipt_is_linked_once_issued(member):
    user, client = member
    receipt = Receipt.objects.get(payment__user=user)
    html = client.get("/accounts/membership/").content.decode()
    assert f'href="/accounts/receipts/{receipt.number}.pdf"' in html
    assert "being issued" not in html
    pdf = client.get(f"/accounts/receipts/{receipt.number}.pdf")
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"


def test_a_payment_whose_receipt_is_not_issued_yet_says_so(member):
    user, client = member
    Receipt.objects.filter(payment__user=user).delete()
    assert "Being issued" in client.get("/accounts/membership/").content.decode()


def test_a_donor_finds_the_statement_of_gifts_on_the_account_page(member):
    user, client = member
    give(make_campaign(), email=user.email, gift_minor=2500, user_id=user.pk)
    html = client.get("/accounts/membership/").content.decode()
    year = site_date(Receipt.objects.filter(payment__purpose="donation").get().issued_at).year
    assert f'href="/accounts/receipts/statements/{year}.pdf"' in html
    statement = client.get(f"/accounts/receipts/statements/{year}.pdf")
    assert statement.status_code == 200 and statement.content[:5] == b"%PDF-"
