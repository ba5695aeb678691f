"""One EMAIL_URL picks how mail leaves: each form configures the right backend and keys (no network), a typo is an
error naming what works, and plain SMTP really delivers, headers included, to a server started here."""

from __future__ import annotations

import socket

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from outlet.common import email_config, emails
from tests.outlet.test_settings import PRODUCTION_ENV, run_manage

ANYMAIL = "anymail.backends"


@pytest.mark.parametrize(
    ("url", "backend", "expected"),
    [
        (
            "smtp+tls://mailer:s%40cret@smtp.example.org:587",
            "django.core.mail.backends.smtp.EmailBackend",
            {
                "EMAIL_HOST": "smtp.example.org",
                "EMAIL_PORT": 587,
                "EMAIL_HOST_USER": "mailer",
                "EMAIL_HOST_PASSWORD": "s@cret",
                "EMAIL_USE_TLS": True,
                "EMAIL_USE_SSL": False,
            },
        ),
        (
            "smtp+ssl://mailer:pw@smtp.example.org",
            "django.core.mail.backends.smtp.EmailBackend",
            {"EMAIL_PORT": 465, "EMAIL_USE_SSL": True, "EMAIL_USE_TLS": False},
        ),
        ("smtp://relay.internal", "django.core.mail.backends.smtp.EmailBackend", {"EMAIL_PORT": 25}),
        (
            "mailgun://key-abc@mg.example.org",
            f"{ANYMAIL}.mailgun.EmailBackend",
            {"ANYMAIL": {"MAILGUN_API_KEY": "key-abc", "MAILGUN_SENDER_DOMAIN": "mg.example.org"}},
        ),
        (
            "mailgun://key-abc@mg.example.org?region=eu",
            f"{ANYMAIL}.mailgun.EmailBackend",
            {
                "ANYMAIL": {
                    "MAILGUN_API_KEY": "key-abc",
                    "MAILGUN_SENDER_DOMAIN": "mg.example.org",
                    "MAILGUN_API_URL": "https://api.eu.mailgun.net/v3",
                }
            },
        ),
        (
            "postmark://SERVER-TOKEN@",
            f"{ANYMAIL}.postmark.EmailBackend",
            {"ANYMAIL": {"POSTMARK_SERVER_TOKEN": "SERVER-TOKEN"}},
        ),
        (
            "postmark://T@?message_stream=broadcast",
            f"{ANYMAIL}.postmark.EmailBackend",
            {"ANYMAIL": {"POSTMARK_SERVER_TOKEN": "T", "POSTMARK_MESSAGE_STREAM": "broadcast"}},
        ),
        (
            "ses://?region=eu-west-1",
            f"{ANYMAIL}.amazon_ses.EmailBackend",
            {"ANYMAIL": {"AMAZON_SES_CLIENT_PARAMS": {"region_name": "eu-west-1"}}},
        ),
        (
            "ses://AKIA123:wJalr%2Fkey@?region=eu-central-1&configuration_set=outlet",
            f"{ANYMAIL}.amazon_ses.EmailBackend",
            {
                "ANYMAIL": {
                    "AMAZON_SES_CLIENT_PARAMS": {
                        "region_name": "eu-central-1",
                        "aws_access_key_id": "AKIA123",
                        "aws_secret_access_key": "wJalr/key",
                    },
                    "AMAZON_SES_CONFIGURATION_SET_NAME": "outlet",
                }
            },
        ),
        ("brevo://xkeysib-1@", f"{ANYMAIL}.brevo.EmailBackend", {"ANYMAIL": {"BREVO_API_KEY": "xkeysib-1"}}),
        ("resend://re_123@", f"{ANYMAIL}.resend.EmailBackend", {"ANYMAIL": {"RESEND_API_KEY": "re_123"}}),
        ("sendgrid://SG.x@", f"{ANYMAIL}.sendgrid.EmailBackend", {"ANYMAIL": {"SENDGRID_API_KEY": "SG.x"}}),
        (
            "sparkpost://k@?region=eu",
            f"{ANYMAIL}.sparkpost.EmailBackend",
            {"ANYMAIL": {"SPARKPOST_API_KEY": "k", "SPARKPOST_API_URL": "https://api.eu.sparkpost.com/api/v1"}},
        ),
        (
            "mailjet://pub:priv@",
            f"{ANYMAIL}.mailjet.EmailBackend",
            {"ANYMAIL": {"MAILJET_API_KEY": "pub", "MAILJET_SECRET_KEY": "priv"}},
        ),
        ("mailersend://mlsn.1@", f"{ANYMAIL}.mailersend.EmailBackend", {"ANYMAIL": {"MAILERSEND_API_TOKEN": "mlsn.1"}}),
        ("console://", "django.core.mail.backends.console.EmailBackend", {}),
        ("memory://", "django.core.mail.backends.locmem.EmailBackend", {}),
        (
            "filemail:///var/mail/outlet",
            "django.core.mail.backends.filebased.EmailBackend",
            {"EMAIL_FILE_PATH": "/var/mail/outlet"},
        ),
        (
            "file:///var/mail/outlet",
            "django.core.mail.backends.filebased.EmailBackend",
            {"EMAIL_FILE_PATH": "/var/mail/outlet"},
        ),
    ],
)
def test_each_email_url_configures_its_backend(url, backend, expected):
    result = email_config.email_settings(url)
    assert result["EMAIL_BACKEND"] == backend
    for key, value in expected.items():
        assert result[key] == value, key


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sendmail://localhost", "unknown scheme 'sendmail'; supported: smtp, smtp+tls"),
        ("postmark.example.org", "not a URL"),
        ("mailgun://@mg.example.org", "needs its key"),
        ("ses://", "needs ?region="),
        ("postmark://T@?stream=x", "does not take stream"),
        ("smtp+tls://", "needs a host"),
        ("mailgun://k@mg.example.org?region=asia", "region is us or eu"),
    ],
)
def test_a_wrong_email_url_is_an_error_that_says_what_works(url, message):
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL") as error:
        email_config.email_settings(url)
    assert message in str(error.value)


