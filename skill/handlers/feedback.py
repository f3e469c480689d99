"""What a runner tells the coach about their training: how a workout felt, "same as last time", and the bands
they have. Each is stored, and the progression rule reads it next time."""

from __future__ import annotations

import time
from dataclasses import replace

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from skill import prompts
from skill.handlers import memory
from skill.handlers.base import Handler, intent_name, say, session_attributes, session_position, slot
from skill.handlers.routine import PREVIOUS_KEY, StartRoutineIntentHandler, coach_block, kept_need
from skill.progression import FEELINGS, RATINGS_BY_VALUE
from skill.routines import BANDS_BY_VALUE, Place


def feeling_of(heard: str | None, resolved: str | None) -> str | None:
    """The rating id a FEELING slot holds: resolved by Alexa, else looked up by its words."""
    if resolved in FEELINGS:
        return resolved
    spoken = " ".join((heard or "").lower().split())
    return next((rating for rating, words in FEELINGS.items() if spoken in words), None)


class FeedbackIntentHandler(Handler):
    """FeedbackIntent ("that was easy", "about right", "too hard"): rate the runner's newest workout.

    Asked after every workout done step by step; also taken unasked for a few hours after one.
    """

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return intent_name(handler_input) == "FeedbackIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        rating = RATINGS_BY_VALUE.get(feeling_of(*slot(handler_input, "feeling")) or "")
        if rating is None:
            return say(handler_input, prompts.how_did_it_feel_reprompt(), reprompt=prompts.how_did_it_feel_reprompt(),
                       attributes={"offer": "feedback"})
        rated = memory.rate(handler_input, self.deps, rating)
        if rated is None:
            return say(handler_input, prompts.nothing_to_rate(), end=True)
        suggestion = memory.suggestion(handler_input, self.deps, rated.routine) \
            if rated.routine in self.catalog.routines else None
        next_time = suggestion.reason if suggestion is not None else ""
        return say(handler_input, prompts.feedback_thanks(rating.value, next_time), end=True)


class SameAsLastTimeIntentHandler(Handler):
    """SameAsLastTimeIntent: decline an announced change (start again at the level before it), or, with no
    workout going, repeat the runner's last workout at its level."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return intent_name(handler_input) == "SameAsLastTimeIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        pos = session_position(handler_input, self.catalog)
        previous = session_attributes(handler_input).get(PREVIOUS_KEY)
        if pos is not None and isinstance(previous, dict):  # just told of a change: start at the level before it
            band = self.catalog.find_band(str(previous.get("band"))) or pos.band
            place = self.catalog.clamped(replace(pos, band=band, extra_sets=_int(previous.get("extra_sets")),
                                                 block=0, started=int(time.time())))
            if place is not None:
                return coach_block(handler_input, self.deps, place, before=[prompts.same_as_last_time()],
                                   with_intro=True, new_workout=True)
        state = memory.load(handler_input, self.deps)
        last = state.history[-1] if state and state.history else None
        if last is None or last.routine not in self.catalog.routines:
            return say(handler_input, prompts.nothing_to_repeat(self.catalog),
                       reprompt=prompts.welcome_reprompt(self.catalog))
        place = Place(last.routine, last.variant, last.band, last.extra_sets, 0, int(time.time()))
        return coach_block(handler_input, self.deps, self.catalog.clamped(place) or place,
                           before=[prompts.same_as_last_time()], with_intro=True, new_workout=True)


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


class OwnedBandsIntentHandler(Handler):
    """OwnedBandsIntent ("I have a light and a medium band", "all three"): the bands the coach may suggest."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return intent_name(handler_input) == "OwnedBandsIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        named = {self.catalog.find_band(resolved) or self.catalog.find_band(heard)
                 for heard, resolved in (slot(handler_input, "band"), slot(handler_input, "band_two"))}
        bands = {b for b in named if b is not None}
        if slot(handler_input, "all")[0] or slot(handler_input, "all")[1]:
            bands = set(BANDS_BY_VALUE.values())
        if not bands:
            return say(handler_input, prompts.which_band(None), reprompt=prompts.which_band(None))
        kept = memory.set_owned(handler_input, self.deps, bands)
        ordered = [b.value for b in BANDS_BY_VALUE.values() if b in bands]
        text = prompts.bands_kept(ordered) if kept else prompts.band_set(ordered[-1], None, False)
        return say(handler_input, f"{text} {prompts.anything_else()}", reprompt=prompts.anything_else())


class BandCheckAnswerHandler(Handler):
    """Yes or no to "Do you have a medium band?" (asked once, before the first heavier band): the answer is
    kept as the bands owned, then the routine starts at the level that allows."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        attrs = session_attributes(handler_input)
        return (intent_name(handler_input) in ("AMAZON.YesIntent", "AMAZON.NoIntent")
                and attrs.get("offer") == "band_check" and attrs.get("routine") in self.catalog.routines)

    def handle(self, handler_input: HandlerInput) -> Response:
        attrs = session_attributes(handler_input)
        routine = self.catalog.routines[str(attrs["routine"])]
        asked = self.catalog.find_band(str(attrs.get("band")))
        have = memory.last_level(handler_input, self.deps, routine.id)
        bands = {band for band in (have[0] if have else routine.band,
                                   asked if intent_name(handler_input) == "AMAZON.YesIntent" else None) if band}
        memory.set_owned(handler_input, self.deps, bands)
        return StartRoutineIntentHandler(self.deps).start(handler_input, routine, kept_need(handler_input))
