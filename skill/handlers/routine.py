"""Starting routines, listing them, describing exercises, and coaching one block per response."""

from __future__ import annotations

import logging
import time

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response

from skill import prompts, ssml
from skill.handlers import memory
from skill.handlers.base import (
    Deps,
    Handler,
    ask_which_routine,
    kept_attributes,
    locale_of,
    place_attributes,
    reply,
    say,
    slot,
)
from skill.routines import Place
from skill.segments import session_cues

logger = logging.getLogger(__name__)

MAX_MINUTES = 120


def coach_block(handler_input: HandlerInput, deps: Deps, pos: Place, *, before: list[str] | None = None,
                with_intro: bool = False, new_workout: bool = False) -> Response:
    """Speak block `pos.block` of the routine, then ask for "next" (or finish after the last block)."""
    timeline = deps.catalog.timeline_at(pos, locale_of(handler_input))
    cues = session_cues(timeline, pos.block, with_intro=with_intro)  # what `audio publish` pre-renders
    last = pos.block == len(timeline.blocks) - 1
    if last:
        memory.finished(handler_input, deps, pos, timeline.seconds)
        speech = _speech(handler_input, deps, pos, cues, before or [], [])
        return reply(handler_input, speech, end=True)
    nxt = timeline.blocks[pos.block + 1].exercise
    (memory.begin if new_workout else memory.remember)(handler_input, deps, pos)
    speech = _speech(handler_input, deps, pos, cues, before or [], [prompts.next_prompt(nxt)])
    return reply(handler_input, speech, reprompt=ssml.speak(prompts.next_reprompt()),
                 attributes=place_attributes(pos))


def _speech(handler_input: HandlerInput, deps: Deps, pos: Place, cues: list, before: list[str],
            after: list[str]) -> str:
    """Recorded clips when the audio cache has every cue and a public URL is set, else text SSML."""
    if deps.speech is not None:
        recorded = deps.speech.clips(cues, routine=pos.routine, locale=locale_of(handler_input),
                                     before=before, after=after)
        if recorded:
            return recorded
    return ssml.cues_to_ssml(cues, before=before, after=after)


class StartRoutineIntentHandler(Handler):
    """Start a routine by name or alias, with an optional band level and length in minutes."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("StartRoutineIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        heard, resolved = slot(handler_input, "routine")
        routine = self.catalog.routines.get(resolved or "") or self.catalog.find_routine(heard)
        if routine is None:
            if heard:
                return ask_which_routine(handler_input, self.catalog, prompts.unknown_routine(heard, self.catalog))
            return ask_which_routine(handler_input, self.catalog, prompts.which_routine(self.catalog))
        band_heard, band_id = slot(handler_input, "band")
        heard_band = self.catalog.find_band(band_heard)
        band = self.catalog.find_band(band_id) or heard_band
        extra_sets = 0
        if band is None:  # no band named: the coach's suggestion, else the runner's band for it
            progression = memory.suggestion(handler_input, self.deps, routine.id)
            band = progression.band if progression else memory.band_for(handler_input, self.deps, routine)
            extra_sets = progression.extra_sets if progression else 0
        variant = self.catalog.variant_for_minutes(routine.id, _minutes(handler_input))
        pos = Place(routine.id, variant, band, extra_sets, 0, int(time.time()))
        before = [prompts.starting(variant, self.catalog.timeline_at(pos, locale_of(handler_input)).seconds)]
        if band_heard and heard_band is None and band_id is None:
            before.append(prompts.unknown_band(band_heard, band.value))
        return self.begin(handler_input, pos, before)

    def begin(self, handler_input: HandlerInput, pos: Place, before: list[str]) -> Response:
        """Start the chosen workout at `pos`: step by step here; hands-free plays it as audio instead."""
        return coach_block(handler_input, self.deps, pos, before=before, with_intro=True, new_workout=True)


def _minutes(handler_input: HandlerInput) -> float | None:
    return parse_minutes(slot(handler_input, "minutes")[0])


def parse_minutes(raw: str | None) -> float | None:
    """A minutes slot as a length to aim for, or None when it is empty, not a number or out of range."""
    try:
        value = float(raw) if raw else None
    except ValueError:
        return None
    return value if value and 0 < value <= MAX_MINUTES else None


class ListRoutinesIntentHandler(Handler):
    """Name every routine with its length and goal."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("ListRoutinesIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        text = f"{prompts.routine_list(self.catalog)} {prompts.which_routine(self.catalog)}"
        return say(handler_input, text, reprompt=prompts.welcome_reprompt(self.catalog),
                   attributes=kept_attributes(handler_input, self.catalog))


class DescribeExerciseIntentHandler(Handler):
    """Explain one exercise from the library: placement, setup, tips, dose."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("DescribeExerciseIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        heard, resolved = slot(handler_input, "exercise")
        exercise = self.catalog.exercises.get(resolved or "") or self.catalog.find_exercise(heard)
        attrs = kept_attributes(handler_input, self.catalog)
        if exercise is None:
            text = prompts.unknown_exercise(heard) if heard else prompts.which_exercise()
            return say(handler_input, text, reprompt=prompts.which_exercise(), attributes=attrs)
        follow = prompts.next_reprompt() if attrs else prompts.anything_else()
        return say(handler_input, f"{prompts.describe(exercise)} {follow}", reprompt=follow, attributes=attrs)

