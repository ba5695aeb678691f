"""The privacy app's Celery tasks: build a data export (handed over through the outbox), and two daily sweeps
(expired exports' files deleted; old provider payloads scrubbed). Tasks take ids and are safe to run twice."""

from __future__ import annotations

from celery import shared_task

from outlet.common import outbox
from outlet.privacy import services


@shared_task(acks_late=True, ignore_result=True)
@outbox.completes_outbox_task
def build_export(export_id: int, key: str) -> bool:
    return services.build_export(export_id=export_id)


@shared_task(acks_late=True, ignore_result=True)
def expire_exports() -> int:
    return services.expire_exports()


@shared_task(acks_late=True, ignore_result=True)
def scrub_old_webhook_payloads() -> int:
    return services.scrub_old_webhook_payloads()
