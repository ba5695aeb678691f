"""The email service reports a hard bounce or a complaint to /email/webhooks/<service>/tracking/: the address gets
no optional email again (receipts still go), a forged report changes nothing, a repeated one adds nothing, and
staff see it on the member's timeline."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client, override_settings

from outlet.common import email_preferences, emails
from outlet.common.models import EmailConsent, SuppressedAddress

pytestmark = pytest.mark.django_db

MAILGUN_KEY = "test-mailgun-webhook-signing-key"
BASIC_AUTH = "outlet-hooks:correct-horse-battery"
SES_TOPIC = "arn:aws:sns:eu-west-1:111122223333:outlet-ses-events"
SECRETS = {"MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY, "WEBHOOK_SECRET": [BASIC_AUTH]}


@pytest.fixture(autouse=True)
def _webhook_secrets(settings):
    settings.ANYMAIL = SECRETS
    settings.EMAIL_SES_SNS_TOPIC_ARNS = [SES_TOPIC]


def _basic(auth: str = BASIC_AUTH) -> str:
    return "Basic " + base64.b64encode(auth.encode()).decode()


# --- Mailgun: HMAC-SHA256 of timestamp+token with the webhook signing key, in the JSON body ---


def mailgun_bounce(recipient: str, *, key: str = MAILGUN_KEY, event_id: str = "CPgfbmQMTCKtHW6uIWtuVe") -> bytes:
    timestamp, token = str(int(time.time())), uuid.uuid4().hex * 2
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return json.dumps(
        {
            "signature": {"timestamp": timestamp, "token": token, "signature": signature},
            "event-data": {
                "id": event_id,
                "timestamp": float(timestamp),
                "log-level": "error",
                "event": "failed",
                "severity": "permanent",
                "reason": "bounce",
                "recipient": recipient,
                "recipient-domain": recipient.split("@")[1],
                "envelope": {"sender": "members@news.example.org", "transport": "smtp", "targets": recipient},
                "delivery-status": {
                    "code": 550,
                    "message": "5.1.1 The email account that you tried to reach does not exist.",
                    "description": "",
                    "attempt-no": 1,
                },
                "message": {"headers": {"message-id": "20261206.1@news.example.org", "subject": "Receipt"}},
                "user-variables": {"topic": "fundraising"},
                "tags": [],
            },
        }
    ).encode()


def post_mailgun(client: Client, body: bytes):
    """With the basic-auth secret too: once EMAIL_WEBHOOK_SECRET is set, every service's webhook URL carries it."""
    return client.post(
        "/email/webhooks/mailgun/tracking/", body, content_type="application/json", HTTP_AUTHORIZATION=_basic()
    )


# --- Postmark: a Bounce record, protected by the basic-auth secret in the webhook's URL ---


def postmark_event(recipient: str, *, record_type: str = "Bounce", bounce_type: str = "HardBounce") -> bytes:
    event = {
        "RecordType": record_type,
        "ID": 4323372036854775807,
        "Type": bounce_type,
        "TypeCode": 1,
        "Name": "Hard bounce",
        "Tag": "",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Metadata": {},
        "ServerID": 23,
        "MessageStream": "outbound",
        "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": recipient,
        "From": "members@news.example.org",
        "BouncedAt": "2026-12-06T16:33:54.9070259Z",
        "DumpAvailable": True,
        "Inactive": True,
        "CanActivate": True,
        "Subject": "Your membership",
    }
    if record_type == "SpamComplaint":
        event |= {"Type": "SpamComplaint", "TypeCode": 512, "Name": "Spam complaint"}
    return json.dumps(event).encode()


def post_postmark(client: Client, body: bytes, *, auth: str = BASIC_AUTH):
    return client.post(
        "/email/webhooks/postmark/tracking/", body, content_type="application/json", HTTP_AUTHORIZATION=_basic(auth)
    )


# --- Amazon SES through SNS: basic auth, matching SNS headers, and a topic we subscribed to ---


