"""Donors who chose privacy are masked for staff outside Finance (list, gift page, export); a logged "Reveal"
shows them; Finance sees everything as before."""

from __future__ import annotations

import pytest

from donations.models import Donation
from members.models import MemberEvent
from outlet.privacy.models import DonorReveal
from tests.donations.conftest import give, make_campaign
from tests.donations.factories_gift_admin import FINANCE, staff_with
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

OUTSIDE_FINANCE = ("donations.view_donation", "donations.export_donations", "receipts.view_receipt")


@pytest.fixture
def gifts():
    campaign = make_campaign()
    member = UserFactory(username="ana", email="ana.beridze@gmail.com")
    give(
        campaign,
        email="ana.beridze@gmail.com",
        name="Ana Beridze",
        anonymous=True,
        show_on_wall=True,
        message="Stay safe",
        user_id=member.pk,
    )
    give(campaign, email="guest.giver@yahoo.com", name="Guest Giver")  # not on the wall: private too
    give(campaign, email="proud@example.org", name="Proud Supporter", show_on_wall=True, display_name="Proud S.")
    return {d.name: d for d in Donation.objects.all()}


def test_staff_outside_finance_see_private_donors_masked_in_the_list_and_the_export(gifts):
    _, client = staff_with(*OUTSIDE_FINANCE, username="admin-ish")
    listing = client.get("/admin/donations/donation/").content.decode()
    assert "Ana Beridze" not in listing and "ana.beridze@gmail.com" not in listing
    assert "A••• B•••" in listing and "a•••@g•••.com" in listing
    assert "Guest Giver" not in listing and "g•••@y•••.com" in listing
    assert "Proud S." in listing and "proud@example.org" in listing  # asked to be named: not private
    export = b"".join(client.get("/admin/donations/donation/export/").streaming_content).decode()
    assert "Ana Beridze" not in export and "a•••@g•••.com" in export and "Proud Supporter" in export


def test_the_gift_page_is_masked_until_a_logged_reveal(gifts):
    staff, client = staff_with(*OUTSIDE_FINANCE, username="admin-ish")
    gift = gifts["Ana Beridze"]
    page = client.get(f"/admin/donations/donation/{gift.pk}/change/").content.decode()
    assert "ana.beridze@gmail.com" not in page and "Stay safe" not in page and "Reveal donor" in page

    confirm = client.get(f"/admin/donations/donation/{gift.pk}/reveal/")
    assert confirm.status_code == 200 and "ana.beridze@gmail.com" not in confirm.content.decode()
    assert not DonorReveal.objects.exists()
    shown = client.post(f"/admin/donations/donation/{gift.pk}/reveal/").content.decode()
    assert "ana.beridze@gmail.com" in shown and "Stay safe" in shown

    reveal = DonorReveal.objects.get()
    assert reveal.staff_user == staff and reveal.donation == gift
    line = MemberEvent.objects.get(user=gift.user, kind=MemberEvent.Kind.STAFF_ACTION)
    assert line.staff_user == staff and str(gift.pk) in line.summary and not line.reader_visible
    after = client.get(f"/admin/donations/donation/{gift.pk}/change/").content.decode()
    assert "admin-ish" in after  # who revealed, on the gift's page


def test_a_guest_donors_reveal_is_logged_on_the_gift_page(gifts):
    _, client = staff_with(*OUTSIDE_FINANCE, username="admin-ish")
    gift = gifts["Guest Giver"]
    client.post(f"/admin/donations/donation/{gift.pk}/reveal/")
    assert DonorReveal.objects.filter(donation=gift).exists()
    assert not MemberEvent.objects.exists()
    assert "admin-ish" in client.get(f"/admin/donations/donation/{gift.pk}/change/").content.decode()


def test_finance_sees_every_donor_as_before(gifts):
    _, client = staff_with(*FINANCE)
    listing = client.get("/admin/donations/donation/").content.decode()
    assert "Ana Beridze" in listing or "ana.beridze@gmail.com" in listing
    assert "guest.giver@yahoo.com" in listing and "•••" not in listing
    page = client.get(f"/admin/donations/donation/{gifts['Ana Beridze'].pk}/change/").content.decode()
    assert "Stay safe" in page and "Reveal donor" not in page


PLATFORM_LISTS = (
    "donations.view_donation",
    "donations.view_recurringdonation",
    "receipts.view_receipt",
    "payments.view_payment",
)


def test_a_private_donor_is_masked_on_their_receipts_monthly_gift_and_payments_too(gifts):
    campaign = gifts["Proud Supporter"].campaign
    give(campaign, email="monthly.quiet@mail.ru", name="Lela Quiet", interval="month")  # not on the wall
    _, client = staff_with(*PLATFORM_LISTS, username="admin-ish")
    for address in ("/admin/receipts/receipt/", "/admin/donations/recurringdonation/", "/admin/payments/payment/"):
        listing = client.get(address).content.decode()
        for private in ("ana.beridze@gmail.com", "guest.giver@yahoo.com", "monthly.quiet@mail.ru", "Lela Quiet"):
            assert private not in listing, (address, private)
        assert "proud@example.org" in listing or "recurringdonation" in address, address  # asked to be named
    assert "m•••@m•••.ru" in client.get("/admin/donations/recurringdonation/").content.decode()
    receipt = Donation.objects.get(name="Ana Beridze").payment.receipts.first()
    page = client.get(f"/admin/receipts/receipt/{receipt.pk}/change/").content.decode()
    assert "Ana Beridze" not in page and "ana.beridze@gmail.com" not in page and "A••• B•••" in page


def test_finance_sees_private_donors_on_receipts_monthly_gifts_and_payments(gifts):
    campaign = gifts["Proud Supporter"].campaign
    give(campaign, email="monthly.quiet@mail.ru", name="Lela Quiet", interval="month")
    _, client = staff_with(*PLATFORM_LISTS, *FINANCE, username="money")
    for address in ("/admin/receipts/receipt/", "/admin/donations/recurringdonation/", "/admin/payments/payment/"):
        assert "monthly.quiet@mail.ru" in client.get(address).content.decode(), address
