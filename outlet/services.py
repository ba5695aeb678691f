"""Publishing rules that admin actions and tasks share."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from outlet.content_cache import bump_content_version
from outlet.models import Article


def publish_due_articles(*, now: datetime | None = None) -> int:
    """Scheduled articles are already visible once due; this makes their status say so for staff."""
    now = now or timezone.now()
    updated = Article.objects.filter(status=Article.Status.SCHEDULED, published_at__lte=now).update(
        status=Article.Status.PUBLISHED, updated_at=now
    )
    if updated:
        bump_content_version()
    return updated


def publish_now(*, article_ids: list[int], now: datetime | None = None) -> int:
    now = now or timezone.now()
    drafts = Article.objects.filter(pk__in=article_ids).exclude(status=Article.Status.PUBLISHED)
    # "Publish now" means now: a missing or future date is replaced, an earlier one (a correction) is kept.
    updated = drafts.filter(Q(published_at__isnull=True) | Q(published_at__gt=now)).update(
        status=Article.Status.PUBLISHED, published_at=now, updated_at=now
    )
    updated += drafts.filter(published_at__lte=now).update(status=Article.Status.PUBLISHED, updated_at=now)
    if updated:
        bump_content_version()
    return updated


def unpublish(*, article_ids: list[int]) -> int:
    """Takes stories down at once: the page cache is keyed by content version, which this replaces."""
    updated = Article.objects.filter(pk__in=article_ids).exclude(status=Article.Status.DRAFT).update(
        status=Article.Status.DRAFT, updated_at=timezone.now()
    )
    if updated:
        bump_content_version()
    return updated
