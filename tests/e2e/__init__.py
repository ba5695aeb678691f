"""Browser tests (Playwright with Debian's Chromium)."""


def click_that_closes_its_window(window, control) -> None:
    """Click a control whose handler closes its own window (the media picker's "Insert") and wait for the close.
    Playwright's click waits a moment after the click, and when the window is gone by then it raises
    TargetClosedError: that is the close this expects, so it passes; any other error, or no close, fails."""
    from playwright.sync_api import Error

    with window.expect_event("close"):
        try:
            control.click()
        except Error:
            if not window.is_closed():
                raise
