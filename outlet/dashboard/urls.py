"""Mounted at /admin/revenue/ (outlet/urls.py) behind the admin's own sign-in."""

from django.contrib import admin
from django.urls import path

from outlet.dashboard import views as dashboard

app_name = "revenue"

urlpatterns = [
    path("", admin.site.admin_view(dashboard.revenue_dashboard), name="dashboard"),
]
