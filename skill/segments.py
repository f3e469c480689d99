"""The published-segment contract: which runs of cues have a segment, their fingerprint, and the index format.

A *segment* is one MP3 made of a run of cues (audio/render.py joins cached clips with timed
silence). Two runs of cues need one: a hands-free block (the exercise's cues and the rest after
it) and a session-mode response (a block's cues without the rest, block 0 with the intro). The
request path asks a SegmentSource "which segment plays these cues?" and gets a content key and
its length, or None (speak text / coach step by step). The sources themselves live in the audio
library (audio.local joins clips from the local cache; audio.s3 reads the index that
`bandcoach audio publish` wrote); this module does no I/O, so both sides share it.

Segments are looked up by a *fingerprint* of the cues themselves (words, timing, locale), not
by routine name and index: a function whose routines or wording differ from the cache that was
published simply misses and falls back, instead of playing audio that says something else.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from skill import ssml
from skill.timeline import TONE, Cue, Timeline, with_tones

logger = logging.getLogger(__name__)

FORMAT = 1  # bump when the index's shape changes; a reader ignores an index of another format
PREFIX = "audio/"  # the public audio prefix: the bucket's (serverless.yml) and the web service's URL path
AUDIO_CACHE_CONTROL = "public, max-age=31536000, immutable"  # a key names its bytes forever (bucket and /audio/)
INDEX_CONTENT_TYPE = "application/json"
INDEX_CACHE_CONTROL = "no-cache"  # unlike the audio, the index changes in place


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


def block_cues(timeline: Timeline, index: int, *, tones: bool = True) -> list[Cue]:
    """Hands-free (and exports): block `index` as it streams, its cues then the rest after it.

    With `tones` (BANDCOACH_TONES, on by default) the run carries its tone cues, so its fingerprint,
    and the segment it names, differ from the run without them: a cache never serves the other kind.
    """
    block = timeline.blocks[index]
    cues = [*block.cues, *block.rest]
    return with_tones(cues) if tones else cues


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
    payload = [locale, [[_words(c), round(c.seconds, 3)] for c in cues]]
    return hashlib.sha256(json.dumps(payload, separators=(",", ":")).encode()).hexdigest()[:32]


def _words(cue: Cue) -> str:
    """What a cue says, whitespace-folded; a tone cue says its tone's name (no spoken line looks like it)."""
    return f"<tone:{cue.params['tone']}>" if cue.kind == TONE else " ".join(cue.text.split())


def publishable_runs(timeline: Timeline, *, tones: bool = True) -> list[tuple[int, list[Cue]]]:
    """Every run of cues the skill may ask a segment for: each hands-free block, and each session-mode answer.

    Session answers longer than Alexa plays in one response are left out: the skill speaks those as text.
    Hands-free blocks carry tone cues when `tones` is on; session answers never do.
    """
    runs = []
    for index in range(len(timeline.blocks)):
        session = [session_cues(timeline, index)] + ([session_cues(timeline, 0, with_intro=True)] if index == 0 else [])
        runs.append((index, block_cues(timeline, index, tones=tones)))
        runs += [(index, cues) for cues in session if sum(c.seconds for c in cues) <= ssml.MAX_AUDIO_SECONDS]
    return runs


def index_key(locale: str, prefix: str = PREFIX) -> str:
    """The object name of a locale's index: `audio/index/<locale>.json`."""
    return f"{prefix}index/{locale}.json"


@dataclass(frozen=True, slots=True)
class SegmentIndex:
    """One locale's published segments: cue fingerprint -> (segment key, seconds), and what made them."""

    locale: str
    engine: Mapping[str, str]  # the engine identity of the clips (engine, version, voice, rate)
    segments: Mapping[str, tuple[str, float]] = field(default_factory=dict)
    timelines: tuple[str, ...] = ()  # "routine/variant/band/+extra" covered, for operators reading it

    def get(self, cues: Sequence[Cue]) -> SegmentRef | None:
        """The segment for exactly these cues, if published."""
        found = self.segments.get(fingerprint(cues, self.locale))
        return SegmentRef(*found) if found else None

    def to_json(self) -> bytes:
        """Compact, deterministic JSON: publishing the same cache twice writes the same bytes (and ETag)."""
        data = {"format": FORMAT, "locale": self.locale, "engine": dict(self.engine),
                "timelines": sorted(self.timelines),
                "segments": {fp: [key, round(seconds, 3)] for fp, (key, seconds) in sorted(self.segments.items())}}
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> SegmentIndex:
        """Parse an index; ValueError when it is not one of ours in this format."""
        try:
            data = json.loads(raw)
            if data.get("format") != FORMAT:
                raise ValueError(f"format {data.get('format')!r}, expected {FORMAT}")
            segments = {str(fp): (str(key), float(seconds)) for fp, (key, seconds) in data["segments"].items()}
            return cls(str(data["locale"]), dict(data["engine"]), segments, tuple(data.get("timelines", ())))
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a segment index: {exc}") from exc
