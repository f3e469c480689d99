"""Starting routines, listing them, describing exercises, and coaching one block per response."""

from __future__ import annotations

import logging
import time
from typing import Any

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response

from skill import needs, prompts, ssml
from skill.handlers import memory
from skill.handlers.base import (
    BLOCK_DONE,
    Deps,
    Handler,
    ask_which_routine,
    kept_attributes,
    locale_of,
    place_attributes,
    reply,
    say,
    session_attributes,
    session_position,
    slot,
)
from skill.progression import Change
from skill.routines import MAX_MINUTES, BandLevel, Exercise, Place, Routine
from skill.segments import session_cues
from skill.timeline import same_band

logger = logging.getLogger(__name__)

def coach_block(handler_input: HandlerInput, deps: Deps, pos: Place, *, before: list[str] | None = None,
                with_intro: bool = False, new_workout: bool = False, swap: str | None = None,
                keep: dict[str, Any] | None = None) -> Response:
    """Speak block `pos.block` of the routine, then ask for "next" (or finish after the last block).

    Exercises the runner has done before get their short reminder, not the whole setup; `swap` coaches
    that exercise in this block's place (the easier option after something hurt); `keep` adds session
    attributes (the level before an announced change, for "same as last time"). After the last block of
    a workout done, one question: how did that feel?
    """
    timeline = memory.timeline(handler_input, deps, pos, swap=swap)
    cues = session_cues(timeline, pos.block, with_intro=with_intro)  # what `audio publish` pre-renders
    last = pos.block == len(timeline.blocks) - 1
    if last:
        record = memory.finished(handler_input, deps, pos, timeline.seconds)
        if not record.completed or memory.user_id(handler_input) is None:  # nothing to rate, or nowhere to keep it
            return reply(handler_input, _speech(handler_input, deps, pos, cues, before or [], []), end=True)
        speech = _speech(handler_input, deps, pos, cues, before or [], [prompts.how_did_it_feel()])
        return reply(handler_input, speech, reprompt=ssml.speak(prompts.how_did_it_feel_reprompt()),
                     attributes={OFFER_KEY: "feedback"})
    nxt = timeline.blocks[pos.block + 1].exercise
    (memory.begin if new_workout else memory.remember)(handler_input, deps, pos)
    # The next exercise and its band now, so the change is made before "next"; how to go on, once only.
    stays = same_band(timeline.blocks[pos.block].exercise, nxt, timeline.band)
    after = [prompts.whats_next(nxt, timeline.band, band_stays=stays)]
    if pos.block == 0:
        after.append(prompts.say_next())
    speech = _speech(handler_input, deps, pos, cues, before or [], after)
    attributes = {**place_attributes(pos), BLOCK_DONE: True, **(keep or {})}  # the whole block is in this answer
    if swap:
        attributes[SWAP_KEY] = swap
    return reply(handler_input, speech, reprompt=ssml.speak(prompts.next_reprompt()), attributes=attributes)


SWAP_KEY = "swap"  # session attribute: the exercise coached in place of the current block's (the easier one)
OFFER_KEY = "offer"  # session attribute: the question awaiting an answer ("resume", "feedback", "easier", ...)
PREVIOUS_KEY = "previous"  # session attribute: the band and extra sets before an announced change


def swapped_in(handler_input: HandlerInput, deps: Deps, pos: Place) -> str | None:
    """The easier exercise the session coaches in place of block `pos.block`, if any.

    Only one of that exercise's own easier options is taken, whatever the attribute says, so a
    crafted session cannot make the catalog build a timeline for every exercise in every block.
    """
    swapped = session_attributes(handler_input).get(SWAP_KEY)
    original = memory.timeline(handler_input, deps, pos).blocks[pos.block].exercise.id
    allowed = (*deps.catalog.easier_options(original), *deps.catalog.harder_options(original))
    return swapped if isinstance(swapped, str) and swapped in allowed else None


