"""A receipt's date is the site's day, the same on its PDF, its private page and the account's receipt list,
at every hour (date-sensitive: also run at 23:30 UTC and 00:30 Tbilisi time)."""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

import pytest
from django.test import Client
from pypdf import PdfReader

from outlet.common.local_time import date_text, short_date_text
from outlet.receipts import services as receipts
from outlet.receipts.models import Receipt
from tests.donations.conftest import give
from tests.factories import UserFactory

pytestmark = [pytest.mark.date_sensitive, pytest.mark.django_db(transaction=True)]


def test_the_pdf_the_private_page_and_the_account_list_show_the_same_day(campaign, mailoutbox):
    donor = UserFactory(email="lela@example.org")
    give(campaign, email=donor.email, gift_minor=2500, user_id=donor.pk)
    receipt = Receipt.objects.get()
    day, short_day = date_text(receipt.issued_at), short_date_text(receipt.issued_at)

    [message] = [m for m in mailoutbox if receipt.number in m.subject]
    pdf = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(message.attachments[0][1])).pages)
    assert day in pdf

    page = Client().get(urlsplit(receipts.guest_url(receipt)).path)
    assert page.status_code == 200 and f"Date {day}" in re.sub(r"<[^>]+>|\s+", " ", page.content.decode()).replace(
        "  ", " "
    )

    client = Client()
    client.force_login(donor)
    assert short_day in client.get("/accounts/receipts/").content.decode()
