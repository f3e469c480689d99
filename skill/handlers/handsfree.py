"""Hands-free workouts by voice: PlayRoutineIntent starts AudioPlayer, and intents steer it while it plays.

The streaming itself is the Player's (skill.handlers.player). When the audio or an HTTPS public
URL is missing, the runner hears why and is coached step by step instead.
"""

from __future__ import annotations

import logging
from typing import Any

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response
from ask_sdk_model.interfaces.audioplayer import StopDirective

from skill import prompts
from skill.handlers import memory
from skill.handlers.base import Deps, Handler, intent_name, kept_attributes, locale_of, say, session_position
from skill.handlers.player import (
    Player,
    Unavailable,
    audio_player_offset,
    audio_player_token,
    stop,
    supports_audio_player,
)
from skill.handlers.routine import StartRoutineIntentHandler, coach_block
from skill.playback import Stream
from skill.routines import Place

logger = logging.getLogger(__name__)


class PlayRoutineIntentHandler(StartRoutineIntentHandler):
    """PlayRoutineIntent: the same choice of routine, band and length as StartRoutine, played as audio."""

    def __init__(self, deps: Deps) -> None:
        super().__init__(deps)
        self.player = Player(deps)

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("PlayRoutineIntent")(handler_input)

    def begin(self, handler_input: HandlerInput, pos: Place, before: list[str],
              keep: dict[str, Any] | None = None) -> Response:
        stream = Stream(pos.at(0), locale_of(handler_input))
        try:
            if not supports_audio_player(handler_input):
                logger.info("hands-free asked for on a device without AudioPlayer; coaching step by step")
                raise Unavailable(prompts.audio_unsupported())
            item = self.player.play(handler_input, stream)
        except Unavailable as why:
            return coach_block(handler_input, self.deps, pos, before=[why.spoken, *before], with_intro=True,
                               new_workout=True, keep=keep)
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
        name = intent_name(handler_input)
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
            stream = stream.at(max(0, stream.place.block - 1))
        elif name == "AMAZON.StartOverIntent":
            stream = stream.at(0)
        try:
            self.player.play(handler_input, stream, offset_ms=offset)
        except Unavailable as why:  # do what the words promise: stop the audio and coach this block step by step
            handler_input.response_builder.add_directive(StopDirective())
            return coach_block(handler_input, self.deps, stream.place, before=[why.spoken])
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
                       attributes=kept_attributes(handler_input, self.catalog))
        # No Stop directive: playback carries on.
        return say(handler_input, prompts.loop_and_shuffle_not_supported(), end=True)
