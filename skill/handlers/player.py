"""The hands-free service: a Stream becomes AudioPlayer directives, and where it stopped is remembered.

The stream is one MP3 segment per exercise, served at BANDCOACH_PUBLIC_URL/audio/<key>.mp3 and
found through the runtime's SegmentSource (skill.segments): joined from the local cache by the web
service, or read from the index `bandcoach audio publish` wrote to S3 on Lambda. Nothing is
synthesised here: a missing segment or HTTPS URL raises Unavailable with words for the runner.
Voice intents (handsfree.py) and device events (audioplayer.py) both go through Player.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response
from ask_sdk_model.interfaces.audioplayer import (
    AudioItem,
    AudioItemMetadata,
    PlayBehavior,
    PlayDirective,
    StopDirective,
)
from ask_sdk_model.interfaces.audioplayer import Stream as AudioStream

from skill import playback, prompts
from skill.handlers import memory
from skill.handlers.base import Deps
from skill.playback import Stream
from skill.routines import Place
from skill.segments import block_cues
from skill.timeline import Timeline

logger = logging.getLogger(__name__)


class Unavailable(Exception):
    """A segment cannot be streamed now; `spoken` says why in words a runner understands."""

    def __init__(self, spoken: str) -> None:
        super().__init__(spoken)
        self.spoken = spoken


@dataclass(frozen=True, slots=True)
class Item:
    """One segment ready to play: its token, HTTPS URL and the titles a screen shows."""

    token: str
    url: str
    title: str
    subtitle: str


class Player:
    """Turns a Stream into AudioPlayer directives, finding segments through the runtime's SegmentSource."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def timeline(self, stream: Stream) -> Timeline:
        return self.deps.catalog.timeline_at(stream.place, stream.locale)

    def token(self, stream: Stream) -> str:
        """`stream`'s token, sealed with this skill's key."""
        return playback.encode(stream, self.deps.token_key)

    def ours(self, token: object) -> Stream | None:
        """The stream a token names when this skill sealed it, it is recent, and its routine and segment exist.

        A forged or out-of-range token is None before any timeline is built, so request-controlled
        values never become memo keys here.
        """
        stream = playback.decode(token, self.deps.token_key)
        if stream is None or stream.place.routine not in self.deps.catalog.routines:
            return None
        return stream if stream.place.block < len(self.timeline(stream).blocks) else None

    def next(self, stream: Stream) -> Stream | None:
        """The segment after `stream`, or None after the last."""
        following = stream.place.block + 1
        return stream.at(following) if following < len(self.timeline(stream).blocks) else None

    def item(self, stream: Stream) -> Item:
        """The segment `stream` names, from the segment source; Unavailable if there is none to play."""
        base = playback.https_base(self.deps.settings.public_url)
        if base is None:
            logger.warning("hands-free unavailable: BANDCOACH_PUBLIC_URL is %r; Alexa streams only over HTTPS, so set "
                           "it to the skill's public https:// address", self.deps.settings.public_url)
            raise Unavailable(prompts.audio_unavailable())
        timeline, place = self.timeline(stream), stream.place
        title = timeline.blocks[place.block].exercise.name
        segment = self.deps.segments.find(block_cues(timeline, place.block, tones=self.deps.settings.tones),
                                           routine=place.routine,
                                           locale=stream.locale, index=place.block, title=title)
        if segment is None:
            logger.warning("hands-free unavailable: no segment for block %d of %s (%s); warm and publish the "
                           "audio ('bandcoach audio warm', then 'bandcoach audio publish' for S3)",
                           place.block, place.routine, stream.locale)
            raise Unavailable(prompts.audio_unavailable())
        return Item(self.token(stream), playback.audio_url(base, segment.key), title, timeline.routine.name)

    def play(self, handler_input: HandlerInput, stream: Stream, *, behavior: PlayBehavior = PlayBehavior.REPLACE_ALL,
             offset_ms: int = 0, previous: str | None = None) -> Item:
        """Add a Play directive for `stream` to the response; returns the item (Unavailable if none)."""
        item = self.item(stream)
        audio = AudioStream(token=item.token, url=item.url, offset_in_milliseconds=max(0, offset_ms),
                            expected_previous_token=previous if behavior == PlayBehavior.ENQUEUE else None)
        handler_input.response_builder.add_directive(PlayDirective(
            play_behavior=behavior,
            audio_item=AudioItem(stream=audio, metadata=AudioItemMetadata(title=item.title, subtitle=item.subtitle)),
        ))
        return item

    def remember(self, handler_input: HandlerInput, stream: Stream, *, offset_ms: int = 0,
                 playing: bool = False) -> None:
        """Keep the stream and offset in the state store (AudioPlayer requests have no session).

        After the last segment, and after "I'm done", the device still reports the token, by voice,
        buttons and playback events alike: remembering a workout already recorded would offer it to
        resume (and record it twice). So the history is checked inside the same atomic store update
        that keeps the place (`memory.keep_unless_recorded`): a pause or stop racing PlaybackFinished
        on another request thread either lands before the record (which then clears it) or sees it.
        A stream that has just started `playing` a segment before the last is live, so that frequent
        event keeps the place with the store's position-only write instead.
        """
        if playing and self.next(stream) is not None:
            memory.remember(handler_input, self.deps, stream.place, token=self.token(stream), offset_ms=offset_ms)
        else:
            memory.keep_unless_recorded(handler_input, self.deps, stream.place, token=self.token(stream),
                                        offset_ms=offset_ms)

    def finish(self, handler_input: HandlerInput, stream: Stream) -> None:
        """The last segment played to its end: record a completed workout, once (`memory.finished` is
        idempotent per routine and start, so a repeated PlaybackFinished adds nothing)."""
        memory.finished(handler_input, self.deps, stream.place, self.timeline(stream).seconds)

    def resume_point(self, handler_input: HandlerInput, current: Stream) -> tuple[Stream, int] | None:
        """Where to carry on: the stored stream and offset when they are this workout's, else `current` at
        the device's offset; None when this workout already played to its end (the device still reports
        the last segment's token then, and replaying it would record the workout twice)."""
        state = memory.load(handler_input, self.deps)
        kept = state.in_progress if state else None
        stored = self.ours(kept.token) if kept is not None else None
        if stored is not None and kept is not None and same_workout(stored.place, current.place):
            return stored, kept.offset_ms
        if self.finished_already(handler_input, current):
            return None
        return current, audio_player_offset(handler_input)

    def finished_already(self, handler_input: HandlerInput, stream: Stream) -> bool:
        """Whether this workout (same routine, same start) is already in the history: it played to its end or
        the runner ended it. Completed or not (skipped through too fast to count) makes no difference here."""
        return self._recorded(handler_input, stream)

    def live(self, handler_input: HandlerInput, stream: Stream) -> bool:
        """Whether this stream's workout is still going: the one kept in the store, or not yet in the history."""
        state = memory.load(handler_input, self.deps)
        kept = state.in_progress if state else None
        if kept is not None and same_workout(kept.place, stream.place):
            return True
        return not self._recorded(handler_input, stream)

    def _recorded(self, handler_input: HandlerInput, stream: Stream) -> bool:
        state = memory.load(handler_input, self.deps)
        return state is not None and memory.recorded(state, stream.place) is not None


