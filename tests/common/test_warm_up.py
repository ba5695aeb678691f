"""A web process does Django's first-request work when it starts (outlet.common.warm_up, called by outlet/wsgi.py):
its first reader or staff request no longer imports the views, builds the URL tables or compiles templates."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from urllib.parse import urlsplit

from tests.conftest import ROOT

# Run in a new interpreter: this test process has long since done all of it.
PROBE = """
import json, sys
from django.urls import resolvers

import outlet.wsgi  # what gunicorn imports

views_imported = "outlet.publishing.views" in sys.modules and "donations.views" in sys.modules

from django.conf import settings
from django.db import connection
from django.template import engines
from django.urls import get_resolver, reverse
from django.utils import translation

populated = []
original = resolvers.URLResolver._populate
def recording(self):
    populated.append(repr(self))
    return original(self)
resolvers.URLResolver._populate = recording
import re
compiled_patterns = []
original_compile = re._compiler.compile  # runs only when re's own cache has no such pattern yet
def recording_compile(pattern, flags=0):
    compiled_patterns.append(str(pattern))
    return original_compile(pattern, flags)
re._compiler.compile = recording_compile
for code, _name in settings.LANGUAGES:
    with translation.override(code):
        reverse("outlet:home")
        reverse("donations:campaign", kwargs={"slug": "a-fundraiser"})
        reverse("account_login")
with translation.override(settings.LANGUAGE_CODE):  # the staff pages have no language prefix
    reverse("admin:index")
    reverse("admin:members_membership_changelist")
    compiled_patterns.clear()
    reverse("admin:members_membership_change", args=[7])
    reverse("admin:donations_donation_history", args=[7])
    reverse("admin:app_list", kwargs={"app_label": "members"})
staff_patterns_compiled = list(compiled_patterns)

# A request through every middleware that needs no table (this database has none): the language switcher's link.
import traceback
from django.test import Client
lazily_compiled = []
def recording_lazy_compile(pattern, flags=0):
    if any(frame.filename.endswith("regex_helper.py") for frame in traceback.extract_stack()) or pattern == "^/":
        lazily_compiled.append(str(pattern))  # one of Django's module expressions, or the address table's root
    return original_compile(pattern, flags)
