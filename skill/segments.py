"""Where the request path finds pre-joined audio: a read-only SegmentSource, local cache or published S3 index.

A *segment* is one MP3 made of a run of cues (audio/render.py joins cached clips with timed
silence). Two runs of cues need one: a hands-free block (the exercise's cues and the rest after
it) and a session-mode response (a block's cues without the rest, block 0 with the intro). The
request path asks "which segment plays these cues?" and gets a content key and its length, or
None (speak text / coach step by step). It never synthesises and, with the S3 index, never
renders: this module imports no audio pipeline, no codecs and no boto3 until a source needs them.

Segments are looked up by a *fingerprint* of the cues themselves (words, timing, locale), not
by routine name and index: a function whose routines or wording differ from the cache that was
published simply misses and falls back, instead of playing audio that says something else.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from .timeline import Cue, Timeline

if TYPE_CHECKING:
    from audio.cache import AudioCache

    from .config import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SegmentRef:
    """A segment that can be played now: its content key (`<public url>/audio/<key>.mp3`) and length."""

    key: str
    seconds: float


class SegmentSource(Protocol):
    """Answers, without synthesising, which published segment plays a run of cues."""

    def find(self, cues: Sequence[Cue], *, routine: str, locale: str, index: int = 0,
             title: str = "") -> SegmentRef | None:
        """The segment for exactly these cues, or None when it is not available."""


def block_cues(timeline: Timeline, index: int) -> list[Cue]:
    """Hands-free: block `index` as it streams, its cues then the rest after it."""
    block = timeline.blocks[index]
    return [*block.cues, *block.rest]


def session_cues(timeline: Timeline, index: int, *, with_intro: bool = False) -> list[Cue]:
    """Step by step: what one response speaks for block `index` (the outro too after the last block).

    The intro belongs to the first response of a new workout only; a repeat or resume skips it.
    """
    block = timeline.blocks[index]
    cues = [c for c in block.cues if with_intro or c.kind != "intro"]
    if index == len(timeline.blocks) - 1:
        cues += block.rest  # the outro
    return cues


def fingerprint(cues: Sequence[Cue], locale: str) -> str:
    """A short, stable name for a run of cues: sha256 over the locale and each cue's words and seconds.

    Words are whitespace-folded and seconds rounded to the millisecond, as the renderer keys
    segments, so the publisher and the request path agree on any machine.
    """
    payload = [locale, [[" ".join(c.text.split()), round(c.seconds, 3)] for c in cues]]
    return hashlib.sha256(json.dumps(payload, separators=(",", ":")).encode()).hexdigest()[:32]


class LocalSegments:
    """The local prompt cache (BANDCOACH_AUDIO_DIR): plan from the manifest, join clips on first use, keep the result.

    For the web service, which serves the same cache at /audio/. Joining a block takes a few
    milliseconds and happens once; the cache and codec-free renderer load on first use.
    """

    def __init__(self, audio_dir: Path) -> None:
        self.audio_dir = audio_dir
        self._cache: AudioCache | None = None
        self._lock = threading.Lock()

    def find(self, cues: Sequence[Cue], *, routine: str, locale: str, index: int = 0,
             title: str = "") -> SegmentRef | None:
        from audio.render import MissingPrompts, RenderError, plan_cues, render_plan

        try:
            plan = plan_cues(self.cache, cues, routine=routine, locale=locale, index=index, title=title)
            segment = render_plan(self.cache, plan)
        except MissingPrompts as exc:
            logger.info("no recorded audio: %s", exc)
            return None
        except (RenderError, OSError):
            logger.exception("could not join the cached clips of %s (block %d)", routine, index)
            return None
        return SegmentRef(segment.key, segment.seconds)

    @property
    def cache(self) -> AudioCache:
        with self._lock:
            if self._cache is None:
                from audio.cache import AudioCache

                self._cache = AudioCache(self.audio_dir)
            return self._cache


def segment_source(settings: Settings) -> SegmentSource:
    """The source BANDCOACH_AUDIO_STORE chooses: the published S3 index (s3) or the local cache (local)."""
    if settings.audio_store == "s3":
        from .segment_index import S3SegmentIndex

        return S3SegmentIndex.from_settings(settings)
    return LocalSegments(settings.audio_path)
