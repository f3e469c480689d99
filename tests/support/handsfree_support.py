"""Helpers for the hands-free and export tests: one short routine warmed with real espeak-ng, shared per module."""

from __future__ import annotations

from pathlib import Path

from audio.cache import AudioCache, canonical_text
from audio.engines.espeak import EspeakEngine
from audio.warm import warm
from skill.catalog import Catalog
from skill.routines import BandLevel, Variant
from skill.timeline import Timeline
from support.builtin_catalog import builtin_catalog

ROUTINE = "desk"  # the shortest built-in routine: its short variant is about six minutes
VARIANT = Variant.SHORT
BAND = BandLevel.LIGHT  # desk's own band, so a PlayRoutineIntent without a band slot picks it
LENGTH = ("short", "quick")  # the length slot (spoken, id) that chooses the short variant
LOCALE = "en-US"


def timeline_of(catalog: Catalog | None = None, **kw: object) -> Timeline:
    """The timeline the tests warm: desk, short, light band, en-US (override with catalog.timeline's keywords)."""
    options = {"band": BAND, "variant": VARIANT, "locale": LOCALE, **kw}
    return (catalog or builtin_catalog()).timeline(ROUTINE, **options)


def warm_timeline(audio_dir: Path, timeline: Timeline) -> AudioCache:
    """Synthesise every cue of `timeline` into a cache at `audio_dir` with real espeak-ng (about half a second)."""
    cache = AudioCache(audio_dir)
    texts = list(dict.fromkeys(canonical_text(c.text) for c in timeline.cues() if c.text.strip()))
    report = warm(cache, EspeakEngine(), texts, timeline.locale)
    assert report.failed == 0, report.failures
    return cache
