"""The README and docs/ARCHITECTURE.md point at things that exist in this repository, so a fresh clone's reader
never follows a link out of it, and a moved or renamed module shows up as a failing test, not a stale map."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARCHITECTURE = ROOT / "docs" / "ARCHITECTURE.md"
# `outlet/payments/services.py`, `donations/migrations/0002`, `templates/payments/`, `tests/clock.py`, ...
PATH_IN_BACKTICKS = re.compile(r"`((?:outlet|members|donations|templates|static|tests|bench|docs)/[\w./-]*)`")


def test_the_readme_links_only_to_files_in_the_repository():
    links = re.findall(r"\]\(([^)#]+)\)", (ROOT / "README.md").read_text())
    local = [link for link in links if not link.startswith(("http://", "https://", "mailto:"))]

    assert "docs/ARCHITECTURE.md" in local
    for link in local:
        target = (ROOT / link).resolve()
        assert target.is_relative_to(ROOT), f"{link} is outside the repository"
        assert target.exists(), f"{link} does not exist"


def test_every_path_the_architecture_names_exists():
    named = set(PATH_IN_BACKTICKS.findall(ARCHITECTURE.read_text()))

    assert len(named) > 20
    missing = sorted(path for path in named if not any(ROOT.glob(path.rstrip("/") + "*")))
    assert missing == []
