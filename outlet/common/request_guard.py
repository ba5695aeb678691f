"""Requests that carry a NUL byte are refused before any view sees them.

No address, query or form on this site can hold a NUL, and PostgreSQL refuses one in text ("PostgreSQL text fields
cannot contain NUL (0x00) bytes"): one that reached a query was a 500 — the admin's list filters, for one, pass
query values straight to the database. So a NUL in the path, the query string or a form field (its name or value;
uploaded files' contents are left alone) is a 400 that says what was wrong, whichever view it was meant for. A
body that is not a form (a provider's JSON webhook) is its view's to judge.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

NUL = "\x00"


def _any_nul(fields) -> bool:
    return any(NUL in name or any(NUL in value for value in values) for name, values in fields.lists())


def _form_is_readable(request: HttpRequest, view) -> bool:
    """Reading a form here must not take the body away from its view. An urlencoded body stays readable after
    parsing; a multipart one is consumed, which CSRF protection does anyway, except for views exempt from it (the
    webhook intake reads its body raw)."""
    if request.content_type == "application/x-www-form-urlencoded":
        return True
    return request.content_type == "multipart/form-data" and not getattr(view, "csrf_exempt", False)


class RefuseNulBytesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if NUL in request.path_info or _any_nul(request.GET):
            return _refuse(request)
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view, args, kwargs) -> HttpResponse | None:
        if request.method == "POST" and _form_is_readable(request, view) and _any_nul(request.POST):
            return _refuse(request)
        return None


def _refuse(request: HttpRequest) -> HttpResponse:
    # Translators: %(nul)s is "%00", how a NUL byte is written in a web address.
    reason = _("The address or the form sent to it contains a NUL character (%(nul)s), which no page here accepts.") % {
        "nul": "%00"
    }
    return render(request, "400.html", {"reason": reason}, status=400)
