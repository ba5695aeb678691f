"""Whatever HTML reaches an article body, no script ever reaches a reader."""

from __future__ import annotations

import pytest
from django.test import Client

from outlet.models import Article
from outlet.sanitize import sanitize_body
from tests.factories import ArticleFactory, SectionFactory, UserFactory

pytestmark = pytest.mark.django_db

HOSTILE = (
    "<p>Opening paragraph.</p>"
    "<script>alert('x')</script>"
    '<p><img src="x" onerror="alert(1)">Caption</p>'
    '<p><a href="javascript:alert(2)">click</a> and <a href="https://example.org/" onclick="steal()">ok</a></p>'
    '<iframe src="https://evil.example/"></iframe>'
    "<p style=\"background:url(javascript:alert(3))\">Styled</p>"
)


def assert_clean(html: str) -> None:
    lowered = html.lower()
    for needle in ["<script", "alert(", "onerror", "onclick", "javascript:", "<iframe", "evil.example"]:
        assert needle not in lowered, needle


def test_the_sanitiser_keeps_story_markup_and_drops_the_rest():
    cleaned = sanitize_body(HOSTILE + "<h2>Sub</h2><blockquote><p>Quote</p></blockquote><ul><li>Item</li></ul>")
    assert_clean(cleaned)
    for kept in ["<p>Opening paragraph.</p>", "<h2>Sub</h2>", "<blockquote>", "<li>Item</li>", 'href="https://example.org/"']:
        assert kept in cleaned


def test_a_body_written_straight_to_the_database_is_cleaned_on_the_page():
    article = ArticleFactory(body=HOSTILE)
    html = Client().get(article.get_absolute_url()).content.decode()
    assert "Opening paragraph." in html
    article_part = html[html.index("Opening paragraph."):]
    assert_clean(article_part)


def test_the_admin_editor_stores_a_clean_body(admin_client):
    section = SectionFactory()
    response = admin_client.post(
        "/admin/outlet/article/add/",
        {
            "title": "From the editor", "slug": "from-the-editor", "body": HOSTILE, "section": section.pk,
            "status": "draft", "access": "public", "bylines-TOTAL_FORMS": "0", "bylines-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert_clean(Article.objects.get(slug="from-the-editor").body)


def test_the_admin_uses_the_rich_text_editor(admin_client):
    html = admin_client.get("/admin/outlet/article/add/").content.decode()
    assert "django_prose_editor" in html
