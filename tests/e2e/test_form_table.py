"""Every form a reader, member or donor can post has a row in tests/e2e/README.md naming the Chromium test that
submits it; a template that gains a `<form method="post">` without a row fails here, and so does a row whose test
does not exist. Fast and browserless: it reads templates and test files, so it runs in every `make test`.

The defect that made this necessary: monthly gift management answered 403 to every donor, on forms no browser
test had ever submitted."""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import allauth
import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "tests" / "e2e" / "README.md"
PROJECT_TEMPLATES = ROOT / "templates"
ALLAUTH_TEMPLATES = Path(allauth.__file__).parent / "templates"
# allauth's own templates live in one folder per sub-app; only the installed ones can be rendered.
ALLAUTH_APPS = {"allauth.account": "account", "allauth.mfa": "mfa"}

# Staff pages are out of scope: the admin (templates/admin/) and one admin page kept beside the receipts.
STAFF_ONLY = {"receipts/admin_resend_confirm.html"}


def _allauth(name: str):
    from allauth.account import app_settings

    return getattr(app_settings, name)


def _webauthn_off() -> bool:
    return "webauthn" not in settings.MFA_SUPPORTED_TYPES


# allauth templates (a folder ends in "/") and single forms (template, key) this configuration never renders, each
# with the setting that keeps it off: when the setting changes, the forms need rows, and this test says so.
NEVER_RENDERED: dict[str | tuple[str, str], tuple[str, object]] = {
    "account/email_change.html": (
        "ACCOUNT_CHANGE_EMAIL is off: addresses are managed on account/email.html",
        lambda: not getattr(settings, "ACCOUNT_CHANGE_EMAIL", False),
    ),
    "account/email_confirm.html": (
        "addresses are verified by code, never by an emailed link",
        lambda: settings.ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED,
    ),
    "account/phone_change.html": (
        "no phone numbers: readers sign in with email only",
        lambda: settings.ACCOUNT_LOGIN_METHODS == {"email"},
    ),
    "account/signup_by_passkey.html": (
        "no passkeys",
        lambda: not getattr(settings, "MFA_PASSKEY_SIGNUP_ENABLED", False),
    ),
    "mfa/trust.html": (
        "MFA_TRUST_ENABLED is off: every sign-in asks for the code",
        lambda: not settings.MFA_TRUST_ENABLED,
    ),
    "mfa/webauthn/": ("security keys and passkeys are not among MFA_SUPPORTED_TYPES", _webauthn_off),
    ("mfa/authenticate.html", "form=webauthn_form"): (
        "the security-key form shows only with webauthn on",
        _webauthn_off,
    ),
    ("account/base_confirm_code.html", "#resend"): (
        "no 'Request new code' (ACCOUNT_LOGIN_BY_CODE_SUPPORTS_RESEND, ACCOUNT_EMAIL_VERIFICATION_SUPPORTS_RESEND)",
        lambda: _allauth("LOGIN_BY_CODE_MAX_RESEND_COUNT") == _allauth("EMAIL_VERIFICATION_MAX_RESEND_COUNT") == 0,
    ),
    ("account/base_confirm_code.html", "form=change_form"): (
        "no 'Use a different email address' while verifying (ACCOUNT_EMAIL_VERIFICATION_SUPPORTS_CHANGE)",
        lambda: _allauth("EMAIL_VERIFICATION_MAX_CHANGE_COUNT") == 0,
    ),
}

COMMENTS = re.compile(r"{#.*?#}|{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", re.S)
HTML_FORM = re.compile(r"<form\b((?:{%.*?%}|{{.*?}}|[^>])*)>", re.S | re.I)
ELEMENT_FORM = re.compile(r"{%\s*element\s+form\b(.*?)%}", re.S)
POST = re.compile(r"""\bmethod\s*=\s*["']?post\b""", re.I)


@dataclass(frozen=True)
class Form:
    template: str  # as Django names it, e.g. "members/account.html"
    key: str  # what tells it from the template's other forms
    source: str  # "project" or "allauth"


