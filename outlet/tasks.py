from celery import shared_task

from outlet import outbox, services


@shared_task(acks_late=True)
def publish_due_articles() -> int:
    return services.publish_due_articles()


@shared_task(acks_late=True, ignore_result=True)
def sweep_outbox() -> int:
    return outbox.sweep()
