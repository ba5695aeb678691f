"""`make screenshots`: full-page PNGs of every page in tests/e2e/pages.py at 375 and 1280 px, as each user, in
var/screenshots/ (page-width-user.png), to look at them all in a minute.

A tool rather than a check (test_layout.py is the check), so it runs only when OUTLET_SCREENSHOTS names the folder
to write to; it still fails when a page does not open as it should."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.e2e.conftest import CHROMIUM
from tests.e2e.pages import WIDTHS, Visitor, visits

FOLDER = os.environ.get("OUTLET_SCREENSHOTS", "")

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not FOLDER, reason="writes PNGs only when OUTLET_SCREENSHOTS names a folder (make screenshots)"),
]


def test_every_page_is_photographed_at_each_width_as_each_user(request):
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):  # asked for PNGs: say why there are none
        pytest.fail("make screenshots needs Debian's chromium: apt-get install chromium")
    browser, world = request.getfixturevalue("browser"), request.getfixturevalue("world")
    folder = Path(FOLDER)
    folder.mkdir(parents=True, exist_ok=True)
    failures, written = [], []
    for width in WIDTHS:
        visitor = Visitor(browser, world, width)
        try:
            for site_page, user in visits():
                try:
                    page = visitor.open(site_page, user)
                except AssertionError as problem:
                    failures.append(f"{problem} at {width}px")
                    continue
                path = folder / f"{site_page.name}-{width}-{user}.png"
                # Pictures below the fold load lazily: load them all, as a reader scrolling down would see them.
                page.evaluate(
                    "document.querySelectorAll('img[loading=lazy]').forEach(img => { img.loading = 'eager'; })"
                )
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(path), full_page=True, animations="disabled")
                written.append(path)
        finally:
            visitor.close()
    print(f"\n{len(written)} screenshots in {folder.resolve()}")
    assert not failures, "\n".join(failures)