def _attribute(tag: str, name: str) -> str | None:
    match = re.search(rf"""(?<![\w-]){name}\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""", tag)
    return " ".join(match.group(1).strip("\"'").split()) if match else None


def post_forms(text: str) -> list[str]:
    """The keys of the POST forms in one template's source, in order.

    An HTML form is known by its data-form, else its id (#id), else its action (action=...). An allauth
    `{% element form %}` by the form object it renders and its tags (form=... tags=...), else its action. A form
    with none of these is "form N" (its place among the template's POST forms); a key that repeats gets " (2)"."""
    text = COMMENTS.sub("", text)
    found: list[tuple[int, str]] = []
    for match in HTML_FORM.finditer(text):
        tag = match.group(1)
        if not POST.search(tag):
            continue
        data_form, form_id, action = (_attribute(tag, name) for name in ("data-form", "id", "action"))
        key = data_form or (form_id and f"#{form_id}") or (action and f"action={action}") or ""
        found.append((match.start(), key))
    for match in ELEMENT_FORM.finditer(text):
        args = match.group(1)
        if not POST.search(args):
            continue
        parts = [f"{name}={value}" for name in ("form", "tags") if (value := _attribute(args, name))]
        action = _attribute(args, "action")
        found.append((match.start(), " ".join(parts) or (action and f"action={action}") or ""))
    keys, seen = [], {}
    for position, (_, key) in enumerate(sorted(found), start=1):
        key = key or f"form {position}"
        seen[key] = seen.get(key, 0) + 1
        keys.append(key if seen[key] == 1 else f"{key} ({seen[key]})")
    return keys


def _extends_itself(path: Path, name: str) -> bool:
    return bool(re.search(rf"""{{%\s*extends\s+["']{re.escape(name)}["']\s*%}}""", path.read_text()))


def _never_rendered(name: str, key: str | None = None) -> bool:
    for pattern in NEVER_RENDERED:
        if isinstance(pattern, tuple):
            if (name, key) == pattern:
                return True
        elif name == pattern or (pattern.endswith("/") and name.startswith(pattern)):
            return True
    return False


def reader_forms() -> list[Form]:
    """Every POST form in a template a reader, member or donor can be shown: the project's (staff pages left
    out) and allauth's own for the installed sub-apps, unless the project overrides it without extending it or
    the configuration never renders it."""
    forms = []
    for path in sorted(PROJECT_TEMPLATES.rglob("*.html")):
        name = path.relative_to(PROJECT_TEMPLATES).as_posix()
        if name.startswith("admin/") or name in STAFF_ONLY:
            continue
        forms += [Form(name, key, "project") for key in post_forms(path.read_text())]
    for app, folder in ALLAUTH_APPS.items():
        if app not in settings.INSTALLED_APPS:
            continue
        for path in sorted((ALLAUTH_TEMPLATES / folder).rglob("*.html")):
            name = path.relative_to(ALLAUTH_TEMPLATES).as_posix()
            override = PROJECT_TEMPLATES / name
            if _never_rendered(name) or (override.exists() and not _extends_itself(override, name)):
                continue
            forms += [
                Form(name, key, "allauth") for key in post_forms(path.read_text()) if not _never_rendered(name, key)
            ]
    return forms


# --- The table ----------------------------------------------------------------------------------------------

ROW = re.compile(r"^\|\s*`(?P<template>[^`]+)`\s*\|\s*`(?P<key>[^`]+)`\s*\|(?P<rest>.*)\|\s*$")
TEST_NAME = re.compile(r"(tests/e2e/[\w/]+\.py)::([\w:]+)")


@dataclass(frozen=True)
class Row:
    template: str
    key: str
    tests: tuple[tuple[str, str], ...]
    line: int


def table_rows() -> list[Row]:
    rows = []
    for number, line in enumerate(README.read_text().splitlines(), start=1):
        match = ROW.match(line)
        if match:
            tests = tuple(TEST_NAME.findall(match.group("rest")))
            rows.append(Row(match.group("template"), match.group("key"), tests, number))
    return rows


