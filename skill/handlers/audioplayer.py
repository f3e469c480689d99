"""AudioPlayer and PlaybackController events of hands-free workouts: directives only, never speech.

AudioPlayer requests carry no session, so what is playing comes from the token (skill.playback)
and where the runner stopped goes to the state store. Events for tokens that are not ours get an
empty answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response
from ask_sdk_model.interfaces.audioplayer import PlayBehavior, StopDirective

from skill.handlers.base import Deps, Handler, request_type
from skill.handlers.player import Player, Unavailable, audio_player_offset, audio_player_token, offset_of
from skill.playback import Stream

logger = logging.getLogger(__name__)


class PlaybackEventHandler(Handler):
    """AudioPlayer.* and PlaybackController.*: no speech, card or reprompt is allowed in the answer."""

    def __init__(self, deps: Deps) -> None:
        super().__init__(deps)
        self.player = Player(deps)

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return request_type(handler_input).startswith(("AudioPlayer.", "PlaybackController."))

    def handle(self, handler_input: HandlerInput) -> Response:
        kind = request_type(handler_input)
        request = handler_input.request_envelope.request
        if kind == "AudioPlayer.PlaybackFailed":
            error = getattr(request, "error", None)
            logger.warning("playback failed: %s", str(getattr(error, "message", ""))[:200])
        token = (getattr(request, "token", None) if kind.startswith("AudioPlayer.") else None) \
            or audio_player_token(handler_input)
        stream = self.player.ours(token)
        answer = self.EVENTS.get(kind)
        if stream is not None and answer is not None and isinstance(token, str):  # ours() decodes only str tokens
            try:
                answer(self, Event(handler_input, stream, token))  # adds the directives, if any
            except Unavailable as why:  # the runner cannot hear why; the operator reads it
                logger.warning("hands-free %s for %s: %s", kind, stream.place.routine, why.spoken)
        return handler_input.response_builder.response

    # One small method per event, each adding at most one directive; EVENTS below routes to them.

    def _started(self, event: Event) -> None:
        """PlaybackStarted: keep the stream and offset to resume from."""
        self.player.remember(event.handler_input, event.stream, offset_ms=event.offset_ms, playing=True)

    def _stopped(self, event: Event) -> None:
        """PlaybackStopped: keep the stream and offset to resume from, unless the workout is over ("I'm done")."""
        self.player.remember(event.handler_input, event.stream, offset_ms=event.offset_ms)

    def _enqueue_next(self, event: Event) -> None:
        """PlaybackNearlyFinished: queue the following segment behind this one."""
        following = self.player.next(event.stream)
        if following is not None:
            self.player.play(event.handler_input, following, behavior=PlayBehavior.ENQUEUE, previous=event.token)

    def _finish(self, event: Event) -> None:
        """PlaybackFinished: after the last segment, the workout is recorded as completed."""
        if self.player.next(event.stream) is None:
            self.player.finish(event.handler_input, event.stream)

    def _play_next(self, event: Event) -> None:
        """PlaybackFailed or the device's next button: play the following segment, if any."""
        following = self.player.next(event.stream)
        if following is not None:
            self.player.play(event.handler_input, following)

    def _play_previous(self, event: Event) -> None:
        """The device's previous button: the segment before (the first stays the first)."""
        self.player.play(event.handler_input, event.stream.at(max(0, event.stream.place.block - 1)))

    def _resume(self, event: Event) -> None:
        """The device's play button: carry on where the runner stopped, unless that workout is finished."""
        point = self.player.resume_point(event.handler_input, event.stream)
        if point is not None:
            self.player.play(event.handler_input, point[0], offset_ms=point[1])

    def _pause(self, event: Event) -> None:
        """The device's pause button: remember where, then stop."""
        self.player.remember(event.handler_input, event.stream, offset_ms=audio_player_offset(event.handler_input))
        event.handler_input.response_builder.add_directive(StopDirective())

    EVENTS: ClassVar[dict[str, Callable[[PlaybackEventHandler, Event], None]]] = {
        "AudioPlayer.PlaybackStarted": _started,
        "AudioPlayer.PlaybackStopped": _stopped,
        "AudioPlayer.PlaybackNearlyFinished": _enqueue_next,
        "AudioPlayer.PlaybackFinished": _finish,
        "AudioPlayer.PlaybackFailed": _play_next,
        "PlaybackController.PlayCommandIssued": _resume,
        "PlaybackController.NextCommandIssued": _play_next,
        "PlaybackController.PreviousCommandIssued": _play_previous,
        "PlaybackController.PauseCommandIssued": _pause,
    }


@dataclass(frozen=True, slots=True)
class Event:
    """One AudioPlayer or PlaybackController event for a stream of ours, with the offset it reports."""

    handler_input: HandlerInput
    stream: Stream
    token: str

    @property
    def offset_ms(self) -> int:
        """The event's own offset (AudioPlayer events carry one), else the device's from the context."""
        offset = getattr(self.handler_input.request_envelope.request, "offset_in_milliseconds", None)
        return offset_of(offset) if isinstance(offset, int) else audio_player_offset(self.handler_input)
