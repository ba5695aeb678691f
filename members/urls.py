from django.urls import path

from members import views

app_name = "members"
urlpatterns = [
    path("membership/", views.membership, name="membership"),
    path("membership/join/", views.join, name="join"),
    path("membership/join/continue/", views.join_continue, name="join_continue"),
    path("membership/welcome/<slug:reference>/", views.welcome, name="welcome"),
    path("accounts/membership/", views.account, name="account"),
    path("accounts/membership/change/", views.change_plan, name="change_plan"),
    path("accounts/membership/cancel/", views.set_renewal, {"renew": False}, name="cancel"),
    path("accounts/membership/resume/", views.set_renewal, {"renew": True}, name="resume"),
    path("accounts/membership/billing/", views.billing_portal, name="billing_portal"),
]
