"""Work Django leaves to a process's first requests, done when a web process starts instead.

Django builds its URL resolver (importing every view module) for each language the first time that language is
reversed or resolved, compiles each template the first time it is rendered, and loads each language's translation
catalogues and the number and date formats of each locale on first use. Measured on the revenue dashboard with every
figure already cached: a new process's first request took 300-355 ms against 25 ms for the next (71-78 ms with this),
and a reader's first story 417 ms (50 ms), and each language's first page paid its share again. The release's
fingerprint (a hash of every code, template and static file, outlet.common.release) names every cached page and
staff figure: computed on the first request, it was 20-30 ms of a new process's first member list (64 -> 54 ms;
80 -> 56 ms with an empty cache). Gunicorn restarts its workers now and then (--max-requests), so that cost came
back as the slowest requests of the day. Called from outlet/wsgi.py, so a gunicorn worker does it before it accepts a
connection; management commands and tests do not pay for it.

Nothing here reads the database or the cache. The last step opens a connection to each (a sixth and a twenty-fifth
of a new process's first member list), with short connect timeouts; if either is away the step is logged and the
process starts all the same, as it did before. The database connection then names every table in one statement that
reads no row, so that its server process has the tables' descriptions before the first request's statements.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from django.conf import settings
from django.template import engines
from django.urls import NoReverseMatch, URLResolver, get_resolver, reverse
from django.utils import timezone, translation

from outlet.common import front_cache
from outlet.common.release import code_fingerprint

logger = logging.getLogger(__name__)

# The staff pages' addresses have no language prefix, so they are reversed in the default language only: their
# tables in the other four languages would be a few MB each process keeps for nothing.
STAFF_NAMESPACES = frozenset({"admin"})
# The emails' templates: the worker renders nearly all of them, so in a web process they would mostly take memory.
SKIPPED_TEMPLATE_DIRECTORIES = ("emails",)
# The Django admin's own templates that every staff list and form renders (a fifth of its templates): left to the
# first staff page, they were a third of its time.
STAFF_PAGE_TEMPLATES = (
    "admin/base.html",
    "admin/index.html",
    "admin/app_list.html",
    "admin/nav_sidebar.html",
    "admin/color_theme_toggle.html",
    "admin/change_list.html",
    "admin/change_list_results.html",
    "admin/change_list_object_tools.html",
    "admin/actions.html",
    "admin/search_form.html",
    "admin/filter.html",
    "admin/date_hierarchy.html",
    "admin/pagination.html",
    "admin/change_form.html",
    "admin/change_form_object_tools.html",
    "admin/includes/fieldset.html",
    "admin/edit_inline/tabular.html",
    "admin/prepopulated_fields_js.html",
    "admin/submit_line.html",
)


def warm_up() -> dict[str, float]:
    """Everything below, each step timed (ms). A step that fails is logged and skipped: a page it would have
    broken breaks when asked for, as it would have without this."""
    timings: dict[str, float] = {}
    for name, step in (
        ("urls", _populate_url_resolvers),
        ("staff addresses", _compile_staff_addresses),
        ("reader check", front_cache.warm_up_reader_check),
        ("templates", _compile_templates),
        ("overridden templates' originals", _compile_overridden_originals),
        ("staff templates looked up", _look_up_staff_templates),
        ("languages", _load_languages),
        ("first-request imports", _import_first_request_modules),
        ("request expressions", _compile_request_expressions),
        ("staff pages' script hashes", _hash_staff_inline_scripts),
        ("release fingerprint", code_fingerprint),
        ("connections opened", _open_connections),
    ):
        started = time.perf_counter()
        try:
            step()
        except Exception:
            logger.exception("warming up %s failed; the first request will do it", name)
        timings[name] = round((time.perf_counter() - started) * 1000, 1)
    logger.info("warmed up in %s ms", timings)
    return timings


def _populate(resolver: URLResolver, namespaces: tuple[str, ...] = (), *, skip: frozenset[str] = frozenset()) -> None:
    """The resolver's reverse table for the active language, then each namespace's. reverse() into a namespace goes
    through a resolver of its own, made and filled on the first reverse (django.urls.resolvers.get_ns_resolver), so
    each namespace gets one real reverse of one of its names."""
    resolver.reverse_dict  # noqa: B018  # builds the reverse and namespace tables for the active language
    for namespace, (_prefix, child) in resolver.namespace_dict.items():
        if namespace in skip:
            continue
        path = (*namespaces, namespace)
        name = next((key for key in child.reverse_dict if isinstance(key, str)), None)
        if name is not None:
            try:
                reverse(":".join((*path, name)))
            except NoReverseMatch:  # a name that needs arguments: the tables were built before the match failed
                pass
        _populate(child, path)


def _populate_url_resolvers() -> None:
    """The URLconf (and so every view module) imported, and the reverse tables built in every language: each
    language has its own, as the addresses carry the language prefix."""
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            _populate(get_resolver(), skip=frozenset() if code == settings.LANGUAGE_CODE else STAFF_NAMESPACES)


def _compile_staff_addresses() -> None:
    """reverse() compiles a regular expression for each address pattern the first time it is used (Python's re
    module keeps it). A staff page's sidebar and its list's links reverse most of the admin's 236 names: compiling
    them was a third of the extra time a new process's first member list took (cProfile, first against third
    request). One reverse of each name, with placeholder arguments, compiles them now; a placeholder an address
    refuses (an app label, say) still compiled its pattern before the refusal."""
    resolver = get_resolver()
    for namespace in STAFF_NAMESPACES:
        _prefix, staff = resolver.namespace_dict[namespace]
        for name in [key for key in staff.reverse_dict if isinstance(key, str)]:
            for possibility, _pattern, _defaults, _converters in staff.reverse_dict.getlist(name):
                for _candidate, parameters in possibility:
                    try:
                        reverse(f"{namespace}:{name}", kwargs=dict.fromkeys(parameters, "1"))
                    except NoReverseMatch:
                        pass


def _template_names() -> list[str]:
    """The project's own templates (templates/), by the names pages ask for them, and the admin's that every staff
    list and form uses. Not all of the Django admin's own: compiling them all cost 3.7 MB per process for 80
    templates, most never shown."""
    names = list(STAFF_PAGE_TEMPLATES)
    for directory in engines["django"].dirs:
        root = Path(directory)
        names += sorted(
            str(path.relative_to(root))
            for path in root.rglob("*.html")
            if path.relative_to(root).parts[0] not in SKIPPED_TEMPLATE_DIRECTORIES
        )
    return names


def _compile_templates() -> None:
    """Compiled into the cached template loader as a first render would: a template that extends or includes
    another finds it compiled too."""
    engine = engines["django"]
    for name in _template_names():
        engine.get_template(name)


def _compile_overridden_originals() -> None:
    """The originals our templates extend under their own name (templates/admin/base_site.html extends the admin's
    admin/base_site.html). Django finds such a parent when it renders, skipping the child's own file, and the cached
    loader keeps it apart from the child: every staff page's first render compiled the admin's base_site again."""
    from django.template import Engine
    from django.template.loader_tags import ExtendsNode

    engine = Engine.get_default()
    for name in _template_names():
        template = engine.get_template(name)
        extends = next((node for node in template.nodelist if isinstance(node, ExtendsNode)), None)
        if extends is not None and getattr(extends.parent_name, "var", None) == name:  # a constant parent name
            engine.find_template(name, skip=[template.origin])


# The admin looks for a model's own version of these first (admin/<app>/<model>/, then admin/<app>/), each a search
# of every template folder (about 30) that mostly finds nothing; the cached loader remembers both finds and misses.
STAFF_MODEL_TEMPLATES = (
    "change_list.html",
    "change_form.html",
    "change_list_object_tools.html",
    "change_list_results.html",
    "search_form.html",
    "pagination.html",
    "actions.html",
    "date_hierarchy.html",
    "change_form_object_tools.html",
    "submit_line.html",
    "prepopulated_fields_js.html",
)


def _look_up_staff_templates() -> None:
    """Each staff model's own list and form templates looked for, as its first list or form would: those searches
    were 7 % of a new process's first member list (its stack sampled over 16 new processes)."""
    from django.apps import apps
    from django.contrib import admin
    from django.template import TemplateDoesNotExist

    engine = engines["django"]
    for model in apps.get_models():
        if not admin.site.is_registered(model):
            continue
        app_label, model_name = model._meta.app_label, model._meta.model_name
        for name in STAFF_MODEL_TEMPLATES:
            for candidate in (f"admin/{app_label}/{model_name}/{name}", f"admin/{app_label}/{name}"):
                try:
                    engine.get_template(candidate)
                except TemplateDoesNotExist:
                    pass


