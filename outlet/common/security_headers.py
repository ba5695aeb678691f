"""Content-Security-Policy and Permissions-Policy on every response (the policies themselves are in settings).

The policy is django-csp's, with three additions decided per response:
- forms may lead to the payment provider's hosted pages when that provider is in use (a browser applies form-action
  to the redirect a form's answer makes, so "Give" and "Update card" need them);
- the admin's article editor may use the two inline pieces it cannot do without, each allowed by its hash so that
  it and nothing else passes: django-prose-editor's import map (a `<script type="importmap">`, which cannot be a
  file) and the base stylesheet its editor (Tiptap) adds as a `<style>` element (without it, a space typed before
  bold text lands inside the bold);
- the self-contained 500 page may use the stylesheet it carries inline (it links no static files on purpose:
  whatever broke may be why we are here; it shows nothing a visitor sent).
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import reverse


@cache
def admin_inline_script_hashes() -> list[str]:
    """CSP hashes of the admin's inline import map, as the page renders it (static URLs included)."""
    from django_prose_editor.widgets import importmap

    # The import map renders as one <script> element (a change fails every admin page's tests).
    body = re.fullmatch(r"<script[^>]*>(.*)</script>", str(importmap.render()), re.S)[1]  # type: ignore[index]
    return [f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"]


# The stylesheet Tiptap injects (django-prose-editor 0.28). An upgrade that changes it shows as a CSP violation in
# tests/e2e/test_content_security_policy.py, whose message gives the new hash.
TIPTAP_BASE_STYLE_HASH = "'sha256-PlumsSlvJ7vvWzjqibGAYKq92O3y/4JTxWWsWJvyUYA='"


@cache
def admin_prefix() -> str:
    return reverse("admin:index")


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        additions: dict[str, list[str]] = {}
        provider_pages = settings.PAYMENT_PROVIDER_PAGES.get(settings.PAYMENT_PROVIDER, [])
        if provider_pages:
            additions["form-action"] = list(provider_pages)
        if request.path_info.startswith(admin_prefix()):
            additions["script-src"] = admin_inline_script_hashes()
            additions["style-src"] = [TIPTAP_BASE_STYLE_HASH]
        if response.status_code == 500:
            additions["style-src"] = [*additions.get("style-src", []), "'unsafe-inline'"]
        if additions:
            update = dict(parts.update or {})
            for directive, sources in additions.items():
                update[directive] = [*update.get(directive, []), *sources]
            parts.update = update
        return parts


class PermissionsPolicyMiddleware:
    """Turns off the browser features no page here uses (camera, microphone, location, payment requests, ...), so
    neither an injected script nor an embedded frame can ask for them."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = ", ".join(f"{feature}={allowed}" for feature, allowed in settings.PERMISSIONS_POLICY.items())

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.header and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = self.header
        return response
