"""The private link to a monthly gift does not last for ever, and never opens a gift that belongs to an account."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from donations import recurring
from donations.models import RecurringDonation
from tests.donations.conftest import give
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _path(gift) -> str:
    return urlsplit(recurring.manage_url(gift)).path


@pytest.fixture
def guest_gift(campaign):
    give(campaign, email="guest@example.org", gift_minor=2500, interval="month")
    return RecurringDonation.objects.get()


def test_an_old_link_no_longer_opens_the_gift_and_offers_a_new_one_by_email(guest_gift, mailoutbox):
    path = _path(guest_gift)
    with time_machine.travel(timezone.now() + recurring.MANAGE_LINK_MAX_AGE + timezone.timedelta(minutes=1)):
        page = Client().get(path)
        assert page.status_code == 410 and "This link has expired" in page.content.decode()
        assert "Change amount" not in page.content.decode() and "Update card" not in page.content.decode()
        assert Client().post(f"{path}cancel/").status_code == 410
        assert Client().post(f"{path}card/").status_code == 410
        Client().post(f"{path}new-link/")
        Client().post(f"{path}new-link/")  # a second press within the hour sends nothing more
        fresh = [m for m in mailoutbox if "link to manage your monthly gift" in m.subject]
        assert len(fresh) == 1 and fresh[0].to == ["guest@example.org"]
        new_path = "/" + fresh[0].body.split("/fundraisers/gifts/", 1)[1].split()[0]
        assert Client().get(f"/fundraisers/gifts/{new_path.lstrip('/')}").status_code == 200
    guest_gift.refresh_from_db()
    assert not guest_gift.cancel_at_period_end


def test_a_new_link_is_only_ever_sent_to_the_gifts_own_address(guest_gift, mailoutbox):
    path = _path(guest_gift)
    with time_machine.travel(timezone.now() + recurring.MANAGE_LINK_MAX_AGE + timezone.timedelta(days=1)):
        Client().post(f"{path}new-link/", {"email": "attacker@example.org"})
    assert [m.to for m in mailoutbox if "link to manage" in m.subject] == [["guest@example.org"]]


def test_a_gift_made_signed_in_is_managed_from_the_account_after_signing_in(campaign, mailoutbox):
    donor = UserFactory(email="lela@example.org")
    give(campaign, email=donor.email, gift_minor=2500, interval="month", user_id=donor.pk)
    gift = RecurringDonation.objects.get()
    assert recurring.manage_url(gift).endswith("/accounts/gifts/"), "the receipt email points at the account"
    link = f"/fundraisers/gifts/{recurring.manage_token(gift)}/"
    stranger = Client().get(link)
    assert stranger.status_code == 302 and stranger["Location"].startswith("/accounts/login/?next=")
    assert Client().post(f"{link}card/").status_code == 302
    owner = Client()
    owner.force_login(donor)
    assert owner.get(link)["Location"] == "/accounts/gifts/"
    receipt_mail = next(m for m in mailoutbox if "receipt" in m.subject.lower())
    assert "/fundraisers/gifts/" not in receipt_mail.body and "/accounts/gifts/" in receipt_mail.body