def _defined_tests(path: Path) -> set[str]:
    """Test functions at module level, and methods as Class::method."""
    names = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.FunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names |= {f"{node.name}::{item.name}" for item in node.body if isinstance(item, ast.FunctionDef)}
    return names


def test_every_post_form_a_reader_can_submit_has_a_row_naming_its_browser_test():
    rows = {(row.template, row.key) for row in table_rows()}
    missing = [form for form in reader_forms() if (form.template, form.key) not in rows]
    assert not missing, (
        "POST forms with no row in tests/e2e/README.md (add a row naming the Chromium test that "
        "submits the form and what the person then sees):\n"
        + "\n".join(f"  | `{form.template}` | `{form.key}` | ({form.source} template)" for form in missing)
    )


def test_every_row_names_a_form_that_exists():
    forms = {(form.template, form.key) for form in reader_forms()}
    stale = [row for row in table_rows() if (row.template, row.key) not in forms]
    assert not stale, (
        "rows in tests/e2e/README.md for forms no template has (renamed, moved or removed?):\n"
        + "\n".join(f"  line {row.line}: `{row.template}` `{row.key}`" for row in stale)
    )


def test_every_row_names_browser_tests_that_exist():
    problems = []
    for row in table_rows():
        if not row.tests:
            problems.append(f"line {row.line}: `{row.template}` `{row.key}` names no tests/e2e/...py::test")
        for file, name in dict.fromkeys(row.tests):
            path = ROOT / file
            if not path.exists():
                problems.append(f"line {row.line}: {file} does not exist (for {name})")
            elif name not in _defined_tests(path):
                problems.append(f"line {row.line}: {file} has no test {name}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("pattern", NEVER_RENDERED, ids=str)
def test_the_allauth_forms_left_out_are_still_switched_off(pattern):
    reason, still_off = NEVER_RENDERED[pattern]
    template, key = pattern if isinstance(pattern, tuple) else (pattern, None)
    assert (ALLAUTH_TEMPLATES / template).exists(), f"allauth has no {template} any more: drop it from NEVER_RENDERED"
    if key:
        assert key in post_forms((ALLAUTH_TEMPLATES / template).read_text()), f"{template} has no form {key} any more"
    assert still_off(), f"{pattern} was left out of the form table because {reason}; that changed: give its forms rows"


def test_staff_only_templates_left_out_exist():
    assert all((PROJECT_TEMPLATES / name).exists() for name in STAFF_ONLY)


# --- The scanner itself ---------------------------------------------------------------------------------------


def test_the_scanner_tells_forms_apart_and_ignores_gets_and_comments():
    source = """
    {# <form method="post" action="/commented/"> #}
    <form method="get" action="/search/"></form>
    <form class="x" method="post" action="{% url 'members:cancel' %}">{% csrf_token %}</form>
    <form method=POST data-form="card" action="/same/"></form>
    <form id="resend" method="post" action="{{ action_url }}"></form>
    <form method="post"{% if x %} class="y"{% endif %}></form>
    <form method="post" action="/same/"></form><form method="post" action="/same/"></form>
    {% element form form=form method="post" action=email_url tags="email,add" %}{% endelement %}
    {% element form method="post" action=action_url no_visible_fields=True %}{% endelement %}
    """
    assert post_forms(source) == [
        "action={% url 'members:cancel' %}",
        "card",
        "#resend",
        "form 4",
        "action=/same/",
        "action=/same/ (2)",
        "form=form tags=email,add",
        "action=action_url",
    ]


def test_a_template_that_gains_a_post_form_without_a_row_fails(tmp_path, monkeypatch):
    (tmp_path / "members").mkdir()
    (tmp_path / "members" / "account.html").write_text(
        '<form method="post" action="{% url \'members:resume\' %}"></form><form method="post" data-form="pause"></form>'
    )
    monkeypatch.setattr(sys.modules[__name__], "PROJECT_TEMPLATES", tmp_path)
    with pytest.raises(AssertionError) as failure:
        test_every_post_form_a_reader_can_submit_has_a_row_naming_its_browser_test()
    assert "| `members/account.html` | `pause` |" in str(failure.value)
    assert "members:resume" not in str(failure.value)  # that one has its row in the README
