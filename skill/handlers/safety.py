"""The safety layer: "that hurts" stops the exercise and offers an easier one or a skip; "make it easier" (and
its mirror, "make it harder"); what the band levels weigh.

A pain report is remembered per exercise (memory.report_pain), so the progression rule holds
those exercises where they are. The easier option is the exercise's own `easier` link, coached in
the same block at the same sets and rest, so "next" goes on through the routine as before.
"""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response
from ask_sdk_model.interfaces.audioplayer import StopDirective

from skill import prompts
from skill.handlers import memory
from skill.handlers.base import (
    BLOCK_DONE,
    Handler,
    intent_name,
    kept_attributes,
    place_attributes,
    say,
    session_attributes,
    session_position,
    slot,
)
from skill.handlers.routine import coach_block, exercise_at
from skill.handlers.workout import InWorkoutHandler
from skill.playback import Stream
from skill.routines import BandLevel, Exercise, Place
from skill.timeline import Timeline

OFFER_KEY = "offer"  # session attribute: the question awaiting yes or no ("easier" or "skip" here)


class PainIntentHandler(InWorkoutHandler):
    """PainIntent ("that hurts", "my knee hurts"): stop, the stop signs, and one question.

    Step by step the offer is the exercise's easier option, else a skip; hands-free the audio stops
    and resuming goes on from the next exercise. Either way the exercise is remembered as painful.
    """

    intent = "PainIntent"

    def in_session(self, handler_input: HandlerInput, pos: Place, timeline: Timeline) -> Response:
        exercise = exercise_at(handler_input, self.deps, pos)
        memory.report_pain(handler_input, self.deps, exercise.id)
        easier = self.catalog.exercises.get(exercise.easier) if exercise.easier else None
        attrs = {**place_attributes(pos), BLOCK_DONE: True, OFFER_KEY: "easier" if easier else "skip"}
        return say(handler_input, prompts.pain_in_workout(easier), reprompt=prompts.pain_reprompt(easier),
                   attributes=attrs)

    def hands_free(self, handler_input: HandlerInput, stream: Stream, timeline: Timeline) -> Response:
        memory.report_pain(handler_input, self.deps, timeline.blocks[stream.place.block].exercise.id)
        handler_input.response_builder.add_directive(StopDirective())
        following = self.player.next(stream)
        if following is None:  # it hurt in the last exercise: the workout ends here, stopped early
            done = sum(b.seconds for b in timeline.blocks[:stream.place.block])
            memory.stopped_early(handler_input, self.deps, stream.place, done)
        else:  # resuming goes on from the next exercise, from its start
            self.player.remember(handler_input, following, offset_ms=0)
        return say(handler_input, prompts.pain_hands_free(), end=True)

    def outside(self, handler_input: HandlerInput) -> Response:
        return say(handler_input, prompts.pain_outside_workout(), end=True)

class EasierIntentHandler(PainIntentHandler):
    """EasierIntent ("make it easier", "is there an easier one"): the easier option now, else a skip."""

    intent = "EasierIntent"

    def in_session(self, handler_input: HandlerInput, pos: Place, timeline: Timeline) -> Response:
        exercise = exercise_at(handler_input, self.deps, pos)
        easier = self.catalog.exercises.get(exercise.easier) if exercise.easier else None
        if easier is None:
            return skip(handler_input, self, pos, prompts.no_easier_option(exercise))
        return coach_block(handler_input, self.deps, pos, before=[prompts.easier_instead(easier)], swap=easier.id)

    def hands_free(self, handler_input: HandlerInput, stream: Stream, timeline: Timeline) -> Response:
        return say(handler_input, prompts.easier_hands_free(), end=True)  # no directive: the audio plays on

    def outside(self, handler_input: HandlerInput) -> Response:
        return say(handler_input, prompts.not_in_workout(self.catalog), reprompt=prompts.welcome_reprompt(self.catalog))


