"""An Editor does the whole publishing job in the admin with the Editor role alone (no superuser)."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.test import Client

from outlet.publishing.models import Article, Prompt
from outlet.staff.roles import EDITOR, FINANCE, MEMBERSHIP_MANAGER
from tests.donations.conftest import make_campaign
from tests.factories import ArticleFactory, TierFactory, UserFactory

pytestmark = pytest.mark.django_db


def signed_in(role: str) -> Client:
    user = UserFactory(username=role.lower().replace(" ", "-"), is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(user)  # with the second factor (tests.staff)
    return client


def test_an_editor_publishes_drafts_from_the_list():
    draft = ArticleFactory(status=Article.Status.DRAFT, published_at=None, title="Night buses return")
    editor = signed_in(EDITOR)

    response = editor.post(
        "/admin/outlet/article/", {"action": "publish_now", "_selected_action": [draft.pk]}, follow=True
    )

    assert "Published 1 article(s)." in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Article.Status.PUBLISHED and draft.published_at is not None


def test_an_editor_writes_a_fundraiser_prompt_naming_a_campaign():
    campaign = make_campaign()
    editor = signed_in(EDITOR)
    form_page = editor.get("/admin/outlet/prompt/add/").content.decode()
    assert f'<option value="{campaign.pk}">' in form_page
    assert "/admin/donations/campaign/add/" not in form_page  # sees campaigns, may not create them

    response = editor.post(
        "/admin/outlet/prompt/add/",
        {
            "name": "Safety fund, end of article",
            "placement": Prompt.Placement.END_OF_ARTICLE,
            "is_active": "on",
            "priority": "5",
            "headline_en": "Keep reporters safe",  # each language has its copy; English is the one required
            "body_en": "Three newsrooms, one appeal.",
            "cta_label_en": "Give",
            "cta_url": "/membership/",
            "show_to_anonymous": "on",
            "show_to_free": "on",
            "after_paragraph": "4",
            "campaign": campaign.pk,
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    prompt = Prompt.objects.get(name="Safety fund, end of article")
    assert prompt.campaign == campaign
    assert LogEntry.objects.filter(object_id=str(prompt.pk), action_flag=1).exists()  # in the prompt's History


def test_an_editor_limits_an_article_to_a_tier_with_the_tier_picker():
    TierFactory(name="Insider", slug="insider")
    ArticleFactory(title="Briefing")
    editor = signed_in(EDITOR)

    response = editor.get(
        "/admin/autocomplete/",
        {"app_label": "outlet", "model_name": "article", "field_name": "allowed_tiers", "term": "Ins"},
    )

    assert response.status_code == 200
    assert [result["text"] for result in response.json()["results"]] == ["Insider"]
    assert editor.get("/admin/members/tier/").status_code == 200  # may look tiers up ...
    assert editor.get("/admin/members/tier/add/").status_code == 403  # ... never create or price them


@pytest.mark.parametrize("role", [MEMBERSHIP_MANAGER, FINANCE])
def test_the_revenue_team_does_not_touch_articles_or_prompts(role):
    article = ArticleFactory()
    client = signed_in(role)
    assert client.get("/admin/outlet/article/").status_code == 403
    assert (
        client.post("/admin/outlet/article/", {"action": "unpublish", "_selected_action": [article.pk]}).status_code
        == 403
    )
    assert client.get("/admin/outlet/prompt/add/").status_code == 403
    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED
