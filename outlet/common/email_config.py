"""How the site sends email, from one `EMAIL_URL`: plain SMTP or an email service (ESP) through django-anymail.

The newsroom must be able to move from one sender to another by changing one line of configuration, never code:
every message is built by outlet.common.emails the same way whichever backend carries it. The parser is strict:
an unknown scheme, a missing key or a stray option is an error at start-up naming what would have worked, because
an email setting that is silently wrong loses receipts.

    smtp://user:pass@host:25          smtp+tls://user:pass@host:587 (STARTTLS)     smtp+ssl://user:pass@host:465
    mailgun://API_KEY@mg.example.org[?region=eu]     postmark://SERVER_TOKEN@[?message_stream=outbound]
    ses://[ACCESS_KEY:SECRET@]?region=eu-west-1[&configuration_set=NAME]
    brevo://API_KEY@   resend://API_KEY@   sendgrid://API_KEY@   sparkpost://API_KEY@[?region=eu]
    mailjet://API_KEY:SECRET_KEY@   mailersend://API_TOKEN@
    console://   file:///path/to/folder   memory://    (local and tests only; also filemail:// etc. as before)

Keys and passwords are URL-encoded where they hold characters such as @ / : ? #.
Only services that carry a message's metadata are offered (an unsubscribe reported by the service names the topic
it came from through it). Settings for the tracking webhooks (bounces, complaints) come from `webhook_settings`,
each from the environment or a `*_FILE`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_SMTP = {"smtp": (False, False), "smtp+tls": (True, False), "smtp+ssl": (False, True), "smtps": (False, True)}
_LOCAL = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "memory": "django.core.mail.backends.locmem.EmailBackend",
}
# scheme -> (anymail backend, settings prefix inside ANYMAIL, the options its query string may carry)
_ESPS: dict[str, tuple[str, str, frozenset[str]]] = {
    "mailgun": ("anymail.backends.mailgun.EmailBackend", "MAILGUN", frozenset({"region"})),
    "postmark": ("anymail.backends.postmark.EmailBackend", "POSTMARK", frozenset({"message_stream"})),
    "ses": ("anymail.backends.amazon_ses.EmailBackend", "AMAZON_SES", frozenset({"region", "configuration_set"})),
    "brevo": ("anymail.backends.brevo.EmailBackend", "BREVO", frozenset()),
    "resend": ("anymail.backends.resend.EmailBackend", "RESEND", frozenset()),
    "sendgrid": ("anymail.backends.sendgrid.EmailBackend", "SENDGRID", frozenset()),
    "sparkpost": ("anymail.backends.sparkpost.EmailBackend", "SPARKPOST", frozenset({"region"})),
    "mailjet": ("anymail.backends.mailjet.EmailBackend", "MAILJET", frozenset()),
    "mailersend": ("anymail.backends.mailersend.EmailBackend", "MAILERSEND", frozenset()),
}
# Other spellings accepted, django-environ's among them (filemail:// is what the test workers are given).
_ALIASES = {
    "amazon_ses": "ses",
    "amazon-ses": "ses",
    "sendinblue": "brevo",
    "filemail": "file",
    "consolemail": "console",
    "memorymail": "memory",
}
SUPPORTED_SCHEMES = (*_SMTP, *_ESPS, *_LOCAL)
LOCAL_SCHEMES = frozenset(_LOCAL)


def _fail(message: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"EMAIL_URL: {message}")


def scheme_of(url: str) -> str:
    scheme = urlsplit(url.strip()).scheme.lower()
    return _ALIASES.get(scheme, scheme)


def email_settings(url: str) -> dict[str, Any]:
    """The Django settings one EMAIL_URL stands for: EMAIL_BACKEND plus either the EMAIL_HOST… family or ANYMAIL.
    Never touches the network."""
    raw = (url or "").strip()
    if "://" not in raw:
        raise _fail(
            f"not a URL: expected e.g. smtp+tls://user:pass@host:587 (supported: {', '.join(SUPPORTED_SCHEMES)})"
        )
    parts = urlsplit(raw)
    scheme = scheme_of(raw)
    options = {key: values[-1] for key, values in parse_qs(parts.query, keep_blank_values=True).items()}
    user, password = unquote(parts.username or ""), unquote(parts.password or "")
    if scheme in _SMTP:
        return _smtp(parts, scheme, user, password, options)
    if scheme in _LOCAL:
        _no_options(scheme, options, frozenset())
        result: dict[str, Any] = {"EMAIL_BACKEND": _LOCAL[scheme]}
        if scheme == "file":
            if not parts.path or parts.path == "/":
                raise _fail("file:// needs a folder, e.g. file:///var/mail/outlet")
            result["EMAIL_FILE_PATH"] = parts.path
        return result
    if scheme in _ESPS:
        return _esp(parts, scheme, user, password, options)
    raise _fail(f"unknown scheme {parts.scheme!r}; supported: {', '.join(SUPPORTED_SCHEMES)}")


def _no_options(scheme: str, options: dict[str, str], allowed: frozenset[str]) -> None:
    unknown = sorted(set(options) - allowed)
    if unknown:
        allowed_text = ", ".join(sorted(allowed)) or "none"
        raise _fail(f"{scheme}:// does not take {', '.join(unknown)} (it takes: {allowed_text})")


def _smtp(parts, scheme: str, user: str, password: str, options: dict[str, str]) -> dict[str, Any]:
    _no_options(scheme, options, frozenset())
    if not parts.hostname:
        raise _fail(f"{scheme}:// needs a host, e.g. {scheme}://user:pass@smtp.example.org:587")
    use_tls, use_ssl = _SMTP[scheme]
    try:
        port = parts.port or (465 if use_ssl else 587 if use_tls else 25)
    except ValueError as error:
        raise _fail(f"the port is not a number ({error})") from None
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port,
        "EMAIL_HOST_USER": user,
        "EMAIL_HOST_PASSWORD": password,
        "EMAIL_USE_TLS": use_tls,
        "EMAIL_USE_SSL": use_ssl,
        "ANYMAIL": {},
    }


def _esp(parts, scheme: str, user: str, password: str, options: dict[str, str]) -> dict[str, Any]:
    backend, prefix, allowed = _ESPS[scheme]
    _no_options(scheme, options, allowed)
    host = parts.hostname or ""
    anymail: dict[str, Any] = {}

    def need_key(example: str) -> str:
        if not user:
            raise _fail(f"{scheme}:// needs its key before the @, e.g. {example}")
        return user

    if scheme == "mailgun":
        anymail["MAILGUN_API_KEY"] = need_key("mailgun://API_KEY@mg.example.org")
        if host:
            anymail["MAILGUN_SENDER_DOMAIN"] = host
        region = options.get("region", "")
        if region not in {"", "us", "eu"}:
            raise _fail("mailgun:// region is us or eu")
        if region == "eu":
            anymail["MAILGUN_API_URL"] = "https://api.eu.mailgun.net/v3"
    elif scheme == "postmark":
        anymail["POSTMARK_SERVER_TOKEN"] = need_key("postmark://SERVER_TOKEN@")
        if options.get("message_stream"):
            anymail["POSTMARK_MESSAGE_STREAM"] = options["message_stream"]
    elif scheme == "ses":
        if not options.get("region"):
            raise _fail("ses:// needs ?region=, e.g. ses://?region=eu-west-1")
        client: dict[str, Any] = {"region_name": options["region"]}
        if user or password:
            if not (user and password):
                raise _fail("ses:// takes both ACCESS_KEY:SECRET@ or neither (then boto3 finds credentials itself)")
            client |= {"aws_access_key_id": user, "aws_secret_access_key": password}
        anymail["AMAZON_SES_CLIENT_PARAMS"] = client
        if options.get("configuration_set"):
            anymail["AMAZON_SES_CONFIGURATION_SET_NAME"] = options["configuration_set"]
    elif scheme == "mailjet":
        if not (user and password):
            raise _fail("mailjet:// needs API_KEY:SECRET_KEY@")
        anymail |= {"MAILJET_API_KEY": user, "MAILJET_SECRET_KEY": password}
    elif scheme == "sparkpost":
        anymail["SPARKPOST_API_KEY"] = need_key("sparkpost://API_KEY@")
        region = options.get("region", "")
        if region not in {"", "us", "eu"}:
            raise _fail("sparkpost:// region is us or eu")
        if region == "eu":
            anymail["SPARKPOST_API_URL"] = "https://api.eu.sparkpost.com/api/v1"
    else:
        key_name = {"mailersend": "API_TOKEN"}.get(scheme, "API_KEY")
        anymail[f"{prefix}_{key_name}"] = need_key(f"{scheme}://{key_name}@")
    return {"EMAIL_BACKEND": backend, "ANYMAIL": anymail}


# Webhook secrets: (environment variable, ANYMAIL setting). Each may also come from VARIABLE_FILE.
WEBHOOK_SECRETS = (
    ("EMAIL_WEBHOOK_SECRET", "WEBHOOK_SECRET"),  # "user:password" basic auth, every ESP
    ("EMAIL_MAILGUN_WEBHOOK_SIGNING_KEY", "MAILGUN_WEBHOOK_SIGNING_KEY"),
    ("EMAIL_RESEND_SIGNING_SECRET", "RESEND_SIGNING_SECRET"),
    ("EMAIL_MAILERSEND_SIGNING_SECRET", "MAILERSEND_SIGNING_SECRET"),
    ("EMAIL_SENDGRID_WEBHOOK_VERIFICATION_KEY", "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY"),
)


def webhook_settings(read: Callable[[str], str | None]) -> dict[str, Any]:
    """ANYMAIL settings for the tracking webhooks. `read(name)` returns a secret from NAME or NAME_FILE.
    EMAIL_WEBHOOK_SECRET is `user:password` (anymail's basic auth); several may be given, comma-separated, while
    one is rotated."""
    result: dict[str, Any] = {}
    for variable, setting in WEBHOOK_SECRETS:
        value = (read(variable) or "").strip()
        if not value:
            continue
        if setting == "WEBHOOK_SECRET":
            secrets = [item.strip() for item in value.split(",") if item.strip()]
            if any(":" not in item for item in secrets):
                raise ImproperlyConfigured(
                    "EMAIL_WEBHOOK_SECRET is user:password (basic auth), e.g. outlet:long-random"
                )
            result[setting] = secrets
        else:
            result[setting] = value
    return result


def sns_topics(raw: str | None) -> list[str]:
    """EMAIL_SES_SNS_TOPIC_ARNS: the only SNS topics whose notifications the SES webhook accepts."""
    topics = [item.strip() for item in (raw or "").split(",") if item.strip()]
    for topic in topics:
        if not topic.startswith("arn:aws:sns:"):
            raise ImproperlyConfigured(f"EMAIL_SES_SNS_TOPIC_ARNS: {topic!r} is not an SNS topic ARN (arn:aws:sns:…)")
    return topics
