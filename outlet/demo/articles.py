"""Every demo story, gathered from the story modules, and the stories written again in the site's other languages
(outlet.demo.translations_*); the loader matches them to existing rows by slug."""

from __future__ import annotations

from outlet.demo import (
    stories_armenia,
    stories_desk,
    stories_georgia,
    stories_neighbours,
    translations_az,
    translations_hy,
    translations_ka,
    translations_ru,
)
from outlet.demo.spec import DemoArticle, TranslatedArticle

ARTICLES: list[DemoArticle] = [
    *stories_georgia.STORIES,
    *stories_armenia.STORIES,
    *stories_neighbours.STORIES,
    *stories_desk.STORIES,
]

# Created after every original, each linked to its own (Article.translation_of).
TRANSLATIONS: list[TranslatedArticle] = [
    *translations_ka.STORIES,
    *translations_hy.STORIES,
    *translations_az.STORIES,
    *translations_ru.STORIES,
]
