"""Every email, as Chromium draws it at a phone's and a desktop's width: no sideways scrolling, the message column
never wider than 600px, nothing fetched from the network, the buttons big enough to tap. With OUTLET_SCREENSHOTS
set (make screenshots) each is also saved as email-<kind>-<language>-<width>.png to look at."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.utils import translation

from outlet.common import emails
from tests.common.test_email_rendering import KINDS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]
FOLDER = os.environ.get("OUTLET_SCREENSHOTS", "")


@pytest.mark.parametrize("language", ["en", "ka"])
def test_every_email_fits_a_phone_and_a_desktop(browser, language):
    requests: list[str] = []
    problems = []
    for width in (375, 1280):
        context = browser.new_context(viewport={"width": width, "height": 800}, java_script_enabled=False)
        page = context.new_page()
        page.on("request", lambda request: requests.append(request.url))
        try:
            for kind, values in KINDS.items():
                with translation.override(language):
                    message = emails.compose(kind=kind, to="nino@example.org", context=values, topic="fundraising")
                page.set_content(message.alternatives[0][0])
                scroll = page.evaluate("document.documentElement.scrollWidth")
                column = page.locator("table.container").bounding_box()
                if scroll > width:
                    problems.append(f"{kind}: scrolls sideways at {width}px ({scroll}px wide)")
                if column is None or column["width"] > 600 or column["x"] < 0:
                    problems.append(f"{kind}: message column {column} at {width}px")
                for button in page.locator("a.button").all():
                    box = button.bounding_box()
                    if box is None or box["height"] < 40:
                        problems.append(f"{kind}: button too small to tap ({box})")
                if FOLDER:
                    Path(FOLDER).mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(Path(FOLDER) / f"email-{kind}-{language}-{width}.png"), full_page=True)
        finally:
            context.close()
    assert problems == []
    assert [url for url in requests if not url.startswith(("about:", "data:"))] == []