def exercise_at(handler_input: HandlerInput, deps: Deps, pos: Place) -> Exercise:
    """The exercise the runner is doing at `pos`: the one swapped in, else the block's own."""
    swapped = swapped_in(handler_input, deps, pos)
    return deps.catalog.exercises[swapped] if swapped else memory.timeline(handler_input, deps, pos).blocks[
        pos.block].exercise


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
    """Start a routine by name, or by need (a focus, the band to hand, a length), with an optional band level."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("StartRoutineIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        heard, resolved = slot(handler_input, "routine")
        routine = self.catalog.routines.get(resolved or "") or self.catalog.find_routine(heard)
        need = self.need(handler_input, heard if routine is None else None)
        offered = session_attributes(handler_input).get(CHOICE_KEY)
        if routine is not None and isinstance(offered, list) and routine.id not in offered:
            routine = self.answer_to(routine, offered)  # "strengthen them" to "stretch or strengthen?"
        if routine is None and need != needs.Need():
            choice = needs.choose(self.catalog, need)
            if choice.question is not None:
                return say(handler_input, choice.question.text, reprompt=choice.question.text,
                           attributes={CHOICE_KEY: list(choice.question.routines), NEED_KEY: _need_attributes(need)})
            routine = self.catalog.routines.get(choice.routine or "")
        if routine is None:
            if heard and not resolved:
                return ask_which_routine(handler_input, self.catalog, prompts.unknown_routine(heard, self.catalog))
            if need != needs.Need():
                return ask_which_routine(handler_input, self.catalog, prompts.nothing_for_that(self.catalog))
            return ask_which_routine(handler_input, self.catalog, prompts.which_routine(self.catalog))
        return self.start(handler_input, routine, self.asked_before(handler_input, need))

    def start(self, handler_input: HandlerInput, routine: Routine, need: needs.Need) -> Response:
        """Begin `routine` at the band, length and extra sets the runner asked for or the coach suggests."""
        band_heard, band_id = slot(handler_input, "band")
        heard_band = self.catalog.find_band(band_heard)
        named = self.catalog.find_band(band_id) or heard_band
        if named is not None:  # a band the runner names is one they have
            memory.add_owned(handler_input, self.deps, named)
        # The coach's suggestion (on the named band, keeping its extra sets), else the runner's band for it.
        progression = memory.suggestion(handler_input, self.deps, routine.id, band=named)
        if progression is not None and progression.change is Change.BAND_UP and not memory.owned(handler_input,
                                                                                                   self.deps):
            # Ready for a heavier band, and we don't know the runner's bands: ask once, before suggesting it.
            question = prompts.band_check(progression.reason, progression.band.value)
            return say(handler_input, question, reprompt=prompts.band_check_reprompt(progression.band.value),
                       attributes={OFFER_KEY: "band_check", "routine": routine.id, "band": progression.band.value,
                                   NEED_KEY: _need_attributes(need)})
        band = named or (progression.band if progression else memory.band_for(handler_input, self.deps, routine))
        extra_sets = progression.extra_sets if progression else 0
        pos = Place(routine.id, need.variant, band, extra_sets, 0, int(time.time()), need.minutes or 0)
        timeline = memory.timeline(handler_input, self.deps, pos)
        before = [prompts.starting(pos.variant, timeline.seconds)]
        if band_heard and heard_band is None and band_id is None:
            before.append(prompts.unknown_band(band_heard, band.value))
        elif band_heard or band_id:  # the band they named, confirmed (the intro no longer says it)
            top = max((b.exercise.band_for(band) for b in timeline.blocks), key=list(BandLevel).index)
            before.append(prompts.band_named(band, top, routine.kind))
        if need.equipment == "no_band":
            before.append(prompts.without_a_band())
        if memory.first_time(handler_input, self.deps):  # once, before a runner's very first exercise
            before.append(prompts.safety_first_time())
        plain = self.catalog.timeline_at(pos, locale_of(handler_input))
        for was, now in zip(plain.blocks, timeline.blocks, strict=True):  # pain regresses an exercise: say so
            if was.exercise.id != now.exercise.id:
                before.append(prompts.eased_today(was.exercise, now.exercise))
        keep: dict[str, Any] = {}
        previous = memory.last_level(handler_input, self.deps, routine.id)
        if progression is not None and progression.change is not Change.SAME and previous is not None:
            before.append(prompts.change_announced(progression.reason))  # every change said, and declinable
            keep[PREVIOUS_KEY] = {"band": previous[0].value, "extra_sets": previous[1]}
        return self.begin(handler_input, pos, before, keep)

    def need(self, handler_input: HandlerInput, unmatched_routine: str | None) -> needs.Need:
        """What the runner asked for besides a routine's name; a routine slot that holds a need counts too."""
        focus = _slot_id(handler_input, "focus")
        if focus is None and unmatched_routine:  # "after my run" can arrive as an unknown routine name
            focus = needs.focus_in(unmatched_routine)
        length = _slot_id(handler_input, "length") or needs.length_in(slot(handler_input, "routine")[0])
        minutes = parse_minutes(slot(handler_input, "minutes")[0])
        return needs.Need(focus=focus, equipment=_slot_id(handler_input, "equipment"),
                          length=length, minutes=max(1, round(minutes)) if minutes else None)

    def asked_before(self, handler_input: HandlerInput, need: needs.Need) -> needs.Need:
        """`need`, with what the runner asked for before a question ("a ten minute one for my hips") kept."""
        if CHOICE_KEY not in session_attributes(handler_input):
            return need
        earlier = kept_need(handler_input)
        return needs.Need(focus=need.focus or earlier.focus, equipment=need.equipment or earlier.equipment,
                          length=need.length or earlier.length, minutes=need.minutes or earlier.minutes)

    def answer_to(self, named: Routine, offered: list[object]) -> Routine:
        """The offered routine the runner meant: the one they named, else the offered one of the same kind."""
        routines = self.catalog.routines
        same_kind = [routines[r] for r in offered
                     if isinstance(r, str) and r in routines and routines[r].kind is named.kind]
        return same_kind[0] if same_kind else named

    def begin(self, handler_input: HandlerInput, pos: Place, before: list[str],
              keep: dict[str, Any] | None = None) -> Response:
        """Start the chosen workout at `pos`: step by step here; hands-free plays it as audio instead."""
        return coach_block(handler_input, self.deps, pos, before=before, with_intro=True, new_workout=True, keep=keep)


