"""Every response carries a strict Content-Security-Policy and a Permissions-Policy, and the templates need nothing
the policy blocks (tests/e2e/test_content_security_policy.py proves the pages in Chromium)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from outlet.common.security_headers import admin_inline_script_hashes

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def policy(response) -> dict[str, list[str]]:
    directives = [part.strip().split() for part in response["Content-Security-Policy"].split(";") if part.strip()]
    return {name: sources for name, *sources in directives}


def test_pages_get_a_strict_policy_with_no_inline_code_no_eval_and_no_framing():
    for response in (Client().get("/"), Client().get("/no-such-page/"), Client().get("/accounts/login/")):
        found = policy(response)
        assert found["default-src"] == ["'self'"] and found["script-src"] == ["'self'"]
        assert found["style-src"] == ["'self'"] and found["img-src"] == ["'self'", "data:"]
        assert found["object-src"] == ["'none'"] and found["base-uri"] == ["'self'"]
        assert found["frame-ancestors"] == ["'none'"] and found["form-action"] == ["'self'"]
        assert "unsafe-inline" not in response["Content-Security-Policy"]
        assert "unsafe-eval" not in response["Content-Security-Policy"]


def test_features_no_page_uses_are_switched_off():
    header = Client().get("/")["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in header


def test_forms_may_lead_to_stripes_hosted_pages_only_when_stripe_takes_the_payments(settings):
    assert policy(Client().get("/"))["form-action"] == ["'self'"]  # the sandbox's pages are on this host
    settings.PAYMENT_PROVIDER = "stripe"
    assert policy(Client().get("/"))["form-action"] == [
        "'self'",
        "https://checkout.stripe.com",
        "https://billing.stripe.com",
    ]


def test_only_the_admin_allows_the_article_editors_import_map_and_only_by_its_hash(admin_client):
    from django_prose_editor.widgets import importmap

    editor = admin_client.get("/admin/outlet/article/add/")
    assert str(importmap.render()) in editor.content.decode()
    [import_map_hash] = admin_inline_script_hashes()
    assert policy(editor)["script-src"] == ["'self'", import_map_hash]
    assert "unsafe-inline" not in editor["Content-Security-Policy"]
    assert import_map_hash not in Client().get("/")["Content-Security-Policy"]


def test_the_self_contained_error_page_may_use_its_own_inline_stylesheet_and_nothing_else_may(rf):
    from outlet.common.security_headers import ContentSecurityPolicyMiddleware
    from outlet.publishing.views import server_error

    error_page = ContentSecurityPolicyMiddleware(server_error)(rf.get("/"))
    assert error_page.status_code == 500 and "<style>" in error_page.content.decode()
    assert policy(error_page)["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy(error_page)["script-src"] == ["'self'"]


# --- The templates carry no code the policy would block ----------------------------------------------------

INLINE_CODE = {
    "an inline <script>": re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:json|ld\+json)\")[^>]*>"),
    "a <style> element": re.compile(r"<style[\s>]"),
    "a style= attribute": re.compile(r"\sstyle=[\"']"),
    "an on…= handler": re.compile(r"\son[a-z]+=[\"']"),
    "a javascript: address": re.compile(r"[\"']javascript:", re.I),
}
# Emails are not web pages (no policy applies, and mail programs need inline styles); the 500 page carries its
# stylesheet on purpose (outlet/common/security_headers.py).
NOT_PAGES = ("templates/emails/", "templates/500.html")


def test_no_page_template_carries_inline_script_style_or_handlers():
    found = []
    for template in sorted((ROOT / "templates").rglob("*.html")):
        name = template.relative_to(ROOT).as_posix()
        if name.startswith(NOT_PAGES):
            continue
        text = template.read_text()
        found += [f"{name}: {what}" for what, pattern in INLINE_CODE.items() if pattern.search(text)]
    assert found == []


def test_no_python_module_builds_html_with_inline_style_or_handlers():
    found = []
    for module in sorted(
        [*ROOT.glob("outlet/**/*.py"), *ROOT.glob("members/**/*.py"), *ROOT.glob("donations/**/*.py")]
    ):
        text = module.read_text()
        for what in ("a style= attribute", "an on…= handler"):
            if INLINE_CODE[what].search(text):
                found.append(f"{module.relative_to(ROOT)}: {what}")
    assert found == []
