"""Celery tasks of the payment pipeline. They take ids and call services; every one is safe to run twice."""

from celery import shared_task

from outlet.payments import services


@shared_task(acks_late=True, ignore_result=True)  # type: ignore[untyped-decorator]  # celery ships no type hints
def process_webhook_event(webhook_event_pk: int) -> str:
    # A failure is recorded on the event and retried by requeue_stuck_events, with a bound on attempts.
    return services.process_webhook_event(webhook_event_pk=webhook_event_pk)


@shared_task(acks_late=True, ignore_result=True)  # type: ignore[untyped-decorator]  # celery ships no type hints
def requeue_stuck_events() -> int:
    return services.requeue_stuck_events()


@shared_task(acks_late=True, ignore_result=True)  # type: ignore[untyped-decorator]  # celery ships no type hints
def reconcile_provider_events() -> int:
    return services.reconcile_provider_events()
