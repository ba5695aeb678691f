from django.urls import path

from outlet.privacy import views

app_name = "privacy"
urlpatterns = [
    path("accounts/privacy/", views.account_privacy, name="account"),
    path("accounts/privacy/export/", views.request_export, name="request_export"),
    path("accounts/privacy/export/<int:pk>/download/", views.download, name="download"),
    path("accounts/privacy/delete/", views.delete_account, name="delete"),
    path("accounts/privacy/delete/confirm/", views.delete_confirm, name="delete_confirm"),
    path("privacy/erased/", views.deleted, name="deleted"),
    path("privacy/erase/<str:token>/", views.guest_erase, name="guest_erase"),
    path("privacy/erase/<str:token>/confirm/", views.guest_erase_confirm, name="guest_erase_confirm"),
    path("privacy/", views.legal_page, {"kind": "privacy"}, name="privacy_policy"),
    path("terms/", views.legal_page, {"kind": "terms"}, name="terms"),
]
