from django.urls import path

from outlet.payments import views
from outlet.payments.providers.sandbox import views as sandbox_views

app_name = "payments"
urlpatterns = [
    path("webhooks/<slug:provider_id>/", views.webhook, name="webhook"),
    path("sandbox/checkout/<slug:session_id>/", sandbox_views.checkout, name="sandbox_checkout"),
    path("sandbox/portal/<slug:portal_id>/", sandbox_views.portal, name="sandbox_portal"),
]
