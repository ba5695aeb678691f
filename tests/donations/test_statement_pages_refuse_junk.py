"""A donor's statement addresses answer junk typed into them with a 404, not a 500: a year no gift can have
(datetime holds years 1-9999 and a URL's number has no limit). (The receipt addresses' side:
tests/receipts/test_views_refuse_junk.py.)"""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from donations import statements
from tests.donations.conftest import give
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def donor_client():
    client = Client()
    client.force_login(UserFactory(username="donor", email="donor@example.org"))
    return client


@pytest.mark.parametrize("year", ["0", "1", "1969", "9999", "10000", str(10**20)])
def test_a_statement_for_a_year_no_gift_can_have_is_not_found(donor_client, year):
    response = donor_client.get(f"/accounts/receipts/statements/{year}.pdf")
    assert response.status_code == 404


def test_a_statement_for_next_year_is_not_found_and_this_years_still_downloads(
    donor_client, campaign, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the sandbox's events are processed on commit
        give(campaign, email="donor@example.org")
    this_year = timezone.localdate().year
    assert donor_client.get(f"/accounts/receipts/statements/{this_year + 1}.pdf").status_code == 404
    download = donor_client.get(f"/accounts/receipts/statements/{this_year}.pdf")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"


@pytest.mark.parametrize("year", [0, 9999, 10000, 10**20])
def test_the_statement_services_refuse_such_years_plainly(year):
    assert statements.build_statement(year=year, email="donor@example.org") is None
    assert statements.donor_emails(year=year) == []
    with pytest.raises(ValueError, match=f"No statement can cover the year {year}"):
        statements.year_bounds(year)
