"""The demo newsroom's newsletters: The Weekly and one per other language, each with a sent issue of its own
language's stories; loading again changes nothing."""

from __future__ import annotations

import pytest
from django.conf import settings

from outlet.demo.loader import load_demo_content
from outlet.newsletters.models import Delivery, Newsletter, NewsletterSend

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_each_language_has_a_newsletter_with_a_sent_issue_and_a_second_load_adds_nothing(media):
    load_demo_content()
    weekly = Newsletter.objects.get(slug="weekly")
    assert weekly.name == "The Weekly" and weekly.language == "en" and weekly.tiers.filter(slug="supporter").exists()
    assert sorted(Newsletter.objects.values_list("language", flat=True)) == sorted(
        code for code, _ in settings.LANGUAGES
    )
    for newsletter in Newsletter.objects.all():
        [issue] = newsletter.sends.all()
        assert issue.status == NewsletterSend.Status.SENT and issue.sent_count == 3
        stories = [row.article for row in issue.story_rows.all()]
        assert stories and {story.language for story in stories} == {newsletter.language}
    counts = (Newsletter.objects.count(), NewsletterSend.objects.count(), Delivery.objects.count())
    assert "newsletter" in load_demo_content().summary()
    assert (Newsletter.objects.count(), NewsletterSend.objects.count(), Delivery.objects.count()) == counts