CHOICE_KEY = "choose"  # session attribute: the routines a question offered ("Stretch your hips, or strengthen them?")
NEED_KEY = "need"  # session attribute: what was asked for before that question
_NEED_FIELDS = ("focus", "equipment", "length", "minutes")


def _slot_id(handler_input: HandlerInput, name: str) -> str | None:
    """A need slot's value id: resolved by Alexa, else looked up in the vocabulary by its spoken words."""
    heard, resolved = slot(handler_input, name)
    return resolved if resolved in needs.VOCABULARIES[name] else needs.spoken_id(name, heard)


def kept_need(handler_input: HandlerInput) -> needs.Need:
    """The need a question's session attributes kept (a length, minutes), or none when they hold nothing valid."""
    kept = session_attributes(handler_input).get(NEED_KEY)
    try:
        return needs.Need(**{k: v for k, v in kept.items() if k in _NEED_FIELDS}) if isinstance(kept, dict) \
            else needs.Need()
    except (TypeError, ValueError):
        return needs.Need()


def _need_attributes(need: needs.Need) -> dict[str, object]:
    return {key: getattr(need, key) for key in _NEED_FIELDS if getattr(need, key) is not None}


def parse_minutes(raw: str | None) -> float | None:
    """A minutes slot as a length to aim for, or None when it is empty, not a number or out of range."""
    value = needs.number(raw)
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
    """Explain one exercise from the library, or the one being coached: placement, setup, caution, tips, dose.

    The whole of it, however familiar the exercise: this is where a runner who got the short
    reminder asks for the full setup again (progressive disclosure)."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("DescribeExerciseIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        heard, resolved = slot(handler_input, "exercise")
        exercise = self.catalog.exercises.get(resolved or "") or self.catalog.find_exercise(heard)
        attrs = kept_attributes(handler_input, self.catalog)
        pos = session_position(handler_input, self.catalog)
        if exercise is None and not heard and pos is not None:  # "how do I do this one": the one being coached
            exercise = exercise_at(handler_input, self.deps, pos)
        if exercise is None:
            text = prompts.unknown_exercise(heard) if heard else prompts.which_exercise()
            return say(handler_input, text, reprompt=prompts.which_exercise(), attributes=attrs)
        follow = prompts.next_reprompt() if attrs else prompts.anything_else()
        return say(handler_input, f"{prompts.describe(exercise)} {follow}", reprompt=follow, attributes=attrs)

