"""Help, stop, cancel, home, fallback, and any intent this skill does not know."""

from __future__ import annotations

import logging

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name, is_request_type
from ask_sdk_model import Response

from skill import prompts
from skill.handlers import memory
from skill.handlers.base import Handler, intent_name, kept_attributes, say, session_position

logger = logging.getLogger(__name__)


class HelpIntentHandler(Handler):
    """AMAZON.HelpIntent: what to say here, in a routine or not."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.HelpIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        pos = session_position(handler_input, self.catalog)
        if pos is None:
            return say(handler_input, prompts.help_general(self.catalog),
                       reprompt=prompts.welcome_reprompt(self.catalog))
        timeline = memory.timeline(handler_input, self.deps, pos)
        text = prompts.help_in_routine(timeline.routine, pos.block + 1, len(timeline.blocks),
                                       timeline.blocks[pos.block].exercise)
        return say(handler_input, text, reprompt=prompts.next_reprompt(),
                   attributes=kept_attributes(handler_input, self.catalog))


class StopHandler(Handler):
    """AMAZON.StopIntent, CancelIntent and NavigateHomeIntent: end the session, keeping the position."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return any(is_intent_name(n)(handler_input)
                   for n in ("AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.NavigateHomeIntent"))

    def handle(self, handler_input: HandlerInput) -> Response:
        pos = session_position(handler_input, self.catalog)
        if pos is None:
            return say(handler_input, prompts.goodbye(), end=True)
        memory.stopped(handler_input, self.deps, pos)
        routine = self.catalog.routines[pos.routine]
        return say(handler_input, prompts.goodbye_in_routine(routine), end=True)


class FallbackIntentHandler(Handler):
    """AMAZON.FallbackIntent: what the runner said fits nothing; say what works here."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.FallbackIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        return _what_i_can_do(handler_input, self)


class UnknownIntentHandler(Handler):
    """Any other intent (another skill's, or one we dropped): a helpful answer, never an error."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("IntentRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        logger.info("unhandled intent %r", str(intent_name(handler_input))[:100])
        return _what_i_can_do(handler_input, self)


def _what_i_can_do(handler_input: HandlerInput, handler: Handler) -> Response:
    pos = session_position(handler_input, handler.catalog)
    if pos is not None:
        return say(handler_input, prompts.fallback_in_routine(), reprompt=prompts.next_reprompt(),
                   attributes=kept_attributes(handler_input, handler.catalog))
    return say(handler_input, prompts.fallback(handler.catalog), reprompt=prompts.welcome_reprompt(handler.catalog))
