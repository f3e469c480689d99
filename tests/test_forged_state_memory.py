"""Forged hands-free tokens and session positions cannot grow the server's memory, through the real app.

Before tokens were sealed with an HMAC and the catalog's memos were bounded, every new combination a
request named (routine, length, band, extra sets, locale) memoised another timeline of about 60 kB for
the life of the process: 5,000 forged requests took it from 75 MB to over 1 GB. Here 5,000 forged tokens
and 5,000 distinct session positions go through the real Flask app and SQLite store in-process, and the
resident set (read from /proc/self/statm, no psutil) must stay within 20 MB of where it started.
"""

from __future__ import annotations

import base64
import dataclasses
import gc
import itertools
import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support.handsfree_support import BAND, LENGTH, ROUTINE, VARIANT
from support.tokens import encode, keyed

from skill import testing
from skill.catalog import FIT_MEMO, TIMELINE_MEMO, Catalog
from skill.config import LOCALES, Settings
from skill.playback import Stream
from skill.routines import EXTRA_SETS_LIMIT, BandLevel, Place, Variant
from skill.web.app import create_app

STATM = Path("/proc/self/statm")
pytestmark = pytest.mark.skipif(not STATM.exists(), reason="reads RSS from /proc (Linux)")

PUBLIC = "https://coach.example.org/skill"
REQUESTS = 5_000
MAX_GROWTH = 20 * 1024 * 1024
Post = Callable[[dict[str, Any]], dict[str, Any]]


