"""The last line of defence: any exception becomes a logged traceback and a spoken apology."""

from __future__ import annotations

import logging

from ask_sdk_core.dispatch_components import AbstractExceptionHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_request_type
from ask_sdk_model import Response

from skill import prompts, ssml

logger = logging.getLogger(__name__)

SILENT_PREFIXES = ("AudioPlayer.", "PlaybackController.", "SessionEndedRequest", "System.", "AlexaSkillEvent.")


class CatchAllExceptionHandler(AbstractExceptionHandler):
    """Log the traceback, apologise, and keep the session open; Alexa never sees a 500."""

    def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
        return True

    def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:
        try:
            request_type = get_request_type(handler_input)
        except Exception:
            request_type = "?"
        logger.exception("handler failed on %s", request_type, exc_info=exception)
        if str(request_type).startswith(SILENT_PREFIXES):
            return handler_input.response_builder.response  # these requests may not carry speech
        speech = ssml.speak(prompts.apology())
        return handler_input.response_builder.speak(speech).ask(speech).response
