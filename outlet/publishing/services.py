"""Publishing rules that admin actions and tasks share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from outlet.publishing.body import has_readable_text
from outlet.publishing.content_cache import bump_content_version
from outlet.publishing.models import Article


def publish_due_articles(*, now: datetime | None = None) -> int:
    """Scheduled articles are already visible once due; this makes their status say so for staff."""
    now = now or timezone.now()
    updated = Article.objects.filter(status=Article.Status.SCHEDULED, published_at__lte=now).update(
        status=Article.Status.PUBLISHED, updated_at=now
    )
    if updated:
        bump_content_version()
    return updated


@dataclass(frozen=True)
class Published:
    count: int
    without_text: list[str]  # titles of the chosen stories left unpublished: they have no text yet


def publish_now(*, article_ids: list[int], now: datetime | None = None) -> Published:
    """A story with no text is never published, whoever asks (the admin's form refuses it too: Article.clean)."""
    now = now or timezone.now()
    chosen = (
        Article.objects.filter(pk__in=article_ids).exclude(status=Article.Status.PUBLISHED).only("pk", "title", "body")
    )
    ready: list[Article] = []
    without_text: list[Article] = []
    for article in chosen:
        (ready if has_readable_text(article.body) else without_text).append(article)
    drafts = Article.objects.filter(pk__in=[article.pk for article in ready]).exclude(status=Article.Status.PUBLISHED)
    # "Publish now" means now: a missing or future date is replaced, an earlier one (a correction) is kept.
    updated = drafts.filter(Q(published_at__isnull=True) | Q(published_at__gt=now)).update(
        status=Article.Status.PUBLISHED, published_at=now, updated_at=now
    )
    updated += drafts.filter(published_at__lte=now).update(status=Article.Status.PUBLISHED, updated_at=now)
    if updated:
        bump_content_version()
    return Published(updated, [article.title for article in without_text])


def unpublish(*, article_ids: list[int]) -> int:
    """Takes stories down at once: the page cache is keyed by content version, which this replaces."""
    updated = (
        Article.objects.filter(pk__in=article_ids)
        .exclude(status=Article.Status.DRAFT)
        .update(status=Article.Status.DRAFT, updated_at=timezone.now())
    )
    if updated:
        bump_content_version()
    return updated
