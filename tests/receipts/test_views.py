"""Who may download which receipt: the owner from the account page, a guest from the signed link in the email,
staff from the admin; nobody else, and no link can be guessed or bent to another receipt."""

from __future__ import annotations

import io
import re
from urllib.parse import urlparse

import pytest
from django.core import signing
from django.test import Client
from pypdf import PdfReader

from outlet.common.models import SentEmail
from outlet.payments.providers import get_provider
from outlet.receipts import services as receipts
from outlet.receipts.models import Receipt
from tests.donations.conftest import give
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).replace("\xa0", " ")


def link_in(message) -> str:
    [url] = re.findall(r"https?://[^\s]+/receipts/[^\s/]+/", message.body)
    return urlparse(url).path


def test_a_guest_opens_the_receipt_from_the_link_in_the_email_and_downloads_the_pdf(campaign, mailoutbox):
    give(campaign, email="guest@example.org", name="ნინო ბერიძე", gift_minor=2500)
    receipt = Receipt.objects.get()
    path = link_in(mailoutbox[-1])
    page = Client().get(path)
    assert page.status_code == 200
    html = page.content.decode()
    assert receipt.number in html and "ნინო ბერიძე" in html and "VOID" not in html
    assert (
        page["Referrer-Policy"] == "same-origin"
        and "noindex" in page["X-Robots-Tag"]
        and "private" in page["Cache-Control"]
    )
    download = Client().get(f"{path}receipt.pdf")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    text = pdf_text(download.content)
    assert receipt.number in text and "ნინო ბერიძე" in text and "GEL 25" in text


def test_a_voided_receipt_says_void_on_its_page_and_its_pdf(campaign, mailoutbox):
    paid = give(campaign, email="guest@example.org")
    path = link_in(mailoutbox[-1])
    get_provider("sandbox").refund(payment_ref=paid["payment"], amount_minor=None, idempotency_key="void")
    assert "VOID" in Client().get(path).content.decode()
    assert "VOID" in pdf_text(Client().get(f"{path}receipt.pdf").content)


def _reencoded(token: str, payload) -> str:
    """The token's signature kept, its signed value swapped: what a visitor editing the link can do."""
    _, signature = token.rsplit(":", 1)
    return f"{signing.b64_encode(signing.JSONSerializer().dumps(payload)).decode()}:{signature}"


def test_a_link_cannot_be_guessed_tampered_with_or_bent_to_another_receipt(campaign):
    give(campaign, email="a@example.org")
    give(campaign, email="b@example.org")
    a, b = Receipt.objects.order_by("sequence")
    token_a = receipts.guest_token(a)
    assert Client().get(f"/receipts/{token_a}/").status_code == 200
    attempts = [
        _reencoded(token_a, [b.pk, a.access_key]),  # A's link edited to name B
        _reencoded(token_a, [b.pk, b.access_key]),  # even knowing B's key, the signature is A's
        token_a[:-1] + ("A" if token_a[-1] != "A" else "B"),  # signature tampered
        signing.dumps([b.pk, a.access_key], salt=receipts.LINK_SALT),  # validly signed, but B's key is not A's
        signing.dumps([b.pk, b.access_key], salt="some.other.salt"),  # a signature made for another purpose
        signing.dumps([b.pk, ""], salt=receipts.LINK_SALT),
        "WzEsImFiYyJd:guess",
        "not-a-token",
        str(b.pk),
    ]
    for token in attempts:
        assert Client().get(f"/receipts/{token}/").status_code == 404, token
        assert Client().get(f"/receipts/{token}/receipt.pdf").status_code == 404, token


def test_an_owner_lists_their_receipts_and_statements_and_downloads_only_their_own(campaign):
    nino = UserFactory(username="nino", email="nino@example.org")
    other = UserFactory(username="other", email="other@example.org")
    give(campaign, email="nino@example.org", user_id=nino.pk, gift_minor=3000)
    give(campaign, email="other@example.org", user_id=other.pk, gift_minor=4000)
    mine, theirs = Receipt.objects.order_by("sequence")
    client = Client()
    client.force_login(nino)
    page = client.get("/accounts/receipts/")
    html = page.content.decode()
    assert page.status_code == 200 and mine.number in html and theirs.number not in html
    assert f"/accounts/receipts/statements/{mine.issued_at.year}.pdf" in html
    download = client.get(f"/accounts/receipts/{mine.number}.pdf")
    assert download.status_code == 200 and mine.number in pdf_text(download.content)
    assert client.get(f"/accounts/receipts/{theirs.number}.pdf").status_code == 404
    assert client.get("/accounts/receipts/2026-999999.pdf").status_code == 404
    statement = client.get(f"/accounts/receipts/statements/{mine.issued_at.year}.pdf")
    assert statement.status_code == 200 and "GEL 30" in pdf_text(statement.content)
    assert client.get("/accounts/receipts/statements/1999.pdf").status_code == 404


def test_receipt_pages_for_owners_need_signing_in(campaign):
    response = Client().get("/accounts/receipts/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert Client().get("/accounts/receipts/2026-000001.pdf").status_code == 302


def test_staff_find_a_receipt_download_its_pdf_and_resend_it_after_confirming(campaign, mailoutbox):
    give(campaign, email="donor@example.org")
    receipt = Receipt.objects.get()
    staff = UserFactory(username="editor", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    listing = client.get("/admin/receipts/receipt/", {"q": receipt.number})
    assert listing.status_code == 200 and receipt.number in listing.content.decode()
    for filters in (
        {"void": "yes"},
        {"kind__exact": "original"},
        {"year": str(receipt.year)},
        {"q": "donor@example.org"},
    ):
        assert client.get("/admin/receipts/receipt/", filters).status_code == 200
    assert client.get(f"/admin/receipts/receipt/{receipt.pk}/change/").status_code == 200
    assert client.get("/admin/receipts/receipt/add/").status_code == 403
    pdf = client.get(f"/admin/receipts/receipt/{receipt.pk}/pdf/")
    assert pdf.status_code == 200 and receipt.number in pdf_text(pdf.content)

    before = len(mailoutbox)
    confirm = client.post(
        "/admin/receipts/receipt/", {"action": "resend_receipt_email", "_selected_action": [receipt.pk]}
    )
    assert confirm.status_code == 200 and "Resend" in confirm.content.decode() and len(mailoutbox) == before
    done = client.post(
        "/admin/receipts/receipt/",
        {"action": "resend_receipt_email", "_selected_action": [receipt.pk], "confirmed": "yes"},
    )
    assert done.status_code == 302
    assert len(mailoutbox) == before + 1 and mailoutbox[-1].to == ["donor@example.org"]
    assert SentEmail.objects.filter(key__contains=f"resend-by-{staff.pk}-").count() == 1
    from django.contrib.admin.models import LogEntry

    assert LogEntry.objects.filter(user=staff, object_id=str(receipt.pk), change_message__contains="resend").exists()


def test_staff_without_receipt_rights_see_no_admin_pdf(campaign):
    give(campaign)
    receipt = Receipt.objects.get()
    clerk = UserFactory(username="clerk", is_staff=True)
    client = Client()
    client.force_login(clerk)
    assert client.get(f"/admin/receipts/receipt/{receipt.pk}/pdf/").status_code == 403
