"""A chosen routine as one MP3 for the phone's player: the export's segments joined, with their chapter times.

The segments are the ones exports and hands-free play (audio.render, from the prompt cache); their
frames are joined without re-encoding and kept in the same cache under a content key, so
`GET /audio/<key>.mp3` serves the file with ranges and long caching, and `bandcoach audio prune`
trims it like any segment. Chapter times are whole frames, as `audio.export.chapters_of` measures
them. Cues the cache lacks are spoken once by the configured engine, as `bandcoach export` does:
the phone is the one door that may synthesise, since a runner waiting on a page is not Alexa
waiting on a response; a server with no engine says so in one line.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from skill.config import Settings
from skill.errors import BandCoachError
from skill.plugins import BandCoachPluginManager
from skill.timeline import Timeline

if TYPE_CHECKING:  # the audio pipeline loads on the first play, not with the app
    from audio.cache import AudioCache
    from audio.engines import TTSEngine

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
"""Bump when the joined file changes for the same segments: it is part of every routine key."""

ROUTINE_ENGINE = "routine"  # the cache's engine column for joined routines (stats show them apart)


class AudioUnavailable(BandCoachError):
    """The routine's audio cannot be made here (no engine, a failed prompt, a full disk): why, and the fix."""


@dataclass(frozen=True, slots=True)
class Playable:
    """One routine's audio: its content key (served at /audio/<key>.mp3), length, and chapters (seconds)."""

    key: str
    seconds: float
    chapters: tuple[tuple[str, float, float], ...]  # (exercise, start, end)

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "seconds": round(self.seconds, 3),
                "chapters": [{"title": t, "start": round(s, 3), "end": round(e, 3)} for t, s, e in self.chapters]}


def routine_key(segment_keys: list[str]) -> str:
    """sha256 over the format version and the ordered segment keys: the same segments, the same file."""
    payload = {"kind": "routine", "format_version": FORMAT_VERSION, "segments": segment_keys}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


class RoutineAudio:
    """Makes (once) and finds the whole-routine MP3 of a timeline in the prompt cache; one per app.

    The cache and the engine load on first use; the engine is chosen once and kept (a gTTS probe is
    a real request), while a failed choice is tried again next time (espeak-ng may be installed since).
    """

    def __init__(self, settings: Settings, pm: BandCoachPluginManager) -> None:
        self.settings = settings
        self.pm = pm
        self._cache: AudioCache | None = None
        self._engine: TTSEngine | None = None
        self._lock = threading.Lock()
        self._speaking = threading.Lock()  # one routine's prompts spoken at a time: a warm uses every core already

    @property
    def cache(self) -> AudioCache:
        with self._lock:
            if self._cache is None:
                from audio.cache import AudioCache

                self._cache = AudioCache(self.settings.audio_path)
            return self._cache

    def playable(self, timeline: Timeline) -> Playable:
        """The routine's MP3, made from its segments when not yet kept; AudioUnavailable saying why it cannot be."""
        from audio.export import chapters_of
        from audio.render import MissingPrompts, RenderError, render_timeline

        try:
            self._speak_missing(timeline)
            segments = render_timeline(self.cache, timeline, tones=self.settings.tones)  # as exports and hands-free
            key = routine_key([s.key for s in segments])
            seconds = sum(s.seconds for s in segments)
            if self.cache.intact_entry(key) is None:
                self._keep(key, b"".join(s.read() for s in segments), timeline, seconds)
        except (MissingPrompts, RenderError, OSError) as exc:
            logger.error("no phone audio for %s (%s): %s", timeline.routine.id, timeline.locale, exc)
            raise AudioUnavailable(f"the audio for {timeline.routine.name} could not be made: {exc}") from exc
        chapters = tuple((c.title, c.start_ms / 1000, c.end_ms / 1000) for c in chapters_of(segments))
        return Playable(key, seconds, chapters)

    def _keep(self, key: str, data: bytes, timeline: Timeline, seconds: float) -> None:
        from audio.engines import EngineIdentity

        ident = EngineIdentity(ROUTINE_ENGINE, str(FORMAT_VERSION), "joined", "1")
        self.cache.keep(key, data, ident, timeline.locale, f"routine {timeline.routine.id}", seconds)
        logger.info("joined %s (%s) for the phone: %.0f s", timeline.routine.id, timeline.locale, seconds)

    def _speak_missing(self, timeline: Timeline) -> None:
        """Synthesise the timeline's cues the cache lacks (nothing when all are there: no engine is chosen)."""
        from audio.cache import canonical_text
        from audio.warm import warm

        texts = list(dict.fromkeys(t for c in timeline.cues() if (t := canonical_text(c.text))))
        found = self.cache.lookup_each(texts, timeline.locale)
        missing = [t for t, entry in zip(texts, found, strict=True) if entry is None]
        if not missing:
            return
        with self._speaking:
            report = warm(self.cache, self._chosen_engine(), missing, timeline.locale)
        if report.storage_error is not None:
            raise AudioUnavailable(str(report.storage_error))
        if report.failed:
            raise AudioUnavailable(f"{report.failed} of {len(missing)} prompt(s) could not be spoken (first: "
                                   f"{report.failures[0][1]}); run 'bandcoach audio warm --routine "
                                   f"{timeline.routine.id} --locale {timeline.locale}' to see every error")

    def _chosen_engine(self) -> TTSEngine:
        """The engine BANDCOACH_TTS chooses, probed once; NoEngineAvailable (with its fix) when there is none."""
        with self._lock:
            if self._engine is None:
                from audio.engines import choose_engine, collect_engines

                self._engine = choose_engine(self.settings, collect_engines(self.pm, self.settings))
            return self._engine
