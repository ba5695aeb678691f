"""Requests that carry a NUL byte are refused before any view sees them.

No address, query or form on this site can hold a NUL, and PostgreSQL refuses one in text ("PostgreSQL text fields
cannot contain NUL (0x00) bytes"): one that reached a query was a 500 — the admin's list filters, for one, pass
query values straight to the database. So a NUL in the path, the query string or a form field (its name or value;
uploaded files' contents are left alone) is a 400 that says what was wrong, whichever view it was meant for.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

NUL = "\x00"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def carries_nul(request: HttpRequest) -> bool:
    if NUL in request.path_info or _any_nul(request.GET):
        return True
    return request.method == "POST" and request.content_type in FORM_TYPES and _any_nul(request.POST)


def _any_nul(fields) -> bool:
    return any(NUL in name or any(NUL in value for value in values) for name, values in fields.lists())


class RefuseNulBytesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if carries_nul(request):
            return render(request, "400.html", {"reason": "The address or the form sent to it contains a NUL "
                                                          "character (%00), which no page here accepts."}, status=400)
        return self.get_response(request)
