"""Moving through a routine by voice: next, previous, repeat, start over, pause and resume."""

from __future__ import annotations

from abc import abstractmethod

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response

from skill import prompts
from skill.handlers import memory
from skill.handlers.base import (
    Handler,
    block_done,
    carry_on,
    place_attributes,
    say,
    session_position,
)
from skill.handlers.routine import coach_block, swapped_in
from skill.routines import Place


class SessionNavigationHandler(Handler):
    """Base for intents that move within the routine held in the session."""

    intent = ""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name(self.intent)(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        pos = session_position(handler_input, self.catalog)
        if pos is None:
            pos = self.kept(handler_input)
        if pos is None:
            return say(handler_input, prompts.not_in_routine(self.catalog),
                       reprompt=prompts.welcome_reprompt(self.catalog))
        return self.move(handler_input, pos)

    def kept(self, handler_input: HandlerInput) -> Place | None:
        """Without a session position: the block the workout kept in the store stopped in, if it is on offer."""
        return memory.stopped_at(handler_input, self.deps)

    @abstractmethod
    def move(self, handler_input: HandlerInput, pos: Place) -> Response:
        """Answer with the block this intent moves to from `pos`."""


class NextIntentHandler(SessionNavigationHandler):
    """AMAZON.NextIntent: the next exercise."""

    intent = "AMAZON.NextIntent"

    def move(self, handler_input: HandlerInput, pos: Place) -> Response:
        if self.catalog.is_last(pos):  # paused on, or resumed at, the last exercise: finish it
            return coach_block(handler_input, self.deps, pos, before=[prompts.last_exercise()])
        return coach_block(handler_input, self.deps, pos.at(pos.block + 1))


class PreviousIntentHandler(SessionNavigationHandler):
    """AMAZON.PreviousIntent: back one exercise (or the first one again)."""

    intent = "AMAZON.PreviousIntent"

    def move(self, handler_input: HandlerInput, pos: Place) -> Response:
        if pos.block == 0:
            return coach_block(handler_input, self.deps, pos, before=[prompts.first_exercise()])
        return coach_block(handler_input, self.deps, pos.at(pos.block - 1))


class RepeatIntentHandler(SessionNavigationHandler):
    """AMAZON.RepeatIntent: the current exercise again (the easier one, when it was swapped in)."""

    intent = "AMAZON.RepeatIntent"

    def move(self, handler_input: HandlerInput, pos: Place) -> Response:
        return coach_block(handler_input, self.deps, pos, swap=swapped_in(handler_input, self.deps, pos))


class StartOverIntentHandler(SessionNavigationHandler):
    """AMAZON.StartOverIntent: back to the first exercise."""

    intent = "AMAZON.StartOverIntent"

    def move(self, handler_input: HandlerInput, pos: Place) -> Response:
        return coach_block(handler_input, self.deps, pos.at(0), with_intro=True)


class ResumeIntentHandler(SessionNavigationHandler):
    """AMAZON.ResumeIntent: carry on with the exercise where we paused, or the next one after a whole block."""

    intent = "AMAZON.ResumeIntent"

    def kept(self, handler_input: HandlerInput) -> Place | None:
        return memory.resume_point(handler_input, self.deps)  # already past a block heard whole

    def move(self, handler_input: HandlerInput, pos: Place) -> Response:
        if session_position(handler_input, self.catalog) is not None:
            pos = carry_on(self.catalog, pos, block_done(handler_input))
        return coach_block(handler_input, self.deps, pos)


class PauseIntentHandler(SessionNavigationHandler):
    """AMAZON.PauseIntent: hold the position and wait for "resume"."""

    intent = "AMAZON.PauseIntent"

    def move(self, handler_input: HandlerInput, pos: Place) -> Response:
        memory.remember(handler_input, self.deps, pos)
        exercise = memory.timeline(handler_input, self.deps, pos).blocks[pos.block].exercise
        return say(handler_input, prompts.paused(exercise), reprompt=prompts.paused_reprompt(),
                   attributes=place_attributes(pos))
