"""Newsletter rules that views, the admin, tasks and the privacy part call: scheduling and sending an issue, the
test send, the due/stalled sweep, the sign-up with its double opt-in, and forgetting an address."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from kombu.exceptions import OperationalError

from outlet.common import email_preferences, emails
from outlet.common.client_address import limit_subject
from outlet.common.local_time import site_today
from outlet.newsletters import rendering
from outlet.newsletters.audience import READER, member_variant
from outlet.newsletters.models import Delivery, Newsletter, NewsletterSend

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

STALLED_AFTER = timedelta(minutes=2)  # a sending issue with no progress for this long is handed to a worker again
_CONFIRM_SALT = "outlet.newsletters.confirm"
CONFIRM_MAX_AGE = timedelta(days=7)


class NewsletterError(Exception):
    """A request staff cannot make now (the issue is already out, the moment has passed...)."""


# --- Sending an issue -----------------------------------------------------------------------------------------


def _enqueue(send_id: int, *, copies: int = 1, countdown: float = 0) -> None:
    """After commit; a broker outage loses nothing: `dispatch_due_sends` finds the issue and hands it over again."""

    def hand_over() -> None:
        from outlet.newsletters.tasks import send_newsletter

        try:
            for _ in range(copies):
                send_newsletter.apply_async(args=[send_id], countdown=countdown)
        except (OperationalError, OSError):
            logger.warning("newsletter %s: broker unavailable; the sweep will start it", send_id)

    transaction.on_commit(hand_over)


def _check_ready(send: NewsletterSend) -> None:
    if not send.is_editable:
        raise NewsletterError("This issue has already been sent or cancelled.")
    if not send.newsletter.active:
        raise NewsletterError("This newsletter is switched off.")


def schedule_send(*, send: NewsletterSend, when: datetime, now: datetime | None = None) -> NewsletterSend:
    now = now or timezone.now()
    _check_ready(send)
    if when <= now:
        raise NewsletterError("Choose a moment in the future, or send it now.")
    send.status, send.scheduled_for = NewsletterSend.Status.SCHEDULED, when
    send.save(update_fields=["status", "scheduled_for"])
    return send


def send_now(*, send: NewsletterSend, now: datetime | None = None) -> bool:
    """Start sending; a second click (or a race with the scheduler) starts nothing more."""
    _check_ready(send)
    return _start(send.pk, now=now or timezone.now())


def _start(send_id: int, *, now: datetime) -> bool:
    started = NewsletterSend.objects.filter(
        pk=send_id, status__in=(NewsletterSend.Status.DRAFT, NewsletterSend.Status.SCHEDULED)
    ).update(status=NewsletterSend.Status.SENDING, started_at=now, last_progress_at=now)
    if started:
        _enqueue(send_id, copies=max(1, settings.NEWSLETTER_SEND_WORKERS))
    return bool(started)


def cancel_send(*, send: NewsletterSend) -> bool:
    """Stops a scheduled issue, or the rest of one being sent (what went out, went)."""
    return bool(
        NewsletterSend.objects.filter(
            pk=send.pk,
            status__in=(NewsletterSend.Status.SCHEDULED, NewsletterSend.Status.SENDING, NewsletterSend.Status.DRAFT),
        ).update(status=NewsletterSend.Status.CANCELLED, finished_at=timezone.now())
    )


def send_test(*, send: NewsletterSend, to: str, member_tier_id: int | None = None) -> None:
    """The issue as a reader (or a member of a tier) gets it, to one staff address, marked [Test]."""
    variant = member_variant(member_tier_id) if member_tier_id else READER
    parts = rendering.render_parts(send, variant)
    message = rendering.compose_issue(
        send, parts, to=to, delivery_id=f"test-{timezone.now().timestamp():.0f}", test=True
    )
    message.send()


def preview_html(*, send: NewsletterSend, variant: str, address: str) -> str:
    """The HTML part exactly as `variant` reads it (the footer's links made for `address`)."""
    message = rendering.compose_issue(send, rendering.render_parts(send, variant), to=address, delivery_id="preview")
    return str(message.alternatives[0][0])


def dispatch_due_sends(*, now: datetime | None = None) -> int:
    """Beat: start scheduled issues whose moment came, and hand stalled ones (lost task, dead worker) over again."""
    now = now or timezone.now()
    started = 0
    due = NewsletterSend.objects.filter(status=NewsletterSend.Status.SCHEDULED, scheduled_for__lte=now)
    for send_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            started += _start(send_id, now=now)
    stalled = NewsletterSend.objects.filter(status=NewsletterSend.Status.SENDING).filter(
        Q(last_progress_at__lt=now - STALLED_AFTER) | Q(last_progress_at=None)
    )
    for send_id in stalled.values_list("pk", flat=True):
        with transaction.atomic():
            NewsletterSend.objects.filter(pk=send_id).update(last_progress_at=now)
            _enqueue(send_id)
    return started


def forget_address(address: str) -> int:
    """For erasure (the privacy part): the address leaves no Delivery row behind. The issues' totals stay."""
    deleted, _ = Delivery.objects.filter(address=email_preferences.normalise(address)).delete()
    return deleted


def forget_addresses(addresses: Iterable[str]) -> int:
    return sum(forget_address(address) for address in {a for a in addresses if a})


def delivery_rows(addresses: Iterable[str]) -> Iterator[dict[str, Any]]:
    """For a person's export: each issue sent to them, when, and how it went."""
    wanted = {email_preferences.normalise(a) for a in addresses if a}
    deliveries = (
        Delivery.objects.filter(address__in=wanted)
        .select_related("send__newsletter")
        .order_by("pk")
        .iterator(chunk_size=500)
    )
    for delivery in deliveries:
        yield {
            "newsletter": delivery.send.newsletter.name,
            "subject": delivery.send.subject,
            "address": delivery.address,
            "status": delivery.status,
            "sent_at": delivery.sent_at.isoformat() if delivery.sent_at else "",
        }


# --- Sign-up from the site, with a double opt-in --------------------------------------------------------------


def signup_newsletters(language: str | None = None) -> list[Newsletter]:
    """Free newsletters anyone may sign up for, in this language first."""
    free = Newsletter.objects.filter(
        active=True, category=Newsletter.Category.NEWSLETTER, audience=Newsletter.Audience.ANYONE
    )
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    every = list(free)  # a handful: one query, then chosen here
    return [n for n in every if n.language == language] or [n for n in every if n.language == settings.LANGUAGE_CODE]


SIGNUP_BOX_SECONDS = 60


def signup_newsletters_cached() -> list[Newsletter]:
    """For the box on every signed-in reader's page (rendered each time, unlike the anonymous page): no query when
    the cache has the list; during a cache outage the query runs, the page still renders."""
    key = f"newsletters:signup-box:{translation.get_language() or settings.LANGUAGE_CODE}"
    try:
        found = cache.get(key)
    except Exception:
        found = None
    if isinstance(found, list):
        return found
    newsletters = signup_newsletters()
    try:
        cache.set(key, newsletters, SIGNUP_BOX_SECONDS)
    except Exception:
        logger.info("newsletter sign-up box: cache unavailable")
    return newsletters


def signup_allowed(*, client: str) -> bool:
    """At most NEWSLETTER_SIGNUPS_PER_HOUR sign-ups an hour from one connection. If the shared store is down the
    form still works: each address gets at most one confirmation a day per newsletter whatever the limit says."""
    key = f"newsletter-signups:{limit_subject(client)}:{int(timezone.now().timestamp() // 3600)}"
    try:
        cache.add(key, 0, 3600)
        count = int(cache.incr(key))
    except Exception:  # the cache is unreachable: degrade, never fail
        return True
    return bool(count <= settings.NEWSLETTER_SIGNUPS_PER_HOUR)


def confirm_token(*, address: str, newsletter: Newsletter) -> str:
    return signing.dumps({"a": email_preferences.normalise(address), "n": newsletter.slug}, salt=_CONFIRM_SALT)


def read_confirm_token(token: str) -> tuple[str, Newsletter] | None:
    try:
        value = signing.loads(token, salt=_CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("a"), str):
        return None
    newsletter = Newsletter.objects.filter(slug=value.get("n"), active=True).first()
    return (value["a"], newsletter) if newsletter else None


def request_signup(*, address: str, newsletter: Newsletter) -> bool:
    """Send the confirmation (once a day at most per address and newsletter); nothing is recorded until the owner
    of the address follows it. A suppressed address or one already subscribed gets nothing: the page says the same
    either way, so the form tells nobody who is subscribed."""
    address = email_preferences.normalise(address)
    if email_preferences.may_send(address=address, topic=newsletter.topic, default=False):
        return False
    if email_preferences.is_suppressed(address):
        return False
    with translation.override(newsletter.language):
        url = settings.SITE_URL.rstrip("/") + reverse(
            "newsletters:confirm", args=[confirm_token(address=address, newsletter=newsletter)]
        )
        try:
            return emails.newsletter_confirmation(
                key=f"newsletter-confirm:{newsletter.slug}:{address}:{site_today().isoformat()}",
                to=address,
                newsletter_name=newsletter.name,
                confirm_url=url,
            )
        except Exception:  # the mail server is down: the reader can ask again; the page must not fail
            logger.exception("newsletter confirmation to a reader could not be sent")
            return False


def confirm_signup(*, address: str, newsletter: Newsletter) -> User:
    """The owner of the address said yes: record it, and give them a free account (verified: the link proved the
    mailbox) if they have none, so they can sign in by emailed code and manage their emails."""
    email_preferences.set_choice(address=address, topic=newsletter.topic, subscribed=True, source="signup form")
    return ensure_account(address)


def ensure_account(address: str) -> User:
    from allauth.account.models import EmailAddress
    from allauth.utils import generate_unique_username
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    with transaction.atomic():
        user = user_model.objects.filter(email__iexact=address).order_by("pk").first()
        if user is None:
            user = user_model(username=generate_unique_username([address.split("@")[0], "reader"]), email=address)
            user.set_unusable_password()
            user.save()
        known = EmailAddress.objects.filter(user=user, email__iexact=address)
        if known.exists():
            known.update(verified=True)
        else:
            has_primary = EmailAddress.objects.filter(user=user, primary=True).exists()
            EmailAddress.objects.create(user=user, email=address, verified=True, primary=not has_primary)
    return user
