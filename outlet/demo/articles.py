"""Every demo story, gathered from the story modules; the loader matches them to existing rows by slug."""

from __future__ import annotations

from outlet.demo import stories_armenia, stories_desk, stories_georgia, stories_neighbours
from outlet.demo.spec import DemoArticle

ARTICLES: list[DemoArticle] = [
    *stories_georgia.STORIES,
    *stories_armenia.STORIES,
    *stories_neighbours.STORIES,
    *stories_desk.STORIES,
]