def ses_notification(recipient: str, *, bounce_type: str = "Permanent", topic: str = SES_TOPIC) -> tuple[bytes, str]:
    message_id = str(uuid.uuid4())
    ses_event = {
        "notificationType": "Bounce",
        "bounce": {
            "feedbackId": "0102017c8a3b5e6f-abc-000000",
            "bounceType": bounce_type,
            "bounceSubType": "General",
            "bouncedRecipients": [
                {
                    "emailAddress": recipient,
                    "action": "failed",
                    "status": "5.1.1",
                    "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                }
            ],
            "timestamp": "2026-12-06T12:00:00.000Z",
            "reportingMTA": "dsn; a8-70.smtp-out.amazonses.com",
        },
        "mail": {
            "timestamp": "2026-12-06T11:59:58.000Z",
            "source": "members@news.example.org",
            "messageId": "0102017c8a3b4f2e-11111111-2222-3333-4444-555555555555-000000",
            "destination": [recipient],
            "headers": [{"name": "X-Metadata", "value": json.dumps({"topic": "fundraising"})}],
        },
    }
    sns = {
        "Type": "Notification",
        "MessageId": message_id,
        "TopicArn": topic,
        "Message": json.dumps(ses_event),
        "Timestamp": "2026-12-06T12:00:01.000Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLEpH+..",
        "SigningCertURL": "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000000000000000.pem",
        "UnsubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe",
    }
    return json.dumps(sns).encode(), message_id


def post_ses(client: Client, body: bytes, message_id: str, *, auth: str = BASIC_AUTH):
    return client.post(
        "/email/webhooks/amazon_ses/tracking/",
        body,
        content_type="text/plain; charset=UTF-8",
        HTTP_AUTHORIZATION=_basic(auth),
        HTTP_X_AMZ_SNS_MESSAGE_TYPE="Notification",
        HTTP_X_AMZ_SNS_MESSAGE_ID=message_id,
        HTTP_X_AMZ_SNS_TOPIC_ARN=SES_TOPIC,
    )


def _posts(service: str, client: Client, recipient: str, *, forged: bool = False):
    if service == "mailgun":
        return post_mailgun(client, mailgun_bounce(recipient, key="not-the-key" if forged else MAILGUN_KEY))
    if service == "postmark":
        return post_postmark(client, postmark_event(recipient), auth="outlet-hooks:guess" if forged else BASIC_AUTH)
    body, message_id = ses_notification(recipient)
    return post_ses(client, body, message_id, auth="outlet-hooks:guess" if forged else BASIC_AUTH)


SERVICES = ["mailgun", "postmark", "ses"]


@pytest.mark.parametrize("service", SERVICES)
def test_a_signed_hard_bounce_suppresses_the_address(service):
    response = _posts(service, Client(), "Gone@Example.org")
    assert response.status_code == 200, response.content
    row = SuppressedAddress.objects.get()
    assert (row.address, row.reason) == ("gone@example.org", "bounced")
    assert "5.1.1" in row.detail and row.source


@pytest.mark.parametrize("service", SERVICES)
def test_a_forged_report_is_refused_and_suppresses_nothing(service):
    response = _posts(service, Client(), "victim@example.org", forged=True)
    assert response.status_code in (400, 403)
    assert not SuppressedAddress.objects.exists()


@pytest.mark.parametrize("service", SERVICES)
def test_a_duplicated_report_changes_nothing(service):
    client = Client()
    assert _posts(service, client, "gone@example.org").status_code == 200
    first = SuppressedAddress.objects.get()
    assert _posts(service, client, "gone@example.org").status_code == 200
    assert list(SuppressedAddress.objects.all()) == [first]
    assert SuppressedAddress.objects.get().created_at == first.created_at


def test_after_a_bounce_an_appeal_is_not_sent_but_the_receipt_is():
    assert _posts("postmark", Client(), "gone@example.org").status_code == 200
    assert not emails._send_once(
        key="appeal-2026-12", kind="membership_ended", to="gone@example.org", context={}, topic="fundraising"
    )
    assert not mail.outbox
    assert emails.membership_receipt(
        key="receipt-1",
        to="gone@example.org",
        pdf=b"%PDF-1.4",
        pdf_name="receipt.pdf",
        name="Nino",
        number="2026-0001",
        amount="GEL 15.00",
        description="Membership",
        is_void=False,
        link_url="https://news.example.org/r/1",
        account_url="",
    )
    assert [m.to for m in mail.outbox] == [["gone@example.org"]]


def test_a_soft_bounce_changes_nothing():
    assert post_postmark(Client(), postmark_event("busy@example.org", bounce_type="SoftBounce")).status_code == 200
    body, message_id = ses_notification("full@example.org", bounce_type="Transient")
    assert post_ses(Client(), body, message_id).status_code == 200
    assert not SuppressedAddress.objects.exists()


def test_a_spam_complaint_suppresses_as_complained():
    body = postmark_event("angry@example.org", record_type="SpamComplaint")
    assert post_postmark(Client(), body).status_code == 200
    assert SuppressedAddress.objects.get().reason == "complained"


def test_ses_refuses_a_topic_it_did_not_subscribe_to():
    body, message_id = ses_notification("victim@example.org", topic="arn:aws:sns:us-east-1:999999999999:evil")
    assert post_ses(Client(), body, message_id).status_code == 400
    assert not SuppressedAddress.objects.exists()


def test_an_unsubscribe_at_the_service_says_no_to_the_topic_of_the_message():
    email_preferences.set_choice(address="reader@example.org", topic="fundraising", subscribed=True, source="t")
    event = json.loads(mailgun_bounce("reader@example.org"))
    event["event-data"] |= {"event": "unsubscribed", "severity": None, "reason": None}
    assert post_mailgun(Client(), json.dumps(event).encode()).status_code == 200
    consent = EmailConsent.objects.get(address="reader@example.org", topic="fundraising")
    assert not consent.subscribed and consent.source.startswith("Mailgun")
    assert not SuppressedAddress.objects.exists()


def test_a_service_without_its_secret_is_not_listening():
    with override_settings(ANYMAIL={}):
        assert post_postmark(Client(), postmark_event("victim@example.org")).status_code == 404
        assert post_mailgun(Client(), mailgun_bounce("victim@example.org")).status_code == 404
    assert not SuppressedAddress.objects.exists()


def test_an_unreadable_body_with_the_right_secret_is_a_400_not_a_500():
    assert post_postmark(Client(), b"{not json").status_code == 400
    assert post_ses(Client(), b"[]", "x").status_code == 400


def test_the_member_timeline_shows_the_bounce():
    from members.timeline import member_timeline

    user = get_user_model().objects.create_user(username="nino", email="nino@example.org", password="x")
    assert _posts("mailgun", Client(), "nino@example.org").status_code == 200
    email_preferences.set_choice(address="nino@example.org", topic="membership_news", subscribed=False, source="t")
    lines = [str(line.text) for line in member_timeline(user=user).entries]
    assert any("bounced" in line.lower() for line in lines), lines
    assert any("Membership news" in line for line in lines), lines


def test_a_database_outage_asks_the_service_to_retry(monkeypatch):
    from django.db import DatabaseError

    def down(**kwargs):
        raise DatabaseError("connection lost")

    monkeypatch.setattr(email_preferences, "suppress", down)
    assert post_postmark(Client(), postmark_event("gone@example.org")).status_code == 503


def test_a_recipient_the_service_refuses_is_not_retried_for_ever():
    """Its "rejected" report arrives at the webhook instead; a send task retrying it would never succeed."""
    from outlet import settings as configured

    assert configured.ANYMAIL["IGNORE_RECIPIENT_STATUS"] is True


# --- Resend: Svix signatures (HMAC-SHA256 of "id.timestamp.body" with the whsec_ secret) ---

RESEND_KEY = b"resend-test-signing-key-32-bytes"
RESEND_SECRET = "whsec_" + base64.b64encode(RESEND_KEY).decode()


def post_resend(client: Client, recipient: str, *, key: bytes = RESEND_KEY, bounce_type: str = "Permanent"):
    body = json.dumps(
        {
            "type": "email.bounced",
            "created_at": "2026-12-06T12:00:00.000Z",
            "data": {
                "email_id": "56761188-7520-42d8-8898-ff6fc54ce618",
                "from": "members@news.example.org",
                "to": [recipient],
                "subject": "Your membership",
                "bounce": {
                    "message": "The recipient's email provider sent a hard bounce message.",
                    "subType": "General",
                    "type": bounce_type,
                },
            },
        }
    ).encode()
    message_id, timestamp = f"msg_{uuid.uuid4().hex}", str(int(time.time()))
    digest = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return client.post(
        "/email/webhooks/resend/tracking/",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=_basic(),
        HTTP_SVIX_ID=message_id,
        HTTP_SVIX_TIMESTAMP=timestamp,
        HTTP_SVIX_SIGNATURE="v1," + base64.b64encode(digest).decode(),
    )


def test_resend_signed_bounces_suppress_and_forged_ones_do_not(settings):
    settings.ANYMAIL = SECRETS | {"RESEND_SIGNING_SECRET": RESEND_SECRET}
    assert post_resend(Client(), "victim@example.org", key=b"another-key-of-the-same-length!!").status_code == 400
    assert post_resend(Client(), "full@example.org", bounce_type="Transient").status_code == 200
    assert not SuppressedAddress.objects.exists()
    assert post_resend(Client(), "gone@example.org").status_code == 200
    assert SuppressedAddress.objects.get().address == "gone@example.org"


@pytest.mark.parametrize(
    ("esp_name", "raw", "hard"),
    [
        ("Brevo", {"event": "hard_bounce"}, True),
        ("Brevo", {"event": "soft_bounce"}, False),
        ("Mailjet", {"event": "bounce", "hard_bounce": True}, True),
        ("Mailjet", {"event": "bounce", "hard_bounce": False}, False),
        ("SparkPost", {"msys": {"message_event": {"type": "bounce", "bounce_class": "10"}}}, True),
        ("SparkPost", {"msys": {"message_event": {"type": "bounce", "bounce_class": "22"}}}, False),
        ("SendGrid", {"event": "bounce", "type": "blocked"}, False),
        ("MailerSend", {"data": {"type": "hard_bounced"}}, True),
        ("Mailgun", {"event": "failed", "severity": "permanent"}, True),  # anymail already files temporary as deferred
    ],
)
def test_only_hard_bounces_suppress_whatever_the_service_calls_them(esp_name, raw, hard):
    from anymail.signals import AnymailTrackingEvent

    from outlet.common.email_tracking import on_tracking_event

    event = AnymailTrackingEvent(event_type="bounced", recipient="someone@example.org", esp_event=raw)
    on_tracking_event(sender=None, event=event, esp_name=esp_name)
    assert email_preferences.is_suppressed("someone@example.org") is hard


def test_only_the_tracking_webhooks_of_services_email_url_can_name_are_mounted():
    client = Client()
    assert client.post("/email/webhooks/mandrill/tracking/", {}).status_code == 404
    assert client.post("/email/webhooks/mailgun/inbound/", {}).status_code == 404
    assert client.get("/email/webhooks/postmark/tracking/").status_code == 405
    assert client.head("/email/webhooks/postmark/tracking/").status_code == 200  # services check with HEAD


def test_our_addresses_are_anymails_own_and_no_service_sdk_is_loaded_before_a_webhook_comes():
    """The views are imported on the first webhook (boto3 and svix cost every web process some 40 MB); the
    addresses and names must still be exactly anymail's, as the services are told them."""
    import subprocess
    import sys

    from anymail import urls as anymail_urls

    from outlet.common import email_tracking

    theirs = {
        p.name: (str(p.pattern), p.callback.view_class)
        for p in anymail_urls.urlpatterns
        if (p.name or "").removesuffix("_tracking_webhook") in email_tracking.TRACKED_SERVICES
    }
    ours = {p.name: str(p.pattern) for p in email_tracking.tracking_urls()}
    assert ours == {name: route for name, (route, _view) in theirs.items()}
    for name, (_route, view_class) in theirs.items():
        assert issubclass(email_tracking.tracking_view_class(name.removesuffix("_tracking_webhook")), view_class)
    loaded = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); import outlet.urls, sys; print('boto3' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "False"