def same_workout(a: Place, b: Place) -> bool:
    """Whether two places belong to one workout: the same routine begun at the same second."""
    return (a.routine, a.started) == (b.routine, b.started)


def audio_player_token(handler_input: HandlerInput) -> str | None:
    """The token of the stream this device is playing (or last played), from the request context."""
    player = getattr(handler_input.request_envelope.context, "audio_player", None)
    token = getattr(player, "token", None)
    return token if isinstance(token, str) else None


MAX_OFFSET_MS = 6 * 3600 * 1000  # no segment is this long: a larger offset is garbage, not a place to resume


def offset_of(value: object) -> int:
    """An offset in milliseconds from a request, in 0..MAX_OFFSET_MS; anything else (negative, huge, not an
    int) is 0, so no request-sized number reaches the store or a Play directive."""
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_OFFSET_MS else 0


def audio_player_offset(handler_input: HandlerInput) -> int:
    """The device's offset into the stream it plays (or last played), from the request context."""
    player = getattr(handler_input.request_envelope.context, "audio_player", None)
    return offset_of(getattr(player, "offset_in_milliseconds", None))


def supports_audio_player(handler_input: HandlerInput) -> bool:
    """Whether the device declares the AudioPlayer interface (a screenless simulator may not)."""
    system = getattr(handler_input.request_envelope.context, "system", None)
    interfaces = getattr(getattr(system, "device", None), "supported_interfaces", None)
    return getattr(interfaces, "audio_player", None) is not None


def stop(handler_input: HandlerInput) -> Response:
    """An AudioPlayer.Stop directive and nothing else."""
    return handler_input.response_builder.add_directive(StopDirective()).set_should_end_session(True).response
