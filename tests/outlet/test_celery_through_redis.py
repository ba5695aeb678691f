"""A task sent through the real Redis broker is run by a real worker process and changes PostgreSQL."""

from __future__ import annotations

import pytest
from django.utils import timezone

from outlet.celery import app as celery_app
from outlet.publishing.models import Article
from outlet.publishing.tasks import publish_due_articles
from tests.conftest import wait_for
from tests.factories import ArticleFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_scheduled_article_is_published_by_the_worker(celery_worker_process):
    due = ArticleFactory(status=Article.Status.SCHEDULED, published_at=timezone.now() - timezone.timedelta(minutes=1))
    later = ArticleFactory(status=Article.Status.SCHEDULED, published_at=timezone.now() + timezone.timedelta(days=1))
    assert celery_app.conf.broker_url.startswith("redis://")

    publish_due_articles.apply_async(queue=celery_worker_process["queue"])

    def due_is_published() -> bool:
        due.refresh_from_db()
        return due.status == Article.Status.PUBLISHED

    wait_for(due_is_published, message="the worker to publish the due article")
    later.refresh_from_db()
    assert later.status == Article.Status.SCHEDULED
    assert "publish_due_articles" in celery_worker_process["log"].read_text()
