from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from outlet.publishing.media_views import serve_media
from outlet.web import health

urlpatterns = [
    path("", include("outlet.publishing.urls")),  # also robots.txt and sitemap.xml
    path("", include("members.urls")),
    path("payments/", include("outlet.payments.urls")),
    path("", include("donations.urls")),
    path("", include("outlet.receipts.urls")),
    path("admin/revenue/", include("outlet.dashboard.urls")),
    path("admin/", admin.site.urls),
    # Staff enrolment (outlet/staff/urls.py) must stay above allauth's: it stands in front of allauth's setup page.
    path("accounts/2fa/", include("outlet.staff.urls")),
    path("accounts/", include("allauth.urls")),
    path("healthz", health.healthz, name="healthz"),
]
if settings.SERVE_MEDIA:
    urlpatterns.append(re_path(r"^media/(?P<path>.*)$", serve_media))

handler404 = "outlet.publishing.views.page_not_found"
handler500 = "outlet.publishing.views.server_error"
