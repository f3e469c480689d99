"""A store failure the runner hears about: "your progress wasn't saved" said first, once per session.

The store is memory, not the coaching (skill/handlers/memory.py carries on without it and marks the
request); this response interceptor turns that mark into one sentence at the start of the spoken
answer, so the runner keeps the routine and learns it was not kept. AudioPlayer events may not speak,
so they stay silent; /healthz and the log say it anyway.
"""

from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractResponseInterceptor
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response
from ask_sdk_model.ui import SsmlOutputSpeech

from skill import prompts, ssml
from skill.handlers.memory import UNSAVED

TOLD_UNSAVED = "unsaved_told"  # session attribute: the runner has heard it once this session


class UnsavedNotice(AbstractResponseInterceptor):
    """Begins the answer with prompts.progress_not_saved() when a store operation failed, once per session."""

    def process(self, handler_input: HandlerInput, response: Response | None) -> None:
        told = _told_this_session(handler_input)
        failed = handler_input.attributes_manager.request_attributes.get(UNSAVED) is True
        speech = response.output_speech if response is not None else None
        if failed and not told and isinstance(speech, SsmlOutputSpeech) and speech.ssml:
            spoken = ssml.said_first(speech.ssml, prompts.progress_not_saved())
            if spoken is not None:
                speech.ssml = spoken
                told = True
        if told and handler_input.request_envelope.session is not None:  # carried for the whole session
            manager = handler_input.attributes_manager
            manager.session_attributes = {**(manager.session_attributes or {}), TOLD_UNSAVED: True}


def _told_this_session(handler_input: HandlerInput) -> bool:
    session = handler_input.request_envelope.session
    return session is not None and (session.attributes or {}).get(TOLD_UNSAVED) is True
