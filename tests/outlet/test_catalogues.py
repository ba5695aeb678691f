"""Every string a person reads is translated in each language, and the catalogues are current and well-formed.

`makemessages` is run afresh over the sources into a copy of the catalogues, exactly as a translator would be
handed them: a string marked since the last translation arrives empty, a changed one arrives fuzzy, and both fail
here with their text and where they are used."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

TRANSLATED = ["ka", "hy", "az", "ru"]
# The staff admin is offered in English, Georgian and Russian; in the other languages its pages stay English.
ADMIN_LANGUAGES = {"ka", "ru"}
ADMIN_SOURCES = re.compile(r"^(templates/admin/|outlet/staff/|outlet/dashboard/|[a-z/]*admin[a-z_]*\.py$)")
# Words every language writes as English does: names and formats, not sentences.
SAME_IN_EVERY_LANGUAGE = {"PDF", "CSV", "Stripe", "Ghost", "OK", "Email", "ID", "RSS", "Atom", "2FA", "TOTP"}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\{[^}]*\}\}|\{\w*\}")


def _catalogue(root: Path, language: str) -> Path:
    return root / language / "LC_MESSAGES" / "django.po"


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    """The catalogues as makemessages leaves them now: the committed ones merged with today's sources."""
    copy = tmp_path_factory.mktemp("catalogues") / "locale"
    shutil.copytree(settings.LOCALE_PATHS[0], copy)
    here = os.getcwd()
    os.chdir(settings.BASE_DIR)
    try:
        with override_settings(LOCALE_PATHS=[copy]):
            call_command(
                "makemessages",
                locale=TRANSLATED,
                no_obsolete=True,
                # The committed catalogues too: makemessages takes any folder named "locale" it walks into for a
                # catalogue of its own and would write there, not into the copy.
                ignore_patterns=[
                    ".venv/*",
                    "var/*",
                    "tests/*",
                    "bench/*",
                    "staticfiles/*",
                    "static/*",
                    "docs/*",
                    "outlet/locale",
                    "outlet/locale_extra",
                ],
                verbosity=0,
            )
    finally:
        os.chdir(here)
    return copy


def _entries(path: Path):
    with path.open("rb") as handle:
        catalogue = read_po(handle, abort_invalid=True)
    return [message for message in catalogue if message.id]


def _strings(value) -> list[str]:
    return list(value) if isinstance(value, tuple | list) else [value]


def _plural_count(path: Path) -> int:
    """nplurals as the catalogue's header declares it (Babel counts CLDR's forms: four for Russian, not gettext's
    three)."""
    match = re.search(r"nplurals\s*=\s*(\d+)", path.read_text(encoding="utf-8"))
    return int(match.group(1)) if match else 2


def _needs_translation(message, language: str) -> bool:
    if language in ADMIN_LANGUAGES:
        return True
    return not all(ADMIN_SOURCES.match(filename) for filename, _line in message.locations)


def _where(message) -> str:
    return ", ".join(f"{filename}:{line}" for filename, line in message.locations[:2])


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_string_is_translated_and_none_is_fuzzy(fresh, language):
    problems = []
    forms = _plural_count(_catalogue(fresh, language))
    for message in _entries(_catalogue(fresh, language)):
        if not _needs_translation(message, language):
            continue
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r} ({_where(message)})")
        elif not all(_strings(message.string)[:forms]):
            problems.append(f"untranslated: {message.id!r} ({_where(message)})")
    assert not problems, f"{len(problems)} in {language}:\n" + "\n".join(problems[:40])


@pytest.mark.parametrize("language", TRANSLATED)
def test_no_translation_is_just_the_english_again(fresh, language):
    copies = []
    for message in _entries(_catalogue(fresh, language)):
        for source, translated in zip(_strings(message.id), _strings(message.string), strict=False):
            words = PLACEHOLDER.sub("", source)
            if translated == source and re.search(r"[A-Za-z]{2}", words) and source not in SAME_IN_EVERY_LANGUAGE:
                copies.append(f"{source!r} ({_where(message)})")
    assert not copies, f"{len(copies)} copied in {language}:\n" + "\n".join(copies[:40])


@pytest.mark.parametrize("language", TRANSLATED)
def test_msgfmt_accepts_the_committed_catalogue(language):
    """Placeholders match the English (python-format), plural forms are declared and the header is valid."""
    path = _catalogue(Path(settings.LOCALE_PATHS[0]), language)
    assert path.exists(), f"no catalogue for {language}"
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", os.devnull, str(path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    if language in ADMIN_LANGUAGES:  # the others leave the staff admin's strings to English
        assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr


def test_allauths_messages_are_all_in_armenian():
    """allauth ships no Armenian catalogue; outlet/locale_extra/hy carries one for every message allauth has."""
    import allauth

    theirs = Path(allauth.__file__).parent / "locale" / "ru" / "LC_MESSAGES" / "django.po"
    ours = Path(settings.BASE_DIR) / "outlet" / "locale_extra" / "hy" / "LC_MESSAGES" / "django.po"
    wanted = {(message.context, _strings(message.id)[0]) for message in _entries(theirs)}
    have = {(message.context, _strings(message.id)[0]): message for message in _entries(ours)}
    assert wanted - set(have) == set(), "allauth has messages our Armenian catalogue lacks (a newer allauth?)"
    empty = [key for key, message in have.items() if message.fuzzy or not all(_strings(message.string))]
    assert empty == []
    result = subprocess.run(["msgfmt", "--check", "-o", os.devnull, str(ours)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
