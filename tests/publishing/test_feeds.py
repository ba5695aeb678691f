"""Feeds, sitemap and robots.txt are valid and list what the public may see."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.test import Client

from outlet.publishing.models import Article
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture
def stories():
    return [ArticleFactory(title=f"Story {i}", slug=f"story-{i}") for i in range(3)] + [
        ArticleFactory(title="Members story", slug="members-story", access=Article.Access.MEMBERS)
    ]


def test_rss_lists_live_articles_with_absolute_links(stories, settings):
    response = Client().get("/feed/")
    assert response["Content-Type"].startswith("application/rss+xml")
    channel = ET.fromstring(response.content).find("channel")
    items = channel.findall("item")
    assert {i.findtext("title") for i in items} == {a.title for a in stories}
    for item in items:
        assert item.findtext("link").startswith("http")
        assert item.findtext("pubDate")


def test_feeds_never_carry_member_only_text(stories):
    members_story = stories[-1]
    for url in ["/feed/", "/feed/atom/"]:
        body = Client().get(url).content.decode()
        assert f"{members_story.slug}-P1" not in body


def test_atom_feed_is_valid_atom(stories):
    root = ET.fromstring(Client().get("/feed/atom/").content)
    assert root.tag == f"{ATOM}feed"
    assert len(root.findall(f"{ATOM}entry")) == len(stories)


def test_sitemap_lists_live_articles_sections_and_authors(stories):
    root = ET.fromstring(Client().get("/sitemap.xml").content)
    locations = [u.findtext(f"{SITEMAP}loc") for u in root.findall(f"{SITEMAP}url")]
    for article in stories:
        assert any(loc.endswith(article.get_absolute_url()) for loc in locations)
    assert any("/sections/" in loc for loc in locations) and any("/authors/" in loc for loc in locations)


def test_robots_txt_points_to_the_sitemap(settings):
    body = Client().get("/robots.txt").content.decode()
    assert f"Sitemap: {settings.SITE_URL}/sitemap.xml" in body
    assert "Disallow: /admin/" in body
