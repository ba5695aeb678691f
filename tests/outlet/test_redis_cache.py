"""In production the page cache and healthz use the real Redis."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import ArticleFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_anonymous_article_pages_are_cached_in_redis(real_postgres, real_redis, settings):
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    article = ArticleFactory()
    before = set(real_redis.scan_iter(f"{settings.CACHES['default']['KEY_PREFIX']}*"))

    assert Client().get(article.get_absolute_url())["X-Page-Cache"] == "miss"

    added = set(real_redis.scan_iter(f"{settings.CACHES['default']['KEY_PREFIX']}*")) - before
    assert any(b"article-page" in key for key in added)
    assert Client().get(article.get_absolute_url())["X-Page-Cache"] == "hit"


def test_healthz_is_green_against_postgres_and_redis(real_postgres, real_redis):
    body = Client().get("/healthz").json()
    assert body["status"] == "ok", body
