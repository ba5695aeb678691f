"""What the email service tells us after sending: hard bounces, spam complaints and unsubscribes.

Each service posts its own shape to its own address under /email/webhooks/ (anymail's views; they check the
signature or the basic-auth secret and normalise the event), and `on_tracking_event` turns the ones that matter
into our own records through outlet.common.email_preferences:

- a hard bounce, or a rejection because the address is invalid or bounced before → the address is suppressed
  ("bounced"): no newsletter, appeal or news goes to it again, while receipts and security codes still try;
- a spam complaint → suppressed ("complained");
- an unsubscribe at the service → a "no" to the topic the message was about (carried in its metadata), or to every
  optional topic when the message did not say.

Soft bounces, delays and rejections that are the sender's own doing (a blocked sending domain, a failed DMARC
check, an unconfirmed sender) change nothing: the reader did nothing wrong. A duplicated webhook finds the row
already there and changes nothing.

`tracking_urls` mounts only the tracking views, each behind `_guard`: a service whose webhook has no secret or
signing key configured answers 404 rather than letting anyone on the web suppress addresses, a bad signature is a
400 (anymail's), a body that cannot be read is a 400, and a database outage a 503 so the service retries."""

from __future__ import annotations

import functools
import importlib
import logging
import warnings
from collections.abc import Callable

from anymail.exceptions import AnymailError, AnymailInsecureWebhookWarning, AnymailWebhookValidationFailure
from anymail.signals import AnymailTrackingEvent, EventType, RejectReason
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.views.decorators.csrf import csrf_exempt

from outlet.common import email_preferences
from outlet.common.models import SuppressedAddress

logger = logging.getLogger(__name__)

# Views without a secret are refused below (404), so anymail's warning about them would only be noise.
warnings.filterwarnings("ignore", category=AnymailInsecureWebhookWarning)

_REJECTED_BECAUSE_OF_THE_ADDRESS = {RejectReason.BOUNCED, RejectReason.INVALID}


def _sparkpost_bounce_class(raw: dict) -> str:
    for event in (raw.get("msys") or {}).values():
        if isinstance(event, dict) and "bounce_class" in event:
            return str(event["bounce_class"])
    return ""


# anymail files some services' soft bounces (a full mailbox, a greylisting server) as "bounced" too; each service
# says which kind it was in its own words. A service not named here reports only hard bounces as "bounced".
_HARD_BOUNCE: dict[str, Callable[[dict], bool]] = {
    "Amazon SES": lambda raw: (raw.get("bounce") or {}).get("bounceType") == "Permanent",
    "Postmark": lambda raw: raw.get("Type") not in {"SoftBounce", "VirusNotification"},
    "Brevo": lambda raw: raw.get("event") != "soft_bounce",
    "MailerSend": lambda raw: (raw.get("data") or {}).get("type") != "soft_bounced",
    "Mailjet": lambda raw: bool(raw.get("hard_bounce")),
    "SendGrid": lambda raw: raw.get("type", "bounce") == "bounce",
    "Resend": lambda raw: ((raw.get("data") or {}).get("bounce") or {}).get("type", "Permanent") == "Permanent",
    "SparkPost": lambda raw: _sparkpost_bounce_class(raw) in {"10", "30"},  # invalid recipient, no such mailbox
}


def _is_hard_bounce(event: AnymailTrackingEvent, esp_name: str) -> bool:
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    rule = _HARD_BOUNCE.get(esp_name)
    return rule(raw) if rule else True


def on_tracking_event(sender, event: AnymailTrackingEvent, esp_name: str, **kwargs) -> None:
    """anymail's `tracking` signal: record what the reader's mailbox or the reader said. Idempotent."""
    address = email_preferences.normalise(event.recipient or "")
    if "@" not in address:
        return
    detail = " ".join(filter(None, [event.description, event.mta_response]))[:300]
    source = esp_name[:40]
    if event.event_type == EventType.BOUNCED and _is_hard_bounce(event, esp_name):
        _suppress(address, SuppressedAddress.Reason.BOUNCED, detail or "hard bounce", source)
    elif event.event_type == EventType.REJECTED and event.reject_reason in _REJECTED_BECAUSE_OF_THE_ADDRESS:
        _suppress(address, SuppressedAddress.Reason.BOUNCED, detail or f"rejected: {event.reject_reason}", source)
    elif event.event_type == EventType.REJECTED and event.reject_reason == RejectReason.SPAM:
        _suppress(address, SuppressedAddress.Reason.COMPLAINED, detail or "rejected: spam", source)
    elif event.event_type == EventType.COMPLAINED:
        _suppress(address, SuppressedAddress.Reason.COMPLAINED, detail or "marked as spam", source)
    elif event.event_type == EventType.UNSUBSCRIBED:
        _unsubscribe(address, event, source)


def _suppress(address: str, reason: str, detail: str, source: str) -> None:
    if email_preferences.suppress(address=address, reason=reason, detail=detail, source=source):
        logger.info("email to an address suppressed after %s reported it %s", source, reason)


