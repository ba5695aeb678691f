"""Celery tasks for newsletters: they take ids, acknowledge late, and are safe to run twice (claims are exclusive)."""

from celery import shared_task
from django.conf import settings

from outlet.newsletters import sending, services


@shared_task(name="outlet.newsletters.tasks.send_newsletter", acks_late=True)
def send_newsletter(send_id: int) -> str:
    """Send for a while, then hand over to a fresh task (short tasks: a deploy or a kill loses little)."""
    try:
        outcome = sending.run(send_id)
    except sending.TransientSendError:
        # The mail server went away: the batch's unsent rows were put back; try again in a little while.
        send_newsletter.apply_async(args=[send_id], countdown=30)
        return "retry"
    if outcome == sending.MORE:
        send_newsletter.apply_async(args=[send_id])
    elif outcome == sending.WAIT:
        # Rows another worker holds: theirs to finish, or ours once their claim goes stale.
        send_newsletter.apply_async(args=[send_id], countdown=min(60, settings.NEWSLETTER_CLAIM_TIMEOUT))
    return outcome


@shared_task(name="outlet.newsletters.tasks.dispatch_due_sends", acks_late=True)
def dispatch_due_sends() -> int:
    return services.dispatch_due_sends()
