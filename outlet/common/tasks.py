from celery import shared_task

from outlet.common import outbox


# The name it was registered under before it moved here: the beat schedule and any message already queued use it.
@shared_task(name="outlet.tasks.sweep_outbox", acks_late=True, ignore_result=True)
def sweep_outbox() -> int:
    return outbox.sweep()
