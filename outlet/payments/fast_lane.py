"""Provider webhooks answered without the reader-facing middleware.

Profiling the intake (bench/webhook_intake.md) put a third of a stored event's web-process time in Django's request
handling around the view: sessions, locale, CSRF, auth, messages and allauth's middleware, none of which a payment
provider's POST uses (no cookies, no language, CSRF-exempt, no user). This sits right under the security-header and
static-file middleware and hands such a POST straight to the intake view; anything else (another method, an address
that is not exactly /payments/webhooks/<provider>/) goes the usual way, so 404s and 405s read as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from outlet.payments.views import webhook

_WEBHOOK_PATH = re.compile(r"\A/payments/webhooks/(?P<provider_id>[-a-zA-Z0-9_]+)/\Z")


class WebhookFastLane:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST":
            match = _WEBHOOK_PATH.match(request.path_info)
            if match is not None:
                return webhook(request, match["provider_id"])
        return self.get_response(request)
