"""AudioPlayer and PlaybackController events: answered without speech, as Alexa requires."""

from __future__ import annotations

import logging

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_request_type
from ask_sdk_model import Response

from .base import Handler

logger = logging.getLogger(__name__)


class PlaybackEventHandler(Handler):
    """AudioPlayer.* and PlaybackController.*: no speech, card or reprompt is allowed in the answer."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return get_request_type(handler_input).startswith(("AudioPlayer.", "PlaybackController."))

    def handle(self, handler_input: HandlerInput) -> Response:
        request = handler_input.request_envelope.request
        if get_request_type(handler_input) == "AudioPlayer.PlaybackFailed":
            error = getattr(request, "error", None)
            logger.warning("playback failed: %s", str(getattr(error, "message", ""))[:200])
        return handler_input.response_builder.response
