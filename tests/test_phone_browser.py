"""The phone web app in a real browser: headless Chromium against `bandcoach serve` on 127.0.0.1, espeak-ng voice.

One server and one browser for the module; each test opens its own phone-sized context (its own
caches and service worker), so a routine saved in one test is not saved in another.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from support.browser import PHONE_SIZE, phone, wait_until
from support.serve_process import Live

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
DOCS_IMAGES = ROOT / "docs" / "images"
ROUTINE = "/routines/treadmill"  # two exercises, 18 cues: the quickest routine to speak on first play
FIRST_PAGE_LIMIT = 100 * 1024  # bytes transferred for the list page, everything but audio


@pytest.fixture
def context(phone_browser: Browser, phone_server: Live) -> Iterator[BrowserContext]:
    with phone(phone_browser, phone_server.url) as ctx:
        yield ctx


def ready(context: BrowserContext, path: str = ROUTINE) -> Page:
    """A routine page whose audio is ready (the play button enabled)."""
    page = context.new_page()
    page.goto(path)
    page.wait_for_selector("#play:not([disabled])")
    return page


def playing_for(page: Page, seconds: float) -> None:
    """Wait until the audio has played past `seconds` of its timeline."""
    wait_until(page, f"document.querySelector('#audio').currentTime > {seconds}")


def controlled(page: Page) -> None:
    wait_until(page, "navigator.serviceWorker.controller !== null")


def test_list_shows_every_routine_with_length_focus_and_bands(context: BrowserContext) -> None:
    page = context.new_page()
    page.goto("/")
    cards = page.locator(".card")
    assert cards.count() == 5
    glutes = cards.filter(has_text="Glute strength workout")
    assert glutes.locator(".meta").inner_text() == "13 min · Strength: glutes, hips, quads"
    assert glutes.locator(".bands").inner_text() == "Needs light loop band"
    assert "strong glutes" in glutes.inner_text()


def test_first_page_is_under_100_kb_without_audio(context: BrowserContext) -> None:
    sizes: list[int] = []
    context.on("requestfinished", lambda request: sizes.append(  # the page's and its service worker's
        request.sizes()["responseBodySize"] + request.sizes()["responseHeadersSize"]))
    page = context.new_page()
    page.goto("/", wait_until="networkidle")
    controlled(page)  # installed: the shell it keeps (icons, manifest) has been fetched and counted
    assert len(sizes) >= 4 and sum(sizes) < FIRST_PAGE_LIMIT, sizes


def test_a_routine_plays_from_the_keyboard_with_lock_screen_metadata(context: BrowserContext) -> None:
    page = ready(context)
    page.focus("#play")
    page.keyboard.press("Enter")
    playing_for(page, 1.0)
    assert page.get_attribute("#play", "aria-label") == "Pause"
    assert page.inner_text("#now") == "Banded treadmill walk"
    assert page.evaluate("[navigator.mediaSession.playbackState, navigator.mediaSession.metadata.title,"
                         " navigator.mediaSession.metadata.album]") == \
        ["playing", "Banded treadmill walk", "Treadmill band walk"]


def test_tapping_a_chapter_seeks_to_its_start(context: BrowserContext) -> None:
    page = ready(context)
    second = page.locator(".chapter").nth(1)
    start = float(second.get_attribute("data-start") or "nan")
    second.click()
    wait_until(page, "!document.querySelector('#audio').seeking")
    at = page.evaluate("document.querySelector('#audio').currentTime")
    assert start > 200 and abs(at - start) < 0.5
    assert page.inner_text("#now") == "Banded incline walk"
    assert page.get_attribute("#chapters > li:nth-child(2)", "aria-current") == "true"


def test_manifest_and_service_worker_are_valid(context: BrowserContext) -> None:
    page = context.new_page()
    page.goto("/")
    controlled(page)
    href = page.get_attribute("link[rel=manifest]", "href")
    reply = context.request.get(href or "")
    assert reply.headers["content-type"].startswith("application/manifest+json")
    manifest = json.loads(reply.text())
    assert {manifest["name"], manifest["start_url"], manifest["display"]} == {"Band Coach", "/", "standalone"}
    assert manifest["theme_color"] == page.get_attribute("meta[name=theme-color]", "content")
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}
    for icon in manifest["icons"]:
        assert context.request.get(icon["src"]).headers["content-type"] == "image/png"
    scope = page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.scope)")
    assert scope == f"{context.request.get('/').url.rstrip('/')}/"


def test_a_saved_routine_plays_after_a_reload_with_the_network_off(context: BrowserContext) -> None:
    page = ready(context)
    controlled(page)
    page.click("#save")
    page.wait_for_selector("#status:has-text('Saved')")
    context.set_offline(True)
    page.reload()
    page.wait_for_selector("#play:not([disabled])")
    page.click("#play")
    playing_for(page, 1.0)
    # Safari plays media only from 206 answers to its Range requests: the worker slices the saved file.
    ranged = page.evaluate("""fetch(document.querySelector('#audio').src, {headers: {Range: 'bytes=100-199'}})
        .then(async r => [r.status, r.headers.get('Content-Range'), (await r.arrayBuffer()).byteLength])""")
    assert ranged[0] == 206 and ranged[1].startswith("bytes 100-199/") and ranged[2] == 100
    other = context.new_page()
    other.goto("/routines/glutes")  # not saved: the service worker says so rather than the browser's error page
    assert "You are offline" in other.inner_text("h1")


def test_saved_routines_are_listed_with_storage_used_and_can_be_removed(context: BrowserContext) -> None:
    page = ready(context)
    controlled(page)
    page.click("#save")
    page.wait_for_selector("#status:has-text('Saved')")
    page.goto("/")
    saved = page.locator("#saved-list li")
    saved.first.wait_for()
    assert "Treadmill band walk (light band, standard, en-US)" in saved.first.inner_text()
    assert page.inner_text("#storage").startswith("Storage used on this phone:")
    saved.first.get_by_role("button", name="Remove").click()
    page.wait_for_selector("#saved-empty:visible")
    assert saved.count() == 0
    assert page.evaluate("caches.open('bandcoach-saved').then(c => c.keys()).then(k => k.length)") == 0


def test_screenshots_of_the_list_and_the_player_at_phone_size(context: BrowserContext, tmp_path: Path) -> None:
    """Written to the test's tmp dir; WRITE_DOCS_IMAGES=1 also refreshes docs/images/ for the README."""
    page = context.new_page()
    page.goto("/")
    shots = {"phone-list.png": page.screenshot()}
    page = ready(context)
    page.click("#play")
    playing_for(page, 2.0)
    page.evaluate("document.querySelector('#audio').pause(); document.querySelector('#player').scrollIntoView()")
    shots["phone-player.png"] = page.screenshot()
    for name, data in shots.items():
        (tmp_path / name).write_bytes(data)
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(data[16:20], "big") == PHONE_SIZE["width"] * 2
        if os.environ.get("WRITE_DOCS_IMAGES") == "1":
            DOCS_IMAGES.mkdir(exist_ok=True)
            shutil.copyfile(tmp_path / name, DOCS_IMAGES / name)
