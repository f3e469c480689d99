"""Moving through a routine by voice: next, previous, repeat, start over, pause and resume."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import replace

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response

from .. import prompts
from . import memory
from .base import Handler, Position, locale_of, say, session_position
from .routine import coach_block


class SessionNavigationHandler(Handler):
    """Base for intents that move within the routine held in the session."""

    intent = ""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name(self.intent)(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        pos = session_position(handler_input, self.catalog)
        if pos is None:
            pos = memory.resume_point(handler_input, self.deps)
        if pos is None:
            return say(handler_input, prompts.not_in_routine(self.catalog),
                       reprompt=prompts.welcome_reprompt(self.catalog))
        return self.move(handler_input, pos)

    @abstractmethod
    def move(self, handler_input: HandlerInput, pos: Position) -> Response:
        """Answer with the block this intent moves to from `pos`."""


class NextIntentHandler(SessionNavigationHandler):
    """AMAZON.NextIntent: the next exercise."""

    intent = "AMAZON.NextIntent"

    def move(self, handler_input: HandlerInput, pos: Position) -> Response:
        if pos.is_last(self.catalog):  # paused on, or resumed at, the last exercise: finish it
            return coach_block(handler_input, self.deps, replace(pos, paused=False), before=[prompts.last_exercise()])
        return coach_block(handler_input, self.deps, replace(pos, block=pos.block + 1, paused=False))


class PreviousIntentHandler(SessionNavigationHandler):
    """AMAZON.PreviousIntent: back one exercise (or the first one again)."""

    intent = "AMAZON.PreviousIntent"

    def move(self, handler_input: HandlerInput, pos: Position) -> Response:
        if pos.block == 0:
            return coach_block(handler_input, self.deps, replace(pos, paused=False), before=[prompts.first_exercise()])
        return coach_block(handler_input, self.deps, replace(pos, block=pos.block - 1, paused=False))


class RepeatIntentHandler(SessionNavigationHandler):
    """AMAZON.RepeatIntent: the current exercise again."""

    intent = "AMAZON.RepeatIntent"

    def move(self, handler_input: HandlerInput, pos: Position) -> Response:
        return coach_block(handler_input, self.deps, replace(pos, paused=False))


class StartOverIntentHandler(SessionNavigationHandler):
    """AMAZON.StartOverIntent: back to the first exercise."""

    intent = "AMAZON.StartOverIntent"

    def move(self, handler_input: HandlerInput, pos: Position) -> Response:
        return coach_block(handler_input, self.deps, replace(pos, block=0, paused=False), with_intro=True)


class ResumeIntentHandler(SessionNavigationHandler):
    """AMAZON.ResumeIntent: carry on with the exercise where we paused."""

    intent = "AMAZON.ResumeIntent"

    def move(self, handler_input: HandlerInput, pos: Position) -> Response:
        return coach_block(handler_input, self.deps, replace(pos, paused=False))


class PauseIntentHandler(SessionNavigationHandler):
    """AMAZON.PauseIntent: hold the position and wait for "resume"."""

    intent = "AMAZON.PauseIntent"

    def move(self, handler_input: HandlerInput, pos: Position) -> Response:
        paused = replace(pos, paused=True)
        memory.remember(handler_input, self.deps, paused)
        exercise = pos.timeline(self.catalog, locale_of(handler_input)).blocks[pos.block].exercise
        return say(handler_input, prompts.paused(exercise), reprompt=prompts.paused_reprompt(),
                   attributes=paused.to_attributes())
