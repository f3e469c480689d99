"""Opening the skill: welcome, the routines on offer, and (with state) an offer to resume."""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_request_type
from ask_sdk_model import Response

from skill import prompts
from skill.handlers import memory
from skill.handlers.base import Handler, say


class LaunchRequestHandler(Handler):
    """"Alexa, open Band Coach": welcome the runner, or offer to resume an unfinished routine."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("LaunchRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        offer = memory.resume_offer(handler_input, self.deps)
        if offer is not None:
            text, attributes = offer
            return say(handler_input, text, reprompt=prompts.resume_reprompt(), attributes=attributes)
        news = memory.progress_news(handler_input, self.deps)
        text = f"{news} {prompts.welcome(self.catalog)}" if news else prompts.welcome(self.catalog)
        return say(handler_input, text, reprompt=prompts.welcome_reprompt(self.catalog))
