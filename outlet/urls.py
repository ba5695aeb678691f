from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path, re_path
from django.views.decorators.cache import cache_page

from outlet import feeds, health, staff_enrolment_views, views
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
    path("", include("outlet.receipts.urls")),
    path("admin/revenue/", include("outlet.dashboard.urls")),
    path("admin/", admin.site.urls),
    # Staff accounts prove it is them before their first authenticator app (outlet/staff_enrolment_views.py); the
    # first route stands in front of allauth's setup page at the same address, so it must stay above allauth's.
    path("accounts/2fa/totp/activate/", staff_enrolment_views.activate_totp),
    path("accounts/2fa/staff-enrolment/", staff_enrolment_views.enrolment, name="staff_enrolment"),
    path("accounts/2fa/staff-enrolment/send/", staff_enrolment_views.send_code, name="staff_enrolment_send_code"),
    path(
        "accounts/2fa/staff-enrolment/link/<str:token>/",
        staff_enrolment_views.enrolment_link,
        name="staff_enrolment_link",
    ),
    path("accounts/", include("allauth.urls")),
    path("healthz", health.healthz, name="healthz"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("sitemap.xml", cached_sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
]
if settings.SERVE_MEDIA:
    urlpatterns.append(re_path(r"^media/(?P<path>.*)$", serve_media))

handler404 = "outlet.views.page_not_found"
handler500 = "outlet.views.server_error"