class HarderIntentHandler(PainIntentHandler):
    """HarderIntent ("make it harder", "this is too easy"): the exercise's harder version at once; without
    one, how to make the routine move up sooner (say it was easy at the end)."""

    intent = "HarderIntent"

    def in_session(self, handler_input: HandlerInput, pos: Place, timeline: Timeline) -> Response:
        exercise = exercise_at(handler_input, self.deps, pos)
        harder = self.catalog.harder_options(exercise.id)
        if not harder:
            return self.aside(handler_input, prompts.no_harder_option(exercise))
        chosen = self.catalog.exercises[harder[0]]
        return coach_block(handler_input, self.deps, pos, before=[prompts.harder_instead(chosen)], swap=chosen.id)

    def hands_free(self, handler_input: HandlerInput, stream: Stream, timeline: Timeline) -> Response:
        return say(handler_input, prompts.no_harder_option(timeline.blocks[stream.place.block].exercise), end=True)

    def outside(self, handler_input: HandlerInput) -> Response:
        return say(handler_input, prompts.not_in_workout(self.catalog), reprompt=prompts.welcome_reprompt(self.catalog))


def skip(handler_input: HandlerInput, handler: Handler, pos: Place, why: str) -> Response:
    """Leave the exercise at `pos` out: on to the next one, or the end of the workout after the last."""
    if handler.catalog.is_last(pos):
        timeline = memory.timeline(handler_input, handler.deps, pos)
        record = memory.stopped_early(handler_input, handler.deps, pos,
                                      sum(b.seconds for b in timeline.blocks[:pos.block]))
        summary = prompts.workout_summary(pos.block, len(timeline.blocks), timeline.routine, record.duration_seconds)
        return say(handler_input, f"{why} {summary}", end=True)
    return coach_block(handler_input, handler.deps, pos.at(pos.block + 1), before=[why])


class SafetyAnswerHandler(Handler):
    """Yes or no to the pain path's question: the easier option or a skip ("no" to the easier one skips too)."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return (intent_name(handler_input) in ("AMAZON.YesIntent", "AMAZON.NoIntent")
                and session_attributes(handler_input).get(OFFER_KEY) in ("easier", "skip")
                and session_position(handler_input, self.catalog) is not None)

    def handle(self, handler_input: HandlerInput) -> Response:
        pos = session_position(handler_input, self.catalog)
        assert pos is not None  # can_handle checked it
        attrs = session_attributes(handler_input)
        yes = intent_name(handler_input) == "AMAZON.YesIntent"
        easier = self.easier_at(handler_input, pos)  # from the catalog, not the attributes: never a crafted swap
        if attrs.get(OFFER_KEY) == "easier" and yes and easier is not None:
            return coach_block(handler_input, self.deps, pos, before=[prompts.easier_instead(easier)], swap=easier.id)
        if yes or attrs.get(OFFER_KEY) == "easier":
            return skip(handler_input, self, pos, prompts.skipping())
        return say(handler_input, prompts.not_skipping(), reprompt=prompts.next_reprompt(),
                   attributes=kept_attributes(handler_input, self.catalog))


    def easier_at(self, handler_input: HandlerInput, pos: Place) -> Exercise | None:
        """The easier option of the exercise being done at `pos` (itself perhaps swapped in)."""
        current = exercise_at(handler_input, self.deps, pos)
        return self.catalog.exercises.get(current.easier) if current.easier else None


class BandLevelsIntentHandler(InWorkoutHandler):
    """BandLevelsIntent ("which band is which", "how heavy is the medium band"): the article's pound ranges."""

    intent = "BandLevelsIntent"

    def in_session(self, handler_input: HandlerInput, pos: Place, timeline: Timeline) -> Response:
        return self.aside(handler_input, prompts.band_levels(pos.band, self.asked(handler_input)))

    def hands_free(self, handler_input: HandlerInput, stream: Stream, timeline: Timeline) -> Response:
        return say(handler_input, prompts.band_levels(stream.place.band, self.asked(handler_input)), end=True)

    def outside(self, handler_input: HandlerInput) -> Response:
        text = prompts.band_levels(None, self.asked(handler_input))
        return say(handler_input, f"{text} {prompts.anything_else()}", reprompt=prompts.anything_else())

    def asked(self, handler_input: HandlerInput) -> BandLevel | None:
        """The band level the question named ("how heavy is the medium band"), if any."""
        heard, band_id = slot(handler_input, "band")
        return self.catalog.find_band(band_id) or self.catalog.find_band(heard)
