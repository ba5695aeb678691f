"""The demo newsroom `make run` loads: one story carries a picture from the media library, placed as an editor
would, and loading twice changes nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from outlet.demo.loader import LIBRARY_STORY, load_demo_content
from outlet.publishing.models import Article, MediaImage

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_one_demo_story_shows_a_library_picture_with_its_caption(media):
    load_demo_content()
    load_demo_content()
    picture = MediaImage.objects.get()
    story = Article.objects.get(slug=LIBRARY_STORY)
    assert story.body.count("<figure") == 1 and f'src="{picture.file.url}"' in story.body
    page = Client().get(story.get_absolute_url()).content.decode()
    assert f'alt="{picture.alt_text}"' in page and picture.caption in page