re._compiler.compile = recording_lazy_compile
switched = Client(HTTP_ACCEPT_LANGUAGE="ka,en;q=0.8").get("/language/ka/?next=/ka/")
re._compiler.compile = original_compile
from outlet.common import security_headers
from outlet.publishing import reader_pass
from outlet.common import release
from outlet.common.postgresql import base as opened_ahead
from outlet.common.redis_cache import shared_connection_pools
loader = engines["django"].engine.template_loaders[0]
expected = (
    "base.html",
    "outlet/article.html",
    "admin/base_site.html",
    "admin/index.html",
    "admin/change_list.html",
    "admin/change_list_results.html",
    "admin/change_form.html",
    "admin/delete_confirmation.html",
    "emails/_layout.html",
)
print(json.dumps({
    "views_imported": views_imported,
    "populated_by_reverse": populated,
    "compiled": sorted(name for name in expected if name in getattr(loader, "get_template_cache", {})),
    "languages": sorted(translation.trans_real._translations),
    "database_connection_opened": connection.connection is not None,
    "database_connection_opened_ahead": "default" in opened_ahead._opened_ahead,
    "cache_connections_opened": sum(pool._created_connections for pool in shared_connection_pools()),
    "staff_patterns_compiled_by_reverse": staff_patterns_compiled,
    "reader_check_addresses_ready": reader_pass.reader_page_addresses.cache_info().currsize == 1,
    "release_fingerprint_ready": release.code_fingerprint.cache_info().currsize == 1,
    "request_status": switched.status_code,
    "compiled_on_a_request": lazily_compiled,
    "staff_script_hashes_ready": security_headers.admin_inline_script_hashes.cache_info().currsize == 1,
    "originals_compiled": sorted(
        key.split("-")[0] for key in getattr(loader, "get_template_cache", {}) if "-" in key
    ),
    "first_request_modules_missing": [
        name
        for name in (
            "django.template.context_processors",
            "outlet.web.context_processors",
            "django.contrib.messages.storage.fallback",
            "django.contrib.sessions.serializers",
            "allauth.account.authentication",
            *(f"django.conf.locale.{code}.formats" for code in ("en", "ka", "az", "ru")),  # Django has none for hy
        )
        if name not in sys.modules
    ],
    "staff_model_templates_not_looked_up": [
        name
        for name in (
            "admin/members/membership/change_list_results.html",
            "admin/members/change_list_results.html",
            "admin/donations/donation/change_list.html",
            "admin/donations/donation/submit_line.html",
        )
        if name not in getattr(loader, "get_template_cache", {})
    ],
}))
"""


def probe(**environment: str) -> dict:
    env = os.environ | {"DJANGO_SETTINGS_MODULE": "outlet.settings"}
    if env.get("DATABASE_URL", "").startswith("postgres"):
        # A database that exists: DATABASE_URL names one that the tests never create (they use test_<name>).
        env["DATABASE_URL"] = urlsplit(env["DATABASE_URL"])._replace(path="/postgres").geturl()
    env |= environment
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_wsgi_module_leaves_no_first_request_work():
    found = probe()
    assert found["views_imported"]
    assert found["populated_by_reverse"] == []  # every language's tables, namespaces included, were built at start
    # The pages' templates and the admin's that every staff list and form uses; not the emails' (the worker renders
    # those) nor the admin's rarer pages.
    assert found["compiled"] == [
        "admin/base_site.html",
        "admin/change_form.html",
        "admin/change_list.html",
        "admin/change_list_results.html",
        "admin/index.html",
        "base.html",
        "outlet/article.html",
    ]
    assert {"en", "ka", "hy", "az", "ru"} <= set(found["languages"])
    # The process's main thread holds no connection: the one opened ahead waits for the first request's thread, and
    # the cache's pool is every thread's (outlet/common/postgresql/base.py, outlet/common/redis_cache.py).
    assert not found["database_connection_opened"]
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        assert found["database_connection_opened_ahead"]
    if os.environ.get("REDIS_URL"):
        assert found["cache_connections_opened"] == 1
    # A staff page's links reverse admin addresses whose patterns were compiled at start, and the signed-in
    # readers' check knows its pages' addresses (each was a regular expression to compile on the first request).
    assert found["staff_patterns_compiled_by_reverse"] == []
    assert found["reader_check_addresses_ready"]
    # The release's fingerprint (a hash of every code, template and static file: 20-30 ms) names every cached page
    # and staff figure: left to the first request, it was most of a new process's first member list's extra time.
    assert found["release_fingerprint_ready"]
    # Django's module expressions a request uses (the language in its address and header, the host check, the
    # signer, cache headers...) and the address table's root, compiled at start; and the admin's originals that our
    # admin/base_site.html and admin/index.html extend under their own names.
    assert found["request_status"] == 302
    assert found["compiled_on_a_request"] == []
    assert found["staff_script_hashes_ready"]
    assert {"admin/base_site.html", "admin/index.html"} <= set(found["originals_compiled"])
    # What Django imports on the first request (context processors, the message storage, the session serialiser,
    # each language's formats), and each staff model's own templates looked for (mostly not found, which the cached
    # loader remembers too): a fifth of a new process's first member list, sampled over 16 new processes.
    assert found["first_request_modules_missing"] == []
    assert found["staff_model_templates_not_looked_up"] == []


def test_a_web_process_starts_while_postgresql_and_redis_are_away():
    """Opening the connections ahead is the warm-up's last step: refused, it is logged and the process starts warm."""
    found = probe(DATABASE_URL="postgres://postgres@127.0.0.1:1/outlet", REDIS_URL="redis://127.0.0.1:1/0")
    assert found["views_imported"] and found["populated_by_reverse"] == []
    assert found["release_fingerprint_ready"] and found["staff_model_templates_not_looked_up"] == []
    assert not found["database_connection_opened_ahead"]
