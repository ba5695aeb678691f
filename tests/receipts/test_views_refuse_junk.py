"""A donor's receipt addresses answer junk typed into them with a 404, not a 500: a NUL byte or an over-long receipt
number (PostgreSQL refuses a NUL in text). The request guard (outlet/request_guard.py) answers a NUL with a 400
before any view runs; the views refuse one themselves too, so they stay safe whatever the middleware. (Moved from
tests/donations/test_receipt_pages_refuse_junk.py with the views; the statements' side stayed in donations.)"""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

WITHOUT_GUARD = "outlet.common.request_guard.RefuseNulBytesMiddleware"


@pytest.fixture
def donor_client():
    client = Client()
    client.force_login(UserFactory(username="donor", email="donor@example.org"))
    return client


@pytest.mark.parametrize("number", ["CL-2026-%00001", "%00", "CL-" + "9" * 60])
def test_a_receipt_number_with_a_nul_or_longer_than_any_is_not_found_even_without_the_guard(
    donor_client, settings, number
):
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if name != WITHOUT_GUARD]
    assert donor_client.get(f"/accounts/receipts/{number}.pdf").status_code == 404


def test_with_the_guard_a_nul_in_a_receipt_number_is_a_bad_request_that_says_why(donor_client):
    response = donor_client.get("/accounts/receipts/CL-2026-%0001.pdf")
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()
