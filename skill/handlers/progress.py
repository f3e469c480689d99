"""The runner's progress: answering the resume offer, "how am I doing", and "I use a heavy band now"."""

from __future__ import annotations

from datetime import UTC, datetime

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response

from skill import prompts
from skill.handlers import memory
from skill.handlers.base import (
    Handler,
    block_done,
    carry_on,
    intent_name,
    kept_attributes,
    say,
    session_attributes,
    session_position,
    slot,
)
from skill.handlers.routine import coach_block
from skill.routines import Place


def _offered(handler_input: HandlerInput, handler: Handler) -> Place | None:
    """The position a resume question was asked about, when the session holds one."""
    if session_attributes(handler_input).get("offer") != "resume":
        return None
    return session_position(handler_input, handler.catalog)


ANSWERS = ("AMAZON.YesIntent", "AMAZON.NoIntent", "SomethingElseIntent")  # to "Resume, or start something new?"


class ResumeAnswerHandler(Handler):
    """Yes, no or "something else" after "Resume your <routine>, or start something new?"."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return intent_name(handler_input) in ANSWERS and _offered(handler_input, self) is not None

    def handle(self, handler_input: HandlerInput) -> Response:
        pos = _offered(handler_input, self)
        assert pos is not None  # can_handle checked it
        if intent_name(handler_input) == "AMAZON.YesIntent":
            return coach_block(handler_input, self.deps, carry_on(self.catalog, pos, block_done(handler_input)))
        # "Not now", not "never": the workout stays kept and offered until it expires. Recording it as
        # stopped would end the routine's progression streak for a runner who only wanted something else.
        return say(handler_input, prompts.start_something_new(self.catalog),
                   reprompt=prompts.welcome_reprompt(self.catalog))


class YesNoHandler(Handler):
    """Yes, no or "something else" with no question pending: say what we can do instead of guessing."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return intent_name(handler_input) in ANSWERS

    def handle(self, handler_input: HandlerInput) -> Response:
        pos = session_position(handler_input, self.catalog)
        if pos is not None:
            return say(handler_input, prompts.fallback_in_routine(), reprompt=prompts.next_reprompt(),
                       attributes=kept_attributes(handler_input, self.catalog))
        return say(handler_input, prompts.which_routine(self.catalog), reprompt=prompts.welcome_reprompt(self.catalog))


class ProgressIntentHandler(Handler):
    """ProgressIntent: workouts this week, the streak, and the band per routine."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("ProgressIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        state = memory.load(handler_input, self.deps)
        attrs = kept_attributes(handler_input, self.catalog)
        if state is None or not state.history:
            return say(handler_input, prompts.no_progress_yet(self.catalog), reprompt=prompts.anything_else(),
                       attributes=attrs)
        today = datetime.now(UTC).date()
        text = prompts.progress_report(state.workouts_this_week(today),
                                       state.streak_days(today,
                                                         rest_weekdays=memory.planned_rest_days(handler_input,
                                                                                                self.deps)),
                                       {})
        # Per routine done: the level now and what comes next (the progression rule's own words).
        for routine in self.catalog.routines.values():
            sessions = state.sessions_of(routine.id)
            nxt = memory.suggestion(handler_input, self.deps, routine.id) if sessions else None
            if sessions and nxt is not None:
                last = sessions[-1]
                text += " " + prompts.routine_progress(routine.name, last.band.value, last.extra_sets, nxt.change,
                                                       nxt.band.value)
        return say(handler_input, f"{text} {prompts.anything_else()}", reprompt=prompts.anything_else(),
                   attributes=attrs)


class SetBandIntentHandler(Handler):
    """SetBandIntent: "I'm using a heavy band now" (optionally for one routine)."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("SetBandIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        heard, band_id = slot(handler_input, "band")
        band = self.catalog.find_band(band_id) or self.catalog.find_band(heard)
        attrs = kept_attributes(handler_input, self.catalog)
        if band is None:
            return say(handler_input, prompts.which_band(heard), reprompt=prompts.which_band(None), attributes=attrs)
        routine_heard, routine_id = slot(handler_input, "routine")
        routine = self.catalog.routines.get(routine_id or "") or self.catalog.find_routine(routine_heard)
        kept = memory.set_band(handler_input, self.deps, routine.id if routine else None, band)
        memory.add_owned(handler_input, self.deps, band)  # "I got a heavy band": one the coach may now suggest
        text = prompts.band_set(band.value, routine.name if routine else None, kept)
        return say(handler_input, f"{text} {prompts.anything_else()}", reprompt=prompts.anything_else(),
                   attributes=attrs)
