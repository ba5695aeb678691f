"""A reader deletes their account with a code from their email; a guest donor erases their details from the link
in their receipt email. Nothing happens without the code, and a provider that cannot stop the charges stops it."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from donations.models import Donation
from outlet.payments.providers.base import ProviderUnavailable
from outlet.privacy.models import ErasureRecord
from tests.donations.conftest import give, make_campaign
from tests.privacy.conftest import EMAIL

pytestmark = pytest.mark.django_db(transaction=True)


def _code(to: str) -> str:
    [message] = [m for m in mail.outbox if m.to == [to] and "code" in m.subject.lower()][-1:]
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def test_a_reader_deletes_their_account_with_the_emailed_code_and_is_signed_out(history):
    client = history.client
    page = client.get("/accounts/privacy/delete/")
    assert "What we erase" in page.content.decode() and "What we keep" in page.content.decode()
    assert client.post("/accounts/privacy/delete/")["Location"] == "/accounts/privacy/delete/confirm/"

    wrong = client.post("/accounts/privacy/delete/confirm/", {"code": "000000" if _code(EMAIL) != "000000" else "1"})
    assert wrong.status_code == 400 and "not the code" in wrong.content.decode()
    assert not ErasureRecord.objects.exists()

    done = client.post("/accounts/privacy/delete/confirm/", {"code": _code(EMAIL)}, follow=True)
    text = done.content.decode()
    assert "Your account is deleted" in text and "What we erased" in text and "What we kept" in text
    record = ErasureRecord.objects.get()
    assert record.reference in text
    assert client.get("/accounts/privacy/").status_code == 302  # signed out
    assert not Client().login(username=EMAIL, password="correct horse battery staple")
    assert not Donation.objects.filter(email=EMAIL).exists()


def test_without_the_code_step_the_confirmation_page_sends_the_reader_back(history):
    assert history.client.get("/accounts/privacy/delete/confirm/")["Location"] == "/accounts/privacy/delete/"
    assert history.client.post("/accounts/privacy/delete/confirm/", {"code": "123456"}).status_code == 302
    assert not ErasureRecord.objects.exists()


def test_five_wrong_codes_use_the_code_up(history):
    client = history.client
    client.post("/accounts/privacy/delete/")
    right = _code(EMAIL)
    for _ in range(5):
        client.post("/accounts/privacy/delete/confirm/", {"code": "999999" if right != "999999" else "111111"})
    response = client.post("/accounts/privacy/delete/confirm/", {"code": right})
    assert response.status_code == 302 and not ErasureRecord.objects.exists()


def test_when_the_provider_cannot_stop_the_charges_nothing_is_deleted_and_the_reader_is_told(history, monkeypatch):
    def unreachable(subscription):
        raise ProviderUnavailable("The payment provider is not answering.")

    monkeypatch.setattr("outlet.payments.subscriptions.cancel_now", unreachable)
    client = history.client
    client.post("/accounts/privacy/delete/")
    page = client.post("/accounts/privacy/delete/confirm/", {"code": _code(EMAIL)}, follow=True)
    assert "we have deleted nothing" in page.content.decode() and "try again" in page.content.decode()
    history.user.refresh_from_db()
    assert history.user.is_active and history.user.email == EMAIL
    assert client.get("/accounts/privacy/").status_code == 200  # still signed in


def test_a_guest_donor_erases_their_gifts_from_the_link_in_their_receipt_email():
    campaign = make_campaign()
    guest = "guest.donor@example.org"
    give(campaign, email=guest, name="Levan Guestovich", message="For Levan's village", show_on_wall=True)
    give(campaign, email="someone.else@example.org", name="Other Person")
    [receipt_email] = [m for m in mail.outbox if m.to == [guest]]
    link = re.search(r"https?://[^/\s]+(/privacy/erase/\S+/)", receipt_email.body).group(1)

    client = Client()
    assert "Erase your details" in client.get(link).content.decode()
    client.post(link)
    done = client.post(f"{link}confirm/", {"code": _code(guest)}, follow=True)
    assert "Your details are erased" in done.content.decode()
    assert not Donation.objects.filter(name__icontains="Levan").exists()
    assert Donation.objects.filter(name="Other Person").exists()
    assert ErasureRecord.objects.get().kind == ErasureRecord.Kind.GUEST


def test_a_tampered_guest_link_is_not_found():
    assert Client().get("/privacy/erase/not-a-real-token/").status_code == 404


def test_members_get_no_guest_erase_link_in_their_receipts(history):
    receipts = [m for m in mail.outbox if m.to == [EMAIL] and any(a[0].startswith("receipt-") for a in m.attachments)]
    assert receipts and not any("/privacy/erase/" in m.body for m in receipts)
