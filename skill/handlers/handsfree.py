"""Hands-free workouts: PlayRoutineIntent starts AudioPlayer, and voice commands steer it while it plays.

The stream is one MP3 segment per exercise, served at BANDCOACH_PUBLIC_URL/audio/<key>.mp3 and
found through the runtime's SegmentSource (skill.segments): joined from the local cache by the web
service, or read from the index `bandcoach audio publish` wrote to S3 on Lambda. Nothing is
synthesised here: when the audio or an HTTPS public URL is missing, the runner hears why and is
coached step by step instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response
from ask_sdk_model.interfaces.audioplayer import (
    AudioItem,
    AudioItemMetadata,
    PlayBehavior,
    PlayDirective,
    StopDirective,
)
from ask_sdk_model.interfaces.audioplayer import Stream as AudioStream

from .. import playback, prompts
from ..playback import Stream
from ..segments import block_cues
from ..timeline import Timeline
from . import memory
from .base import Deps, Handler, Position, intent_name, locale_of, say, session_position
from .routine import StartRoutineIntentHandler, coach_block

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
        return self.deps.catalog.timeline(stream.routine, band=stream.band, variant=stream.variant,
                                          locale=stream.locale, extra_sets=stream.extra_sets)

    def ours(self, token: object) -> Stream | None:
        """The stream a token names when it is ours and its routine and segment still exist."""
        stream = playback.decode(token)
        if stream is None or stream.routine not in self.deps.catalog.routines:
            return None
        return stream if stream.index < len(self.timeline(stream).blocks) else None

    def next(self, stream: Stream) -> Stream | None:
        """The segment after `stream`, or None after the last."""
        return stream.at(stream.index + 1) if stream.index + 1 < len(self.timeline(stream).blocks) else None

    def item(self, stream: Stream) -> Item:
        """The segment `stream` names, from the segment source; Unavailable if there is none to play."""
        base = playback.https_base(self.deps.settings.public_url)
        if base is None:
            raise Unavailable(prompts.handsfree_needs_https())
        timeline = self.timeline(stream)
        title = timeline.blocks[stream.index].exercise.name
        segment = self.deps.segments.find(block_cues(timeline, stream.index), routine=stream.routine,
                                           locale=stream.locale, index=stream.index, title=title)
        if segment is None:
            logger.warning("hands-free unavailable: no segment for block %d of %s (%s); warm and publish the "
                           "audio ('bandcoach audio warm', then 'bandcoach audio publish' for S3)",
                           stream.index, stream.routine, stream.locale)
            raise Unavailable(prompts.handsfree_audio_not_ready())
        return Item(playback.encode(stream), playback.audio_url(base, segment.key), title, timeline.routine.name)

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

    def remember(self, handler_input: HandlerInput, stream: Stream, *, offset_ms: int = 0) -> None:
        """Keep the stream and offset in the state store (AudioPlayer requests have no session).

        After the last segment the device still reports its token, by voice, buttons and playback
        events alike: remembering a workout already recorded as finished would offer it to resume
        (and record it twice), so the last segment is checked against the history first.
        """
        if self.next(stream) is None and self.finished_already(handler_input, stream):
            return
        memory.remember(handler_input, self.deps, position(stream), token=playback.encode(stream), offset_ms=offset_ms)

    def finish(self, handler_input: HandlerInput, stream: Stream) -> None:
        """The last segment played to its end: record a completed workout."""
        memory.finished(handler_input, self.deps, position(stream), self.timeline(stream).seconds)

    def resume_point(self, handler_input: HandlerInput, current: Stream) -> tuple[Stream, int] | None:
        """Where to carry on: the stored stream and offset when they are this workout's, else `current` at
        the device's offset; None when this workout already played to its end (the device still reports
        the last segment's token then, and replaying it would record the workout twice)."""
        state = memory.load(handler_input, self.deps)
        kept = state.in_progress if state else None
        stored = self.ours(kept.token) if kept is not None else None
        if stored is not None and (stored.routine, stored.started) == (current.routine, current.started):
            return stored, kept.offset_ms
        if self.finished_already(handler_input, current):
            return None
        return current, audio_player_offset(handler_input)

    def finished_already(self, handler_input: HandlerInput, stream: Stream) -> bool:
        """Whether this workout (same routine, same start) is already in the history as completed."""
        state = memory.load(handler_input, self.deps)
        return state is not None and any(
            record.completed and record.routine == stream.routine
            and int(record.started_at.timestamp()) == stream.started for record in state.history)


def position(stream: Stream) -> Position:
    return Position(stream.routine, stream.band, stream.variant, stream.index, stream.extra_sets,
                    started=stream.started)


def audio_player_token(handler_input: HandlerInput) -> str | None:
    """The token of the stream this device is playing (or last played), from the request context."""
    player = getattr(handler_input.request_envelope.context, "audio_player", None)
    token = getattr(player, "token", None)
    return token if isinstance(token, str) else None


