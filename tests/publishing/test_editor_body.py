"""A story readers can open always has words in it; a draft may start empty. And every publishing record has a name
staff can read in the admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.db import models
from django.test import Client
from django.utils import timezone

from outlet.publishing.models import EMPTY_BODY_MESSAGE, Article, MeteredRead
from outlet.staff.roles import EDITOR
from tests.factories import ArticleFactory, AuthorFactory, SectionFactory, UserFactory

pytestmark = pytest.mark.django_db

EMPTY_BODIES = ["", "<p></p>", "<p></p><p> &nbsp; </p>", "<p>\u200b</p>", "<h2></h2><p><br></p>"]


@pytest.fixture
def editor() -> Client:
    user = UserFactory(username="desk", is_staff=True)
    user.groups.add(Group.objects.get(name=EDITOR))
    client = Client()
    client.force_login(user)  # with the second factor (tests.staff)
    return client


def article_form(section, **changes) -> dict:
    author = AuthorFactory(name="Tamar K.")
    form = {
        "title": "Night buses return to the valley",
        "dek": "Drivers say the route will stay.",
        "slug": "night-buses-return",
        "body": "<p>The first bus left at midnight.</p>",
        "section": section.pk,
        "dateline": "Gyumri",
        "status": "published",
        "published_at_0": "2026-01-05",
        "published_at_1": "08:00:00",
        "access": "public",
        "language": "en",  # the form's language menu, as a browser posts it
        "bylines-TOTAL_FORMS": "1",
        "bylines-INITIAL_FORMS": "0",
        "bylines-0-author": author.pk,
        "bylines-0-role": "author",
        "bylines-0-position": "0",
    }
    return form | changes


@pytest.mark.parametrize("status", ["published", "scheduled"])
@pytest.mark.parametrize("body", EMPTY_BODIES)
def test_a_story_readers_can_open_is_refused_without_text(editor, status, body):
    response = editor.post("/admin/outlet/article/add/", article_form(SectionFactory(), status=status, body=body))

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors == {"body": [EMPTY_BODY_MESSAGE]}  # next to the body, and nothing else is wrong
    assert not Article.objects.exists()
    page = response.content.decode()
    assert "needs its text" in page
    # Everything else the editor typed is still in the form, byline included.
    for typed in ["Night buses return to the valley", "Drivers say the route will stay.", "Gyumri", "2026-01-05"]:
        assert typed in page
    assert response.context["inline_admin_formsets"][0].formset.forms[0]["author"].value() == str(
        form.data["bylines-0-author"]
    )


def test_a_story_with_text_is_published(editor):
    response = editor.post("/admin/outlet/article/add/", article_form(SectionFactory()))

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Article.objects.get().body == "<p>The first bus left at midnight.</p>"


@pytest.mark.parametrize("body", ["", "<p></p>"])
def test_a_draft_may_be_saved_empty(editor, body):
    response = editor.post(
        "/admin/outlet/article/add/",
        article_form(SectionFactory(), status="draft", body=body, published_at_0="", published_at_1=""),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Article.objects.get().body == ""


def test_an_empty_draft_cannot_be_switched_to_published(editor):
    draft = ArticleFactory(status=Article.Status.DRAFT, published_at=None, body="")
    form = article_form(SectionFactory(), slug=draft.slug, body="<p></p>")

    response = editor.post(f"/admin/outlet/article/{draft.pk}/change/", form)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"body": [EMPTY_BODY_MESSAGE]}
    draft.refresh_from_db()
    assert draft.status == Article.Status.DRAFT


def test_the_body_field_says_when_it_may_be_empty(editor):
    page = editor.get("/admin/outlet/article/add/").content.decode()
    assert "A draft may be saved empty; to publish or schedule it, the story needs text." in page


def test_publish_now_leaves_drafts_without_text_as_drafts(editor):
    written = ArticleFactory(status=Article.Status.DRAFT, published_at=None, title="Written")
    empty = ArticleFactory(status=Article.Status.DRAFT, published_at=None, title="Just a headline", body="<p></p>")

    response = editor.post(
        "/admin/outlet/article/", {"action": "publish_now", "_selected_action": [written.pk, empty.pk]}, follow=True
    )

    page = response.content.decode()
    assert "Published 1 article(s)." in page
    assert "Not published, the story has no text yet: “Just a headline”." in page
    written.refresh_from_db(), empty.refresh_from_db()
    assert (written.status, empty.status) == (Article.Status.PUBLISHED, Article.Status.DRAFT)


def test_every_publishing_record_has_a_readable_name():
    nameless = [
        model.__name__ for model in apps.get_app_config("outlet").get_models() if model.__str__ is models.Model.__str__
    ]
    assert nameless == []
    reader = UserFactory(username="nino", email="nino@example.org")
    read = MeteredRead.objects.create(
        user=reader, article=ArticleFactory(title="Night buses"), read_at=timezone.now() - timedelta(days=1)
    )
    assert str(read) == "nino read “Night buses”"
