"""The coach's recorded voice: a response's cues as one <audio> clip, when their segment exists and is public.

The segment comes from the runtime's SegmentSource (skill.segments): joined once from the local
cache by the web service, or named by the index `bandcoach audio publish` wrote to S3 on Lambda
(which pre-renders every session-mode answer for that). The request path never synthesises;
anything missing means text SSML instead.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from skill import ssml
from skill.config import Settings
from skill.playback import https_base, segment_url
from skill.segments import SegmentSource
from skill.timeline import Cue

logger = logging.getLogger(__name__)


class Voice:
    """Turns cues into one recorded clip per response, within Alexa's <audio> limits."""

    def __init__(self, settings: Settings, segments: SegmentSource) -> None:
        self.settings = settings
        self.segments = segments

    @classmethod
    def for_settings(cls, settings: Settings, segments: SegmentSource) -> Voice | None:
        """A voice when recorded audio can reach Alexa: a public https URL (the web service's or the bucket's)."""
        return cls(settings, segments) if https_base(settings.public_url) else None

    def clips(self, cues: Sequence[Cue], *, routine: str, locale: str, before: Sequence[str] = (),
              after: Sequence[str] = ()) -> str | None:
        """SSML with the cues as one clip between spoken sentences, or None to speak text instead."""
        if not cues or sum(c.seconds for c in cues) > ssml.MAX_AUDIO_SECONDS:
            return None  # nothing to record, or longer than Alexa plays inside one response
        segment = self.segments.find(cues, routine=routine, locale=locale)
        url = segment_url(self.settings.public_url, segment.key) if segment is not None else None
        return ssml.audio_clips([url], before=before, after=after) if url else None