def _unsubscribe(address: str, event: AnymailTrackingEvent, source: str) -> None:
    topic = (event.metadata or {}).get("topic") if isinstance(event.metadata, dict) else None
    topics = [topic] if isinstance(topic, str) and topic else [t.key for t in email_preferences.topics_for(address)]
    for key in topics:
        email_preferences.set_choice(address=address, topic=key, subscribed=False, source=f"{source} unsubscribe"[:40])


# --- The webhook addresses -------------------------------------------------------------------------------


@functools.cache
def _ses_view_class() -> type:
    from anymail.webhooks.amazon_ses import AmazonSESTrackingWebhookView

    class SESTrackingWebhookView(AmazonSESTrackingWebhookView):
        """anymail's SES view checks the basic auth and that the SNS headers match the body; this also refuses any
        SNS topic but the ones named in EMAIL_SES_SNS_TOPIC_ARNS, so another AWS account's topic pointed at us (with
        a leaked secret) is still refused. With no topic named, production refuses every SES notification."""

        def validate_request(self, request):
            allowed = getattr(settings, "EMAIL_SES_SNS_TOPIC_ARNS", [])
            topic = self._parse_sns_message(request).get("TopicArn", "")
            if not allowed and getattr(settings, "IS_PRODUCTION", False):
                raise AnymailWebhookValidationFailure("EMAIL_SES_SNS_TOPIC_ARNS names no topic")
            if allowed and topic not in allowed:
                raise AnymailWebhookValidationFailure(f"SNS topic {topic!r} is not one this site subscribed to")

    return SESTrackingWebhookView


def _guard(load_view_class: Callable[[], type]) -> Callable[..., HttpResponse]:
    @csrf_exempt
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        view_class = load_view_class()
        try:
            view = view_class()
        except (ImproperlyConfigured, AnymailError):
            return HttpResponse("This site does not use that email service.", status=404, content_type="text/plain")
        if view.warn_if_no_basic_auth and not view.basic_auth:
            return HttpResponse("Webhook not configured.", status=404, content_type="text/plain")
        view.setup(request, *args, **kwargs)
        try:
            return view.dispatch(request, *args, **kwargs)
        except ImproperlyConfigured:  # a key the view asks for only when a request comes (Mailgun's, Mandrill's…)
            return HttpResponse("Webhook not configured.", status=404, content_type="text/plain")
        except AnymailWebhookValidationFailure:
            logger.warning("%s webhook refused: bad signature or secret", view.esp_name)
            return HttpResponse("Bad signature.", status=400, content_type="text/plain")
        except DatabaseError:
            logger.exception("%s webhook could not be recorded; the service will retry", view.esp_name)
            return HttpResponse("Try again later.", status=503, content_type="text/plain")
        except (AnymailError, ValueError, KeyError, TypeError, AttributeError):
            logger.warning("%s webhook body could not be read", view.esp_name, exc_info=True)
            return HttpResponse("Unreadable event.", status=400, content_type="text/plain")

    return guarded


# The services EMAIL_URL can name (outlet/common/email_config.py), by anymail's name for their webhooks, with the
# module and class of anymail's tracking view. Imported on the first webhook, not at start: anymail's full URL list
# pulls in every service's SDK (boto3, svix, ...), some 40 MB in every web process for services the site may not use.
TRACKING_VIEWS = {
    "amazon_ses": ("amazon_ses", "AmazonSESTrackingWebhookView"),
    "brevo": ("brevo", "BrevoTrackingWebhookView"),
    "mailersend": ("mailersend", "MailerSendTrackingWebhookView"),
    "mailgun": ("mailgun", "MailgunTrackingWebhookView"),
    "mailjet": ("mailjet", "MailjetTrackingWebhookView"),
    "postmark": ("postmark", "PostmarkTrackingWebhookView"),
    "resend": ("resend", "ResendTrackingWebhookView"),
    "sendgrid": ("sendgrid", "SendGridTrackingWebhookView"),
    "sparkpost": ("sparkpost", "SparkPostTrackingWebhookView"),
}
TRACKED_SERVICES = frozenset(TRACKING_VIEWS)


def tracking_view_class(service: str) -> type:
    if service == "amazon_ses":
        return _ses_view_class()
    module, name = TRACKING_VIEWS[service]
    return getattr(importlib.import_module(f"anymail.webhooks.{module}"), name)


def tracking_urls() -> list[URLPattern]:
    """The tracking webhook of every service EMAIL_URL can name (e.g. /email/webhooks/postmark/tracking/), named
    as anymail names them, each guarded; the inbound-mail ones are left out: the site receives no mail."""
    return [
        path(
            f"{service}/tracking/",
            _guard(functools.partial(tracking_view_class, service)),
            name=f"{service}_tracking_webhook",
        )
        for service in sorted(TRACKING_VIEWS)
    ]
