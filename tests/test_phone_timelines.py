"""The phone page's choices give exactly the voice skill's timelines: same exercises, doses, starts and lengths.

Each case says a request to the skill (in-process, through the interaction model) and makes the same
choices on the routine page in Chromium (its form, with JavaScript off: the page is rendered by the
server and must work without the script). The page's chapter list must be the timeline of the Place
the voice session started at.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import pytest
from support.browser import phone
from support.serve_process import Live

from skill.config import Settings
from skill.listing import dose_text
from skill.model import build_model
from skill.routines import BandLevel, Place, Variant
from skill.testing.conversation import Conversation
from skill.timeline import Timeline
from skill.web.app import create_app

if TYPE_CHECKING:
    from flask import Flask
    from playwright.sync_api import Browser

pytestmark = pytest.mark.slow

# (what the runner says, locale, the page's band, length and voice selections)
CASES = [
    ("start a quick glute workout with a heavy band", "en-US", ("heavy", "short")),
    ("start a ten minute post-run stretch", "en-GB", ("light", "10")),
    ("start a long desk routine with a medium band", "en-AU", ("medium", "long")),
]


@pytest.fixture(scope="module")
def skill_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    home = tmp_path_factory.mktemp("voice")
    return create_app(Settings(verify=False, load_plugins=("bandcoach",), data_dir=home / "data",
                               cache_dir=home / "cache", tts="espeak"))


def voice_timeline(app: Flask, utterance: str, locale: str) -> Timeline:
    """The timeline a voice session walks after `utterance`: its Place from the session, through the catalog."""
    catalog = app.extensions["bandcoach"].catalog
    turn = Conversation(app, build_model(catalog, locale), locale=locale).say(utterance)
    kept = turn.response["sessionAttributes"]["position"]
    place = Place(kept["routine"], Variant(kept["variant"]), BandLevel(kept["band"]), kept["extra_sets"],
                  minutes=kept["minutes"])
    return catalog.timeline_at(place, locale)


@pytest.mark.parametrize(("utterance", "locale", "picked"), CASES, ids=[c[0] for c in CASES])
def test_page_choices_give_the_timeline_the_voice_skill_uses(
    phone_browser: Browser, phone_server: Live, skill_app: Flask, utterance: str, locale: str, picked: tuple[str, str],
) -> None:
    expected = voice_timeline(skill_app, utterance, locale)
    band, length = picked
    with phone(phone_browser, phone_server.url, java_script_enabled=False) as context:
        page = context.new_page()
        page.goto(f"/routines/{expected.routine.id}")
        page.select_option("select[name=band]", band)
        page.select_option("select[name=length]", length)
        page.select_option("select[name=locale]", locale)
        with page.expect_navigation():
            page.get_by_role("button", name="Show this choice").click()
        assert parse_qs(urlsplit(page.url).query) == {"band": [band], "length": [length], "locale": [locale]}
        chapters = page.locator(".chapter").evaluate_all(
            "buttons => buttons.map(b => [b.querySelector('.title').textContent, b.dataset.start, b.dataset.seconds])")
        doses = page.locator(".dose").all_inner_texts()
    starts = [sum(b.seconds for b in expected.blocks[:i]) for i in range(len(expected.blocks))]
    assert chapters == [[b.exercise.name, f"{start:.3f}", f"{b.seconds:.3f}"]
                        for b, start in zip(expected.blocks, starts, strict=True)]
    assert doses == [dose_text(b.dose) for b in expected.blocks]

