"""The coach's recorded voice: a response's cues as one <audio> clip, when every cue is cached and public.

The request path only looks clips up and joins already-encoded frames (a few milliseconds, once
per block, then cached); it never synthesises. Anything missing means text SSML instead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from . import ssml
from .config import Settings
from .playback import segment_url
from .timeline import Cue

if TYPE_CHECKING:
    from audio.cache import AudioCache

logger = logging.getLogger(__name__)


class Voice:
    """Turns cues into one recorded clip per response, within Alexa's <audio> limits."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._cache: AudioCache | None = None
        self._lock = threading.Lock()

    @classmethod
    def for_settings(cls, settings: Settings) -> Voice | None:
        """A voice when recorded audio can reach Alexa: a public https URL serving the local cache."""
        url = settings.public_url or ""
        if not url.startswith("https://") or settings.audio_store != "local":
            return None
        return cls(settings)

    def clips(self, cues: Sequence[Cue], *, routine: str, locale: str, before: Sequence[str] = (),
              after: Sequence[str] = ()) -> str | None:
        """SSML with the cues as one clip between spoken sentences, or None to speak text instead."""
        from audio.render import MissingPrompts, RenderError, plan_cues, render_plan

        try:
            plan = plan_cues(self._audio_cache(), cues, routine=routine, locale=locale)
            if plan.seconds > ssml.MAX_AUDIO_SECONDS:
                return None  # longer than Alexa plays inside one response
            segment = render_plan(self._audio_cache(), plan)
        except MissingPrompts:
            return None
        except (RenderError, OSError):
            logger.exception("could not join recorded cues; speaking text instead")
            return None
        url = segment_url(self.settings.public_url, segment.key)
        return ssml.audio_clips([url], before=before, after=after) if url else None

    def _audio_cache(self) -> AudioCache:
        with self._lock:
            if self._cache is None:
                from audio.cache import AudioCache

                self._cache = AudioCache(self.settings.audio_path)
            return self._cache
