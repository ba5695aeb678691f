"""Whatever HTML reaches an article body, no script ever reaches a reader."""

from __future__ import annotations

import pytest
from django.test import Client

from outlet.common.sanitize import sanitize_body
from outlet.publishing.models import Article
from tests.factories import ArticleFactory, SectionFactory

pytestmark = pytest.mark.django_db

HOSTILE = (
    "<p>Opening paragraph.</p>"
    "<script>alert('x')</script>"
    '<p><img src="x" onerror="alert(1)">Caption</p>'
    '<p><a href="javascript:alert(2)">click</a> and <a href="https://example.org/" onclick="steal()">ok</a></p>'
    '<iframe src="https://evil.example/"></iframe>'
    '<p style="background:url(javascript:alert(3))">Styled</p>'
)


def assert_clean(html: str) -> None:
    lowered = html.lower()
    for needle in ["<script", "alert(", "onerror", "onclick", "javascript:", "<iframe", "evil.example"]:
        assert needle not in lowered, needle


def test_the_sanitiser_keeps_story_markup_and_drops_the_rest():
    cleaned = sanitize_body(HOSTILE + "<h2>Sub</h2><blockquote><p>Quote</p></blockquote><ul><li>Item</li></ul>")
    assert_clean(cleaned)
    for kept in [
        "<p>Opening paragraph.</p>",
        "<h2>Sub</h2>",
        "<blockquote>",
        "<li>Item</li>",
        'href="https://example.org/"',
    ]:
        assert kept in cleaned


def test_a_body_written_straight_to_the_database_is_cleaned_on_the_page():
    article = ArticleFactory(body=HOSTILE)
    html = Client().get(article.get_absolute_url()).content.decode()
    assert "Opening paragraph." in html
    article_part = html[html.index("Opening paragraph.") :]
    assert_clean(article_part)


def admin_add_article(client, body: str):
    return client.post(
        "/admin/outlet/article/add/",
        {
            "title": "From the editor",
            "slug": "from-the-editor",
            "body": body,
            "section": SectionFactory().pk,
            "status": "draft",
            "access": "public",
            "language": "en",
            "bylines-TOTAL_FORMS": "0",
            "bylines-INITIAL_FORMS": "0",
        },
    )


def test_the_admin_editor_stores_a_clean_body(admin_client):
    response = admin_add_article(admin_client, HOSTILE.replace('<img src="x" onerror="alert(1)">', ""))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert_clean(Article.objects.get(slug="from-the-editor").body)


def test_the_admin_editor_refuses_a_hostile_picture_out_loud(admin_client):
    response = admin_add_article(admin_client, HOSTILE)
    assert response.status_code == 200
    assert (
        response.context["adminform"]
        .form.errors["body"][0]
        .startswith("A picture in the story is not from the media library (x).")
    )
    assert not Article.objects.exists()


def test_the_admin_uses_the_rich_text_editor(admin_client):
    html = admin_client.get("/admin/outlet/article/add/").content.decode()
    assert "django_prose_editor" in html


# --- Pictures: only from our own media library, always with a description ----------------------------------------

LIBRARY_PICTURE = '<img src="/media/library/2026/01/miners.jpg" alt="Miners at the gate" data-file="7">'


def test_a_library_picture_with_a_description_is_kept_and_loads_lazily():
    cleaned = sanitize_body(
        f'<figure class="figure">{LIBRARY_PICTURE}<figcaption class="figure-caption">The morning '
        "shift. Photo: Nino K.</figcaption></figure><p>Text.</p>"
    )
    assert cleaned == (
        '<figure class="figure"><img src="/media/library/2026/01/miners.jpg" alt="Miners at the gate" loading="lazy" '
        'decoding="async" data-file="7"><figcaption class="figure-caption">The morning shift. Photo: Nino K.'
        "</figcaption></figure><p>Text.</p>"
    )
    assert sanitize_body(cleaned) == cleaned  # cleaning again on render changes nothing


def test_a_picture_gets_the_size_it_is_given_and_keeps_only_a_whole_size():
    sized = sanitize_body(LIBRARY_PICTURE, image_sizes={"/media/library/2026/01/miners.jpg": (1600, 900)})
    assert 'width="1600" height="900"' in sized
    assert "width" not in sanitize_body(LIBRARY_PICTURE.replace("<img", '<img width="100%" height="50"'))
    assert 'width="800" height="450"' in sanitize_body(LIBRARY_PICTURE.replace("<img", '<img width="800" height="450"'))


@pytest.mark.parametrize(
    "src",
    [
        "https://evil.example/tracker.gif",  # another site's picture (a tracking pixel)
        "//evil.example/media/library/a.jpg",  # protocol-relative
        "javascript:alert(1)",
        "data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+",
        "/media/authors/someone.jpg",  # ours, but not the library
        "/media/library/../../admin/logout/",  # out of the library's folder
        "/media/library/%2e%2e/%2E%2e/admin/",
        "/media/library/a.jpg?next=/admin/",
        "/media/library/",
    ],
)
def test_a_picture_from_anywhere_but_the_library_is_dropped(src):
    cleaned = sanitize_body(
        f'<p>Before.</p><figure><img src="{src}" alt="Looks fine"><figcaption>Caption'
        "</figcaption></figure><p>After.</p>"
    )
    assert cleaned == "<p>Before.</p><p>After.</p>"  # the caption goes with its picture


@pytest.mark.parametrize("alt", ["", "   ", None])
def test_a_library_picture_without_a_description_is_dropped(alt):
    img = '<img src="/media/library/2026/01/miners.jpg"' + ("" if alt is None else f' alt="{alt}"') + ">"
    assert sanitize_body(f"<p>Text.</p>{img}") == "<p>Text.</p>"


def test_a_library_picture_carries_no_script_or_style():
    cleaned = sanitize_body(
        '<figure class="figure wide" style="float:left" onclick="steal()"><img src="/media/library/a.jpg" '
        'alt="x&quot; onerror=&quot;alert(1)" onerror="alert(2)" onload="alert(3)" style="width:9999px" '
        'srcset="https://evil.example/a.jpg 2x" data-file="javascript:alert(4)" class="x" title="t"></figure>'
    )
    # The description's quotes stay inside the attribute: it is text, never markup.
    assert cleaned == (
        '<figure class="figure"><img src="/media/library/a.jpg" alt="x&quot; onerror=&quot;alert(1)" '
        'loading="lazy" decoding="async"></figure>'
    )


def test_fundraiser_stories_keep_their_text_only_editor():
    from django_prose_editor.fields import create_sanitizer

    from outlet.common.sanitize import BODY_EXTENSIONS

    assert "<img" not in create_sanitizer(BODY_EXTENSIONS)(f"<p>Give.</p>{LIBRARY_PICTURE}")