def rss_bytes() -> int:
    """This process's resident set size: the second field of /proc/self/statm, in pages."""
    return int(STATM.read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.fixture
def app_settings(settings: Settings, warm_dir: Path, tmp_path: Path) -> Settings:
    """Hands-free ready: the test routine's audio warmed, an HTTPS public URL, the tokens' test secret."""
    audio = tmp_path / "audio"
    shutil.copytree(warm_dir, audio)
    return dataclasses.replace(keyed(settings), audio_dir=audio, public_url=PUBLIC)


@pytest.fixture
def app(app_settings: Settings, pm: Any) -> Any:
    return create_app(app_settings, pm=pm)


@pytest.fixture
def post(app: Any) -> Post:
    client = app.test_client()

    def _post(envelope: dict[str, Any]) -> dict[str, Any]:
        reply = client.post("/alexa", data=json.dumps(envelope), content_type="application/json")
        assert reply.status_code == 200, reply.get_data(as_text=True)[:300]
        data: dict[str, Any] = reply.get_json()
        return data

    return _post


def directives(data: dict[str, Any]) -> list[dict[str, Any]]:
    return data["response"].get("directives") or []


def forged_tokens(catalog: Catalog, count: int) -> Iterator[str]:
    """Distinct tokens in our exact format, every field in range, each naming a different timeline where it
    can (the whole space of routine, length, band, extra sets and locale), with a seal that is not ours."""
    now = int(time.time())
    lengths = [v.value for v in Variant] + [f"m{m}" for m in range(1, 61)]
    space = itertools.product(sorted(catalog.routines), lengths, [b.value for b in BandLevel],
                              range(EXTRA_SETS_LIMIT + 1), LOCALES)
    for index, (routine, length, band, extra, locale) in zip(range(count), itertools.cycle(space), strict=False):
        started = format(now - index, "x")  # any well-formed digits do: the seal is checked first
        seal = base64.urlsafe_b64encode(index.to_bytes(12, "big")).decode().rstrip("=")
        yield f"bc2.{routine}.{length}.{band}.{extra}.{locale}.{index % 20}.{started}.{seal}"


def forged_positions(catalog: Catalog, count: int) -> Iterator[tuple[dict[str, Any], str]]:
    """Distinct session positions (and the locale each is asked in): every routine, variant, band, extra sets
    and locale in turn, four requests each, with blocks and extra sets far out of range and a fresh start."""
    now = int(time.time())
    space = itertools.product(sorted(catalog.routines), [v.value for v in Variant], [b.value for b in BandLevel],
                              range(EXTRA_SETS_LIMIT + 1), LOCALES)
    combos = itertools.cycle(space)
    routine, variant, band, extra, locale = next(combos)
    for index in range(count):
        if index % 4 == 0:
            routine, variant, band, extra, locale = next(combos)
        out_of_range = index % 4 == 3
        yield {"position": {"routine": routine, "variant": variant, "band": band,
                            "extra_sets": extra + (10**6 if out_of_range else 0),
                            "block": index % 7 + (999_000 if out_of_range else 0), "started": now - index}}, locale


def test_five_thousand_forged_tokens_and_positions_do_not_grow_memory(app: Any, post: Post) -> None:
    catalog: Catalog = app.extensions["bandcoach"].catalog
    for kind in ("PlaybackNearlyFinished", "PlaybackStarted"):  # first requests pay for imports and caches
        post(testing.audio_player_request(kind, next(forged_tokens(catalog, 1))))
    for attributes, locale in itertools.islice(forged_positions(catalog, 200), 200):
        post(testing.intent_request("AMAZON.RepeatIntent", session_attributes=attributes, locale=locale))
    gc.collect()
    before, started = rss_bytes(), time.perf_counter()
    logging.disable(logging.WARNING)  # pytest keeps every captured record: measure the app, not the capture
    try:
        for index, token in enumerate(forged_tokens(catalog, REQUESTS)):
            kind = ("PlaybackNearlyFinished", "PlaybackStarted", "PlaybackFailed")[index % 3]
            assert directives(post(testing.audio_player_request(kind, token, 1_000))) == []
        for attributes, locale in forged_positions(catalog, REQUESTS):
            data = post(testing.intent_request("AMAZON.RepeatIntent", session_attributes=attributes, locale=locale))
            assert data["response"]["outputSpeech"]["ssml"]
    finally:
        logging.disable(logging.NOTSET)
    gc.collect()
    after, seconds = rss_bytes(), time.perf_counter() - started

    print(f"\nRSS {before / 2**20:.1f} MB -> {after / 2**20:.1f} MB after {2 * REQUESTS} forged requests "
          f"in {seconds:.1f} s; memos: {len(catalog._timelines)} timelines, {len(catalog._fits)} fits")
    assert after - before < MAX_GROWTH
    assert len(catalog._timelines) <= TIMELINE_MEMO and len(catalog._fits) <= FIT_MEMO


def test_a_forged_token_is_refused_while_a_genuine_one_plays(post: Post) -> None:
    place = Place(ROUTINE, VARIANT, BAND, 0, 0, int(time.time()))
    genuine = encode(Stream(place))
    body, _, seal = genuine.rpartition(".")
    forged = f"{body}.{'A' * len(seal)}"  # the same fields, a seal made without the secret
    playing = directives(post(testing.audio_player_request("PlaybackNearlyFinished", genuine, 1_000)))
    assert [d["type"] for d in playing] == ["AudioPlayer.Play"]
    assert directives(post(testing.audio_player_request("PlaybackNearlyFinished", forged, 1_000))) == []


def test_a_token_from_the_play_intent_is_accepted_back(post: Post) -> None:
    """The app's own tokens round-trip through the device: what PlayRoutineIntent hands out plays on."""
    started = post(testing.intent_request("PlayRoutineIntent", {"routine": (ROUTINE, ROUTINE), "length": LENGTH},
                                          new=True))
    (play,) = directives(started)
    token = play["audioItem"]["stream"]["token"]
    following = directives(post(testing.audio_player_request("PlaybackNearlyFinished", token, 1_000)))
    assert [d["playBehavior"] for d in following] == ["ENQUEUE"]


def test_the_catalog_keeps_at_most_its_memo_size_of_timelines(catalog: Catalog) -> None:
    for routine, band, variant, extra in itertools.product(sorted(catalog.routines), BandLevel, Variant,
                                                           range(EXTRA_SETS_LIMIT + 1)):
        catalog.timeline(routine, band=band, variant=variant, extra_sets=extra)
    assert len(catalog._timelines) == TIMELINE_MEMO


def test_the_most_recently_used_timeline_stays_memoised(catalog: Catalog) -> None:
    favourite = catalog.timeline("desk")
    for extra, band in itertools.product(range(EXTRA_SETS_LIMIT + 1), BandLevel):
        for routine in sorted(catalog.routines):
            catalog.timeline(routine, band=band, extra_sets=extra, locale="en-GB")
        assert catalog.timeline("desk") is favourite  # asked for again between the others: never evicted


@pytest.mark.parametrize("minutes", [0, 5, 60])
def test_block_count_is_the_timelines_without_building_it(catalog: Catalog, minutes: int) -> None:
    for routine, variant, extra in itertools.product(sorted(catalog.routines), Variant, (0, EXTRA_SETS_LIMIT)):
        place = Place(routine, variant, BandLevel.LIGHT, extra, minutes=minutes)
        assert catalog.block_count(place) == len(catalog.timeline_at(place, "en-GB").blocks)


def test_clamping_a_place_memoises_no_timeline(catalog: Catalog) -> None:
    """Session positions are clamped on every request: counting blocks must not fill the timeline memo."""
    for routine, band, extra in itertools.product(sorted(catalog.routines), BandLevel, range(EXTRA_SETS_LIMIT + 1)):
        assert catalog.clamped(Place(routine, Variant.SHORT, band, extra, block=10**6)) is not None
    assert len(catalog._timelines) == 0


def test_timelines_outside_the_clamped_ranges_are_refused_not_memoised(catalog: Catalog) -> None:
    for extra, minutes in ((EXTRA_SETS_LIMIT + 1, 0), (-1, 0), (0, -1), (0, 61)):
        with pytest.raises(ValueError, match="extra sets"):
            catalog.timeline("desk", extra_sets=extra, minutes=minutes)
    assert len(catalog._timelines) == 0
