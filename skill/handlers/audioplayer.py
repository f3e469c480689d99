"""AudioPlayer and PlaybackController events of hands-free workouts: directives only, never speech.

AudioPlayer requests carry no session, so what is playing comes from the token (skill.playback)
and where the runner stopped goes to the state store. Events for tokens that are not ours get an
empty answer.
"""

from __future__ import annotations

import logging

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_request_type
from ask_sdk_model import Response
from ask_sdk_model.interfaces.audioplayer import PlayBehavior, StopDirective

from ..playback import Stream
from .base import Deps, Handler
from .handsfree import Player, Unavailable, audio_player_offset, audio_player_token

logger = logging.getLogger(__name__)


class PlaybackEventHandler(Handler):
    """AudioPlayer.* and PlaybackController.*: no speech, card or reprompt is allowed in the answer."""

    def __init__(self, deps: Deps) -> None:
        super().__init__(deps)
        self.player = Player(deps)

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return get_request_type(handler_input).startswith(("AudioPlayer.", "PlaybackController."))

    def handle(self, handler_input: HandlerInput) -> Response:
        kind = get_request_type(handler_input)
        request = handler_input.request_envelope.request
        if kind == "AudioPlayer.PlaybackFailed":
            error = getattr(request, "error", None)
            logger.warning("playback failed: %s", str(getattr(error, "message", ""))[:200])
        token = (getattr(request, "token", None) if kind.startswith("AudioPlayer.") else None) \
            or audio_player_token(handler_input)
        stream = self.player.ours(token)
        if stream is not None:
            try:
                self._on(kind, handler_input, stream, token)
            except Unavailable as why:  # the runner cannot hear why; the operator reads it
                logger.warning("hands-free %s for %s: %s", kind, stream.routine, why.spoken)
        return handler_input.response_builder.response

    def _on(self, kind: str, handler_input: HandlerInput, stream: Stream, token: str) -> None:
        """Add the directives (if any) that answer `kind` for the stream `token` names."""
        offset = getattr(handler_input.request_envelope.request, "offset_in_milliseconds", None)
        offset = offset if isinstance(offset, int) else audio_player_offset(handler_input)
        if kind in ("AudioPlayer.PlaybackStarted", "AudioPlayer.PlaybackStopped"):
            self.player.remember(handler_input, stream, offset_ms=offset)
        elif kind == "AudioPlayer.PlaybackNearlyFinished":
            following = self.player.next(stream)
            if following is not None:
                self.player.play(handler_input, following, behavior=PlayBehavior.ENQUEUE,
                                 previous=token)
        elif kind == "AudioPlayer.PlaybackFinished":
            if self.player.next(stream) is None:
                self.player.finish(handler_input, stream)
        elif kind == "AudioPlayer.PlaybackFailed":
            following = self.player.next(stream)
            if following is not None:
                self.player.play(handler_input, following)
        elif kind == "PlaybackController.PlayCommandIssued":
            point = self.player.resume_point(handler_input, stream)
            if point is not None:  # None: that workout is finished; the button starts nothing
                self.player.play(handler_input, point[0], offset_ms=point[1])
        elif kind == "PlaybackController.NextCommandIssued":
            following = self.player.next(stream)
            if following is not None:
                self.player.play(handler_input, following)
        elif kind == "PlaybackController.PreviousCommandIssued":
            self.player.play(handler_input, stream.at(max(0, stream.index - 1)))
        elif kind == "PlaybackController.PauseCommandIssued":
            self.player.remember(handler_input, stream, offset_ms=audio_player_offset(handler_input))
            handler_input.response_builder.add_directive(StopDirective())
