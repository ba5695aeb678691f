"""Publishing's addresses: the reader-facing pages and feeds (namespace "outlet"), and the site's robots.txt and
sitemap (no namespace). Mounted at the root by outlet/urls.py."""

from django.contrib.sitemaps.views import sitemap
from django.urls import include, path
from django.views.decorators.cache import cache_page

from outlet.publishing import feeds, views
from outlet.publishing.sitemaps import SITEMAPS

_sitemap_cached = cache_page(600)(sitemap)


def cached_sitemap(request, **kwargs):
    """The sitemap is cached per address, and its only parameter is the page (?p=2): any other query would make a
    cache entry of its own, so junk queries could fill the cache. Those get the sitemap built afresh."""
    if set(request.GET) <= {"p"}:
        return _sitemap_cached(request, **kwargs)
    return sitemap(request, **kwargs)


reading = (
    [
        path("", views.home, name="home"),
        path("articles/<slug:slug>/", views.article, name="article"),
        path("sections/<slug:slug>/", views.section, name="section"),
        path("sections/<slug:slug>/feed/", feeds.SectionFeed(), name="section_feed"),
        path("regions/<slug:slug>/", views.region, name="region"),
        path("topics/<slug:slug>/", views.tag, name="tag"),
        path("authors/<slug:slug>/", views.author, name="author"),
        path("feed/", feeds.LatestArticlesFeed(), name="feed_rss"),
        path("feed/atom/", feeds.LatestArticlesAtomFeed(), name="feed_atom"),
        path("prompts/<int:prompt_id>/dismiss/", views.dismiss_prompt, name="dismiss_prompt"),
    ],
    "outlet",
)


urlpatterns = [
    path("", include(reading)),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("sitemap.xml", cached_sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
]
