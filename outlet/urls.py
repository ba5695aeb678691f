from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path, re_path

from outlet.publishing.media_views import serve_media
from outlet.web import health, language

# Every page a person reads exists in each language: English at the root, the others under /ka/, /hy/, /az/, /ru/.
urlpatterns = i18n_patterns(
    path("", include("outlet.publishing.urls")),  # also robots.txt and sitemap.xml
    path("", include("members.urls")),
    # Webhooks live here too; providers post to the English (unprefixed) address.
    path("payments/", include("outlet.payments.urls")),
    path("", include("donations.urls")),
    path("", include("outlet.receipts.urls")),
    path("admin/revenue/", include("outlet.dashboard.urls")),
    path("admin/", admin.site.urls),
    # Staff enrolment (outlet/staff/urls.py) must stay above allauth's: it stands in front of allauth's setup page.
    path("accounts/2fa/", include("outlet.staff.urls")),
    path("accounts/language/", language.language_setting, name="account_language"),
    path("", include("outlet.privacy.urls")),  # accounts/privacy/… (above allauth's accounts/), privacy/, terms/
    path("accounts/", include("allauth.urls")),
    prefix_default_language=False,
)
urlpatterns += [
    path("language/<str:code>/", language.choose_language, name="choose_language"),
    path("healthz", health.healthz, name="healthz"),
]
if settings.SERVE_MEDIA:
    urlpatterns.append(re_path(r"^media/(?P<path>.*)$", serve_media))

handler404 = "outlet.publishing.views.page_not_found"
handler500 = "outlet.publishing.views.server_error"