def _import_first_request_modules() -> None:
    """The modules Django imports on a process's first request, not at start: the template context processors, the
    message storage, the session serialiser, allauth's record of how a person signed in, and each language's
    number and date formats (django.conf.locale)."""
    from importlib import import_module

    from django.template import Engine
    from django.utils import formats
    from django.utils.module_loading import import_string

    Engine.get_default().template_context_processors  # noqa: B018  # imports each processor's module
    import_string(settings.MESSAGE_STORAGE)
    import_string(settings.SESSION_SERIALIZER)
    import_module("allauth.account.authentication")
    for code, _name in settings.LANGUAGES:
        formats.get_format_modules(code)


def _compile_request_expressions() -> None:
    """Regular expressions Django compiles the first time a request needs each of them, compiled by the public
    calls that use them: the language in the address and in the browser's header, the host check, the signer's
    separator, the root of the address table, the Vary and Cache-Control headers, a response's charset, the date
    filter and the cache key check: nine of them on a new process's first staff list, a third of a millisecond each
    on a slow machine."""
    from django.core import signing
    from django.core.cache import cache
    from django.core.exceptions import DisallowedHost
    from django.http import HttpRequest, HttpResponse
    from django.utils import dateformat
    from django.utils.cache import patch_cache_control, patch_vary_headers

    request = HttpRequest()
    request.path = request.path_info = "/"
    request.META = {"HTTP_HOST": "localhost", "HTTP_ACCEPT_LANGUAGE": "en", "SERVER_PORT": "80"}
    translation.get_language_from_path(request.path_info)
    translation.get_language_from_request(request, check_path=True)
    try:
        request.get_host()
    except DisallowedHost:  # the expression that splits the host from its port was compiled before the refusal
        pass
    signing.Signer(salt="outlet.warm-up")
    get_resolver().pattern.regex  # noqa: B018  # "^/": compiled on the first address resolved
    response = HttpResponse(headers={"Vary": "Cookie", "Cache-Control": "private"})
    response.charset  # noqa: B018  # read from the Content-Type header with an expression
    patch_vary_headers(response, ["Accept-Language"])  # a header already there is split with an expression
    patch_cache_control(response, max_age=0)
    dateformat.format(timezone.now(), "Y")
    cache.make_and_validate_key("warm-up")  # the memcached-safety check every key goes through; no round trip


def _hash_staff_inline_scripts() -> None:
    """The hash the staff pages' Content-Security-Policy allows the admin's import map by (it renders the map)."""
    from outlet.common import security_headers

    security_headers.admin_prefix()
    security_headers.admin_inline_script_hashes()


def _open_connections() -> None:
    """The database connection the first request's thread takes (outlet/common/postgresql/base.py), and a connection
    in the cache's pool, which every thread shares (outlet/common/redis_cache.py)."""
    from django.core.cache import cache

    from outlet.common.postgresql.base import open_ahead

    try:
        open_ahead()
    finally:
        ping = getattr(cache, "ping", None)  # the Redis backend's; the embedded default's file cache has no connection
        if ping is not None:
            ping()


def _load_languages() -> None:
    """Each language's translation catalogues, and its number, money and date formats (Babel's locale data)."""
    from outlet.common.local_time import date_text
    from outlet.common.money import format_money

    now = timezone.now()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Support independent journalism")
            format_money(12345, "GEL")
            date_text(now)
