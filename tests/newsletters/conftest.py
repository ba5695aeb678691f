from __future__ import annotations

import pytest

from outlet.newsletters.models import Newsletter, NewsletterSend, SendStory
from tests.factories import ArticleFactory, TierFactory


@pytest.fixture
def supporter(db):
    return TierFactory(name="Supporter", slug="supporter")


@pytest.fixture
def weekly(supporter):
    """The Weekly: anyone may sign up; Supporter members get it unless they say no."""
    newsletter = Newsletter.objects.create(name="The Weekly", slug="weekly", language="en", description="Sundays.")
    newsletter.tiers.add(supporter)
    return newsletter


def make_issue(newsletter: Newsletter, *, subject: str = "This week", stories=None) -> NewsletterSend:
    send = NewsletterSend.objects.create(
        newsletter=newsletter, subject=subject, introduction="<p>Hello from the <strong>desk</strong>.</p>"
    )
    for position, article in enumerate(stories if stories is not None else [ArticleFactory()]):
        SendStory.objects.create(send=send, article=article, position=position)
    return send
