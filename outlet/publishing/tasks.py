from celery import shared_task

from outlet.publishing import services


# The name it was registered under before it moved here: the beat schedule and any message already queued use it.
@shared_task(name="outlet.tasks.publish_due_articles", acks_late=True)
def publish_due_articles() -> int:
    return services.publish_due_articles()
