"""Requests that need no words: session ends, system errors, skill events, and unknown types."""

from __future__ import annotations

import logging

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_request_type
from ask_sdk_model import Response

from skill.handlers import memory
from skill.handlers.base import Handler, block_done, request_type, session_position

logger = logging.getLogger(__name__)

# Endings that leave the runner having heard the whole last answer: no reply to the reprompt, or "exit".
HEARD_TO_THE_END = ("EXCEEDED_MAX_REPROMPTS", "USER_INITIATED")


class SessionEndedRequestHandler(Handler):
    """SessionEndedRequest: log why the session ended (and any error); Alexa wants an empty answer.

    A session that ends after a block was coached to its end keeps that block as done, so resuming
    starts at the next exercise instead of repeating it.
    """

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("SessionEndedRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        request = handler_input.request_envelope.request
        reason = getattr(getattr(request, "reason", None), "value", None)
        error = getattr(request, "error", None)
        if error is not None:
            logger.warning("session ended (%s): %s: %s", reason, getattr(getattr(error, "object_type", None),
                           "value", getattr(error, "object_type", None)), str(getattr(error, "message", ""))[:200])
        else:
            logger.info("session ended (%s)", reason)
        pos = session_position(handler_input, self.catalog)
        if pos is not None and reason in HEARD_TO_THE_END and block_done(handler_input):
            memory.remember(handler_input, self.deps, pos, block_done=True)
        return handler_input.response_builder.response


class ExceptionEncounteredHandler(Handler):
    """System.ExceptionEncountered: Alexa reports our earlier response failed; log it, say nothing."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("System.ExceptionEncountered")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        request = handler_input.request_envelope.request
        error = getattr(request, "error", None)
        logger.error("Alexa reported an error with our response: %s %s",
                     getattr(error, "object_type", None), str(getattr(error, "message", ""))[:200])
        return handler_input.response_builder.response


class SkillEventHandler(Handler):
    """AlexaSkillEvent.* (enabled, disabled, permissions...): logged, acknowledged with an empty body."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return request_type(handler_input).startswith("AlexaSkillEvent.")

    def handle(self, handler_input: HandlerInput) -> Response:
        logger.info("skill event %s", request_type(handler_input))
        return handler_input.response_builder.response


class UnknownRequestHandler(Handler):
    """Any request type not handled above (Display.*, new interfaces): logged, empty response. Last."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return True

    def handle(self, handler_input: HandlerInput) -> Response:
        logger.info("ignoring request type %r", str(request_type(handler_input))[:100])
        return handler_input.response_builder.response
