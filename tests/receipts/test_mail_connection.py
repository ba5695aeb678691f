"""Receipt emails go out over one held connection to the mail backend per thread (opening one per message cost
more than the message): a held connection is never used for another backend's settings, is replaced after a failed
send or a long idle spell, and a failed send is still retried and sent exactly once."""

from __future__ import annotations

from smtplib import SMTPServerDisconnected

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend

from outlet.common import emails
from outlet.common.models import SentEmail
from outlet.receipts import services as receipts
from outlet.receipts.models import Receipt
from tests.donations.conftest import give

pytestmark = pytest.mark.django_db(transaction=True)

BACKEND = "tests.receipts.test_mail_connection.CountingBackend"


class CountingBackend(EmailBackend):
    """Django's in-memory backend that counts the connections opened and can refuse the next sends."""

    opened: list[CountingBackend] = []
    refuse = 0

    def open(self):
        CountingBackend.opened.append(self)
        return True

    def send_messages(self, messages):
        if CountingBackend.refuse:
            CountingBackend.refuse -= 1
            raise SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


@pytest.fixture
def counting(settings, mailoutbox):
    emails._drop_held_connection()
    CountingBackend.opened, CountingBackend.refuse = [], 0
    settings.EMAIL_BACKEND = BACKEND
    yield CountingBackend
    emails._drop_held_connection()


def _resend(receipt: Receipt, key: str) -> bool:
    return receipts.email_receipt(receipt_id=receipt.pk, key=key)


def test_receipts_in_a_row_share_one_connection(campaign, counting):
    for number in range(3):
        give(campaign, email=f"donor{number}@example.org")
    assert Receipt.objects.exclude(emailed_at=None).count() == 3
    assert len(mail.outbox) == 3 and len(counting.opened) == 1


def test_a_failed_send_drops_the_connection_and_the_retry_sends_once(campaign, counting):
    give(campaign)
    receipt = Receipt.objects.get()
    counting.refuse = 1
    with pytest.raises(SMTPServerDisconnected):
        _resend(receipt, "again")
    assert not SentEmail.objects.filter(key="again").exists(), "nothing recorded for a message not sent"
    assert _resend(receipt, "again") and not _resend(receipt, "again")
    assert len(counting.opened) == 2, "the connection that failed is not used again"
    assert [m.to for m in mail.outbox] == [[receipt.donor_email], [receipt.donor_email]]


def test_a_connection_opened_for_other_settings_is_never_used(campaign, counting, settings):
    give(campaign)
    first = counting.opened[-1]
    settings.EMAIL_HOST = "mail.elsewhere.example"
    assert _resend(Receipt.objects.get(), "elsewhere")
    assert len(counting.opened) == 2 and counting.opened[-1] is not first
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert _resend(Receipt.objects.get(), "plain")
    assert len(counting.opened) == 2, "the in-memory backend is not the counting one"
    assert not isinstance(emails._held.connection, CountingBackend)


def test_a_connection_idle_too_long_is_replaced(campaign, counting, monkeypatch):
    give(campaign)
    idle_since = emails._held.used_at
    monkeypatch.setattr(emails.time, "monotonic", lambda: idle_since + emails.MAIL_CONNECTION_IDLE_SECONDS + 1)
    assert _resend(Receipt.objects.get(), "later")
    assert len(counting.opened) == 2
