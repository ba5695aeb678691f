"""A receipt speaks its payer's language: a guest's the language of the page they gave from, an account's its
setting. Its number and amount are the same in every language; its words, date and amount format are the
language's own, and its PDF draws every script (Georgian, Armenian, Azerbaijani's ə, Cyrillic) and currency sign."""

from __future__ import annotations

import io
import re

import pytest
from django.utils import translation
from django.utils.translation import gettext, pgettext
from pypdf import PdfReader

from outlet.common import languages
from outlet.common.local_time import date_text
from outlet.common.money import format_money
from outlet.payments.providers import get_provider
from outlet.receipts import services as receipts
from outlet.receipts.models import Receipt
from outlet.receipts.pdf import render_receipt
from tests.donations.conftest import give
from tests.factories import UserFactory

pytestmark = [pytest.mark.date_sensitive, pytest.mark.django_db(transaction=True)]

SCRIPTS = {
    "ka": re.compile(r"[\u10d0-\u10ff]"),  # Mkhedruli
    "hy": re.compile(r"[\u0531-\u058f]"),
    "az": re.compile(r"[əƏ]"),
    "ru": re.compile(r"[\u0400-\u04ff]"),
}


def _text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)


def _words_of(language: str) -> list[str]:
    with translation.override(language):
        return [gettext("Receipt number"), gettext("Amount"), pgettext("receipt: what the payment was for", "For")]


@pytest.mark.parametrize("language", ["en", "ka", "hy", "az", "ru"])
def test_a_guest_gets_the_receipt_in_the_language_of_the_page_they_gave_from(campaign, mailoutbox, language):
    with translation.override(language):
        give(campaign, email="guest@example.org", gift_minor=1550)
    receipt = Receipt.objects.get()
    assert receipt.language == language
    assert re.fullmatch(r"\d{4}-\d{6}", receipt.number), "numbers never change with the language"

    [message] = [m for m in mailoutbox if receipt.number in m.subject]
    pdf = _text(message.attachments[0][1])
    with translation.override(language):
        amount, day = format_money(1550, "GEL"), date_text(receipt.issued_at)
        subject_words = gettext("Receipt %(number)s") % {"number": receipt.number}
    assert receipt.number in pdf
    assert " ".join(amount.split()) in pdf and " ".join(day.split()) in pdf
    for word in _words_of(language):
        assert word in pdf, (language, word)
    if language != "en":
        assert SCRIPTS[language].search(pdf), f"the {language} receipt is not in its script"
        assert "Receipt number" not in pdf and "Amount" not in pdf
        assert SCRIPTS[language].search(message.subject + message.body)
    assert receipt.number in message.subject and subject_words.split()[0] in pdf


def test_an_account_reads_its_setting_whatever_page_it_gave_from(campaign, mailoutbox):
    donor = UserFactory(email="nino@example.org")
    languages.remember_for_user(donor, "ru")
    with translation.override("ka"):
        give(campaign, email=donor.email, gift_minor=2000, user_id=donor.pk)
    receipt = Receipt.objects.get()
    assert receipt.language == "ru"
    assert SCRIPTS["ru"].search(_text(render_receipt(receipt)))


def test_a_correction_and_the_voided_receipt_keep_the_receipts_language(campaign, mailoutbox):
    with translation.override("hy"):
        paid = give(campaign, email="ani@example.org", gift_minor=5000)
    get_provider("sandbox").refund(payment_ref=paid["payment"], amount_minor=1000, idempotency_key="test-refund")
    original, correction = Receipt.objects.order_by("sequence")
    assert (original.language, correction.language) == ("hy", "hy")
    assert original.is_void and SCRIPTS["hy"].search(original.void_reason)
    voided = _text(render_receipt(original))
    assert SCRIPTS["hy"].search(voided) and correction.number in voided
    [message] = [m for m in mailoutbox if correction.number in m.subject]
    assert SCRIPTS["hy"].search(message.subject + message.body)


def test_every_currency_sign_the_site_writes_is_drawn(campaign):
    """The lari (₾, Georgian), manat (₼, Azerbaijani) and dram (֏, Armenian) come from the fallback fonts: the PDF
    carries them, not an empty box."""
    with translation.override("ka"):
        give(campaign, email="guest@example.org", gift_minor=1550)
    receipt = Receipt.objects.get()
    assert "₾" in _text(render_receipt(receipt))
    assert receipts.email_key(receipt)
