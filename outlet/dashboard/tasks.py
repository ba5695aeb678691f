from celery import shared_task
from django.utils import timezone

from outlet.dashboard import figures


@shared_task(name="outlet.dashboard.tasks.keep_figures_fresh", ignore_result=True)
def keep_figures_fresh() -> bool:
    """Run by beat every minute (outlet/celery.py). Skipped runs cost nothing: the page makes what it misses."""
    return figures.keep_figures_fresh(now=timezone.now())