def audio_player_offset(handler_input: HandlerInput) -> int:
    player = getattr(handler_input.request_envelope.context, "audio_player", None)
    offset = getattr(player, "offset_in_milliseconds", None)
    return offset if isinstance(offset, int) and offset > 0 else 0


def supports_audio_player(handler_input: HandlerInput) -> bool:
    """Whether the device declares the AudioPlayer interface (a screenless simulator may not)."""
    system = getattr(handler_input.request_envelope.context, "system", None)
    interfaces = getattr(getattr(system, "device", None), "supported_interfaces", None)
    return getattr(interfaces, "audio_player", None) is not None


def stop(handler_input: HandlerInput) -> Response:
    """An AudioPlayer.Stop directive and nothing else."""
    return handler_input.response_builder.add_directive(StopDirective()).set_should_end_session(True).response


class PlayRoutineIntentHandler(StartRoutineIntentHandler):
    """PlayRoutineIntent: the same choice of routine, band and length as StartRoutine, played as audio."""

    def __init__(self, deps: Deps) -> None:
        super().__init__(deps)
        self.player = Player(deps)

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("PlayRoutineIntent")(handler_input)

    def begin(self, handler_input: HandlerInput, pos: Position, before: list[str]) -> Response:
        stream = Stream(pos.routine, pos.variant, pos.band, locale_of(handler_input), pos.extra_sets, 0, pos.started)
        try:
            if not supports_audio_player(handler_input):
                raise Unavailable(prompts.handsfree_no_player())
            item = self.player.play(handler_input, stream)
        except Unavailable as why:
            return coach_block(handler_input, self.deps, pos, before=[why.spoken, *before], with_intro=True,
                               new_workout=True)
        memory.begin(handler_input, self.deps, pos, token=item.token)
        return say(handler_input, " ".join([*before, prompts.handsfree_intro()]), end=True)


class HandsFreeIntentHandler(Handler):
    """Next, previous, start over, repeat, pause, stop, cancel and resume while our audio is the player's.

    Only when the request carries no session position (else the runner is in step-by-step mode)
    and the AudioPlayer token in its context is ours.
    """

    INTENTS = ("AMAZON.NextIntent", "AMAZON.PreviousIntent", "AMAZON.StartOverIntent", "AMAZON.RepeatIntent",
               "AMAZON.PauseIntent", "AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.ResumeIntent")

    def __init__(self, deps: Deps) -> None:
        super().__init__(deps)
        self.player = Player(deps)

    def can_handle(self, handler_input: HandlerInput) -> bool:
        if intent_name(handler_input) not in self.INTENTS:
            return False
        if session_position(handler_input, self.catalog) is not None:
            return False
        return self.player.ours(audio_player_token(handler_input)) is not None

    def handle(self, handler_input: HandlerInput) -> Response:
        stream = self.player.ours(audio_player_token(handler_input))
        assert stream is not None  # can_handle checked it
        name = handler_input.request_envelope.request.intent.name
        if name in ("AMAZON.PauseIntent", "AMAZON.StopIntent", "AMAZON.CancelIntent"):
            self.player.remember(handler_input, stream, offset_ms=audio_player_offset(handler_input))
            return stop(handler_input)
        offset = 0
        if name == "AMAZON.ResumeIntent":
            point = self.player.resume_point(handler_input, stream)
            if point is None:
                return say(handler_input, prompts.already_finished(), end=True)
            stream, offset = point
        elif name == "AMAZON.NextIntent":
            following = self.player.next(stream)
            if following is None:
                return say(handler_input, prompts.last_exercise(), end=True)
            stream = following
        elif name == "AMAZON.PreviousIntent":
            stream = stream.at(max(0, stream.index - 1))
        elif name == "AMAZON.StartOverIntent":
            stream = stream.at(0)
        try:
            self.player.play(handler_input, stream, offset_ms=offset)
        except Unavailable as why:
            return say(handler_input, why.spoken, end=True)
        return handler_input.response_builder.set_should_end_session(True).response


class LoopShuffleIntentHandler(Handler):
    """Loop and shuffle on/off: Alexa requires AudioPlayer skills to answer them; a workout plays in order."""

    INTENTS = ("AMAZON.LoopOnIntent", "AMAZON.LoopOffIntent", "AMAZON.ShuffleOnIntent", "AMAZON.ShuffleOffIntent")

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return intent_name(handler_input) in self.INTENTS

    def handle(self, handler_input: HandlerInput) -> Response:
        pos = session_position(handler_input, self.catalog)
        if pos is not None:  # step by step: keep the session and its position
            return say(handler_input, prompts.loop_and_shuffle_not_supported(), reprompt=prompts.next_reprompt(),
                       attributes=pos.to_attributes())
        # No Stop directive: playback carries on.
        return say(handler_input, prompts.loop_and_shuffle_not_supported(), end=True)
