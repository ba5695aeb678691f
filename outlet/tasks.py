from celery import shared_task

from outlet import services


@shared_task(acks_late=True)
def publish_due_articles() -> int:
    return services.publish_due_articles()
