"""LocalSegments: the SegmentSource over the local prompt cache, joining a run's clips on first use."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from skill.errors import StorageError
from skill.segments import SegmentRef
from skill.timeline import Cue

if TYPE_CHECKING:
    from audio.cache import AudioCache

logger = logging.getLogger(__name__)


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
        from audio.render import MissingPrompts, RenderError, plan_cues, render_plan  # first use, not start-up

        try:
            plan = plan_cues(self.cache, cues, routine=routine, locale=locale, index=index, title=title)
            segment = render_plan(self.cache, plan)
        except MissingPrompts as exc:
            logger.info("no recorded audio: %s", exc)
            return None
        except StorageError as exc:
            logger.error("could not keep the joined clips of %s (block %d): %s", routine, index, exc)
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
