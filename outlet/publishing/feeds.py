"""RSS and Atom feeds. Items carry the standfirst only: full text stays behind the access rules."""

from __future__ import annotations

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import translation
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy

from outlet.publishing.models import Article, Section

FEED_ITEMS = 30


class LatestArticlesFeed(Feed):
    description = gettext_lazy("The latest reporting from the Caucasus.")

    def title(self, obj=None):
        return settings.SITE_NAME

    def link(self, obj=None):
        return reverse("outlet:home")

    def language(self, obj=None) -> str:  # type: ignore[override]  # Django calls it: each feed in its language
        return translation.get_language() or settings.LANGUAGE_CODE

    def items(self, obj=None):
        # Each language has its feed (/ka/feed/): the stories written in it.
        return Article.objects.live().in_language().for_listing()[:FEED_ITEMS]

    def item_title(self, item: Article) -> str:
        return item.title

    def item_description(self, item: Article) -> str:
        return item.dek

    def item_pubdate(self, item: Article):
        return item.published_at

    def item_updateddate(self, item: Article):
        return item.updated_at

    def item_author_name(self, item: Article) -> str:
        return ", ".join(a.name for a in item.authors())

    def item_categories(self, item: Article):
        return [item.section.name]


class LatestArticlesAtomFeed(LatestArticlesFeed):
    feed_type = Atom1Feed
    subtitle = LatestArticlesFeed.description


class SectionFeed(LatestArticlesFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Section, slug=slug)

    def title(self, obj=None):
        return f"{obj.name} — {settings.SITE_NAME}"

    def link(self, obj=None):
        return obj.get_absolute_url()

    def items(self, obj=None):
        return Article.objects.live().in_language().filter(section=obj).for_listing()[:FEED_ITEMS]
