"""Celery tasks of the payment pipeline. They take ids and call services; every one is safe to run twice."""

from celery import shared_task

from outlet.payments import services


@shared_task(acks_late=True, ignore_result=True)  # type: ignore[untyped-decorator]  # celery ships no type hints
def process_webhook_event(webhook_event_pk: int) -> str:
    # A failure is recorded on the event and retried by requeue_stuck_events, with a bound on attempts.
    return services.process_webhook_event(webhook_event_pk=webhook_event_pk)


@shared_task(acks_late=True, ignore_result=True)  # type: ignore[untyped-decorator]  # celery ships no type hints
def process_webhook_events(webhook_event_pks: list[int]) -> int:
    """The events one commit of the intake stored, in one message. Each is processed as process_webhook_event does; a
    failure is recorded on its event (retried by the sweep) and does not keep the others from being processed."""
    failed = 0
    for pk in webhook_event_pks:
        try:
            services.process_webhook_event(webhook_event_pk=pk)
        except Exception:  # noqa: BLE001  # logged and recorded on the event by the service
            failed += 1
    return failed


@shared_task(acks_late=True, ignore_result=True)  # type: ignore[untyped-decorator]  # celery ships no type hints
def requeue_stuck_events() -> int:
    return services.requeue_stuck_events()


@shared_task(acks_late=True, ignore_result=True)  # type: ignore[untyped-decorator]  # celery ships no type hints
def reconcile_provider_events() -> int:
    return services.reconcile_provider_events()
