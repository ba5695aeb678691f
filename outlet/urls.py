from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path, re_path

from outlet.common import email_tracking
from outlet.publishing.media_views import serve_media
from outlet.web import email_preferences, health, language

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
    path("accounts/emails/", email_preferences.account_email_preferences, name="account_email_preferences"),
    path("email/preferences/<str:token>/", email_preferences.email_preferences_by_link, name="email_preferences_link"),
    path("newsletters/", include("outlet.newsletters.urls")),
    path("email/unsubscribe/<str:token>/", email_preferences.unsubscribe, name="email_unsubscribe"),
    path("", include("outlet.privacy.urls")),  # accounts/privacy/… (above allauth's accounts/), privacy/, terms/
    path("accounts/", include("allauth.urls")),
    prefix_default_language=False,
)
urlpatterns += [
    path("language/<str:code>/", language.choose_language, name="choose_language"),
    path("healthz", health.healthz, name="healthz"),
    # The email service's bounce, complaint and unsubscribe reports (one address per service, in no language).
    path("email/webhooks/", include((email_tracking.tracking_urls(), "anymail"))),
]
if settings.SERVE_MEDIA:
    urlpatterns.append(re_path(r"^media/(?P<path>.*)$", serve_media))

handler404 = "outlet.publishing.views.page_not_found"
handler500 = "outlet.publishing.views.server_error"
