from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path, re_path
from django.views.decorators.cache import cache_page

from outlet import feeds, health, views
from outlet.media_views import serve_media
from outlet.sitemaps import SITEMAPS

_sitemap_cached = cache_page(600)(sitemap)


def cached_sitemap(request, **kwargs):
    """The sitemap is cached per address, and its only parameter is the page (?p=2): any other query would make a
    cache entry of its own, so junk queries could fill the cache. Those get the sitemap built afresh."""
    if set(request.GET) <= {"p"}:
        return _sitemap_cached(request, **kwargs)
    return sitemap(request, **kwargs)


publishing = (
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
    path("", include(publishing)),
    path("", include("members.urls")),
    path("payments/", include("outlet.payments.urls")),
    path("", include("donations.urls")),
    path("", include("donations.receipt_urls")),
    path("admin/revenue/", include("outlet.dashboard.urls")),
    path("admin/", admin.site.urls),
    # Staff enrolment (outlet/staff/urls.py) must stay above allauth's: it stands in front of allauth's setup page.
    path("accounts/2fa/", include("outlet.staff.urls")),
    path("accounts/", include("allauth.urls")),
    path("healthz", health.healthz, name="healthz"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("sitemap.xml", cached_sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
]
if settings.SERVE_MEDIA:
    urlpatterns.append(re_path(r"^media/(?P<path>.*)$", serve_media))

handler404 = "outlet.views.page_not_found"
handler500 = "outlet.views.server_error"