def test_webhook_secrets_and_the_email_url_come_from_the_environment_or_a_file(tmp_path):
    values = {"EMAIL_WEBHOOK_SECRET": "hooks:one, hooks:two", "EMAIL_MAILGUN_WEBHOOK_SIGNING_KEY": "mg-key"}
    result = email_config.webhook_settings(values.get)
    assert result == {"WEBHOOK_SECRET": ["hooks:one", "hooks:two"], "MAILGUN_WEBHOOK_SIGNING_KEY": "mg-key"}
    with pytest.raises(ImproperlyConfigured, match="user:password"):
        email_config.webhook_settings({"EMAIL_WEBHOOK_SECRET": "no-colon"}.get)

    secret = tmp_path / "email-url"
    script = (
        "from django.conf import settings; print(settings.EMAIL_BACKEND, settings.ANYMAIL['POSTMARK_SERVER_TOKEN'])"
    )
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "EMAIL_URL"} | {"EMAIL_URL_FILE": str(secret)}
    secret.write_text("postmark://pm-token-from-file@\n")
    result = run_manage("shell", "--verbosity", "0", "-c", script, env_overrides=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["anymail.backends.postmark.EmailBackend", "pm-token-from-file"]


def test_production_refuses_an_email_url_that_sends_nothing_and_names_a_bad_scheme():
    local = run_manage("check", env_overrides=PRODUCTION_ENV | {"EMAIL_URL": "console://"})
    assert local.returncode != 0 and "EMAIL_URL to send real email" in local.stderr
    wrong = run_manage("check", env_overrides=PRODUCTION_ENV | {"EMAIL_URL": "pigeon://coop"})
    assert wrong.returncode != 0 and "supported: smtp" in wrong.stderr


def test_production_with_an_email_service_passes_the_deploy_checklist():
    env = PRODUCTION_ENV | {
        "EMAIL_URL": "postmark://server-token@",
        "EMAIL_WEBHOOK_SECRET": "outlet:long-random-webhook-password",
    }
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env_overrides=env)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_plain_smtp_delivers_to_a_real_server_with_the_unsubscribe_headers():
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received = []

    class Keep(Message):
        def handle_message(self, message):
            received.append(message)

    with socket.socket() as probe:  # a free port on the loopback
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        smtp = email_config.email_settings(f"smtp://127.0.0.1:{port}")
        with override_settings(**{k: v for k, v in smtp.items() if k != "ANYMAIL"}):
            assert emails._send_once(
                key="appeal-smtp",
                kind="membership_ended",
                to="reader@example.org",
                context={"name": "Nino", "join_url": "https://news.example.org/membership/"},
                topic="fundraising",
            )
    finally:
        controller.stop()
    assert not mail.outbox  # it went through the socket, not the test outbox
    (message,) = received
    assert message["To"] == "reader@example.org"
    unsubscribe = "".join(message["List-Unsubscribe"].split())  # a long header arrives folded over two lines
    assert unsubscribe.startswith("<http") and "/email/unsubscribe/" in unsubscribe
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    parts = {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in message.walk()
        if not part.is_multipart()
    }
    assert "Nino" in parts["text/plain"] and 'lang="en"' in parts["text/html"]
