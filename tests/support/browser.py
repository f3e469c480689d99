"""Debian's Chromium, headless, driven by Playwright for the phone tests: the skip/fail policy, a browser, phone pages.

Playwright's own browser download cannot reach its host here, so the system `chromium` is launched by
path (`.ci/install` installs it). Without it a local run skips with the fix; CI fails, as for node.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pytest

from support.e2e_node import in_ci

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

    from support.serve_process import Live

INSTALL_HINT = "apt-get install chromium (CI: .ci/install)"
PHONE_SIZE = {"width": 390, "height": 844}  # an iPhone 12-15's CSS pixels
PHONE: dict[str, Any] = {"viewport": PHONE_SIZE, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
WAIT_MS = 30_000  # the first play of a routine speaks its cues with espeak-ng: seconds on a busy machine
POLL_SECONDS = 0.05


def require_chromium() -> str:
    """The system Chromium's path; skips locally when it is missing, fails in CI (which installs it)."""
    found = shutil.which("chromium")
    if found is None:
        message = f"Debian's chromium is not installed: {INSTALL_HINT}"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return found


@contextmanager
def headless_chromium() -> Iterator[Browser]:
    """One headless Chromium that may start audio without a tap (a test has no user gesture)."""
    from playwright.sync_api import sync_playwright

    executable = require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable,
                                             args=["--autoplay-policy=no-user-gesture-required"])
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def phone(browser: Browser, base_url: str, **options: Any) -> Iterator[BrowserContext]:
    """A fresh phone-sized context (its own caches and service workers) with relative URLs under `base_url`;
    `options` go to Playwright's new_context (java_script_enabled=False, say)."""
    context = browser.new_context(base_url=base_url, **{**PHONE, **options})
    context.set_default_timeout(WAIT_MS)
    try:
        yield context
    finally:
        context.close()


def wait_until(page: Page, expression: str, *, timeout_ms: int = WAIT_MS) -> Any:
    """Poll a JavaScript expression until it is truthy; return its value.

    Playwright's own wait_for_function polls with eval() inside the page, which the pages' Content
    Security Policy forbids (script-src 'self'), so the test polls from here, where evaluate() is not
    subject to it.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    while not (value := page.evaluate(expression)):
        if time.monotonic() > deadline:
            raise AssertionError(f"{expression} was still falsy after {timeout_ms} ms")
        time.sleep(POLL_SECONDS)
    return value


# Fixtures the phone test modules share (tests/conftest.py loads this module as a pytest plugin).

@pytest.fixture(scope="module")
def phone_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """A real `bandcoach serve` on 127.0.0.1 for the module (after the Chromium check, so a skip starts nothing)."""
    from support.serve_process import live_serve

    require_chromium()
    with live_serve(tmp_path_factory.mktemp("phone")) as live:
        yield live


@pytest.fixture(scope="module")
def phone_browser(phone_server: Live) -> Iterator[Browser]:
    """One headless Chromium for the module's phone pages."""
    with headless_chromium() as chromium:
        yield chromium
