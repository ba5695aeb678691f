"""The revenue dashboard: one admin page for the revenue team with recurring revenue, members, churn and
fundraising, each with a chart and the exact numbers (made in outlet/dashboard/figures.py)."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from outlet.dashboard.figures import build_revenue_dashboard

PERMISSION = "payments.view_revenue_dashboard"


@require_GET
def revenue_dashboard(request):
    """Wrapped in admin.site.admin_view (outlet/dashboard/urls.py): staff sign-in and the admin's two-factor rule first,
    then this permission."""
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    context = {
        **admin.site.each_context(request),
        "title": _("Revenue dashboard"),
        "dashboard": build_revenue_dashboard(now=timezone.now()),
    }
    return TemplateResponse(request, "admin/revenue/dashboard.html", context)
