"""An edit made while the cache is down still shows once the cache is back: a Redis that kept its data must not
go on serving the pages it held from before the edit (an unpublished story stays unpublished)."""

from __future__ import annotations

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.test import Client

from outlet.publishing.models import Article
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


class CacheThatGoesAway(LocMemCache):
    """Keeps its data through an "outage", during which it answers as outlet/common/redis_cache.py does with Redis
    down."""

    down = False

    def get(self, key, default=None, version=None):
        return default if self.down else super().get(key, default, version)

    def get_many(self, keys, version=None):
        return {} if self.down else super().get_many(keys, version)

    def set(self, key, value, timeout=300, version=None):
        if not self.down:
            super().set(key, value, timeout, version)

    def set_many(self, data, timeout=300, version=None):
        return list(data) if self.down else super().set_many(data, timeout, version)

    def add(self, key, value, timeout=300, version=None):
        return False if self.down else super().add(key, value, timeout, version)


@pytest.fixture
def flaky_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": f"{__name__}.CacheThatGoesAway",
            "LOCATION": "content-outage",
            "KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"],
        }
    }
    CacheThatGoesAway.down = False
    yield CacheThatGoesAway
    CacheThatGoesAway.down = False


def test_a_story_unpublished_during_an_outage_is_not_served_from_the_old_cache_afterwards(flaky_cache):
    article = ArticleFactory(slug="retracted")
    assert Client().get("/articles/retracted/")["X-Page-Cache"] == "miss"
    assert Client().get("/articles/retracted/")["X-Page-Cache"] in {"hit", "front"}

    flaky_cache.down = True
    article.status = Article.Status.DRAFT
    article.save()
    assert Client().get("/articles/retracted/").status_code == 404, "read from the database during the outage"

    flaky_cache.down = False
    assert Client().get("/articles/retracted/").status_code == 404, "the page cached before the edit is gone"
