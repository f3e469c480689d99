"""In-workout requests: time left, what's next, a break, finishing, and the band placement or dose again."""

from __future__ import annotations

from abc import abstractmethod

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response
from ask_sdk_model.interfaces.audioplayer import StopDirective

from skill import prompts
from skill.handlers import memory
from skill.handlers.base import (
    Deps,
    Handler,
    block_done,
    intent_name,
    kept_attributes,
    say,
    session_position,
)
from skill.handlers.player import Player, audio_player_offset, audio_player_token
from skill.playback import Stream
from skill.routines import Place
from skill.timeline import Timeline


class InWorkoutHandler(Handler):
    """One in-workout intent, answered step by step (a session place), hands-free (our audio), or outside.

    Step by step wins when the session holds a place; hands-free needs our AudioPlayer token in the
    context, for a workout not already over. A hands-free answer adds no directive unless the request
    means to stop, so the audio carries on after it.
    """

    intent = ""

    def __init__(self, deps: Deps) -> None:
        super().__init__(deps)
        self.player = Player(deps)

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return intent_name(handler_input) == self.intent

    def handle(self, handler_input: HandlerInput) -> Response:
        pos = session_position(handler_input, self.catalog)
        if pos is not None:
            return self.in_session(handler_input, pos, memory.timeline(handler_input, self.deps, pos))
        stream = self.player.ours(audio_player_token(handler_input))
        if stream is not None and self.player.live(handler_input, stream):
            return self.hands_free(handler_input, stream, self.player.timeline(stream))
        return self.outside(handler_input)

    def outside(self, handler_input: HandlerInput) -> Response:
        """The answer with no workout going: by default, that it needs one."""
        return say(handler_input, prompts.not_in_workout(self.catalog), reprompt=prompts.welcome_reprompt(self.catalog))

    @abstractmethod
    def in_session(self, handler_input: HandlerInput, pos: Place, timeline: Timeline) -> Response:
        """The answer step by step, at `pos` in `timeline`."""

    @abstractmethod
    def hands_free(self, handler_input: HandlerInput, stream: Stream, timeline: Timeline) -> Response:
        """The answer while `stream` is what the device plays (or last played)."""

    def aside(self, handler_input: HandlerInput, text: str) -> Response:
        """A side answer step by step: the session and its place stay, and "next" goes on."""
        return say(handler_input, f"{text} {prompts.say_next()}", reprompt=prompts.next_reprompt(),
                   attributes=kept_attributes(handler_input, self.catalog))


def _later(timeline: Timeline, block: int) -> float:
    """Seconds of the blocks after `block`."""
    return sum(b.seconds for b in timeline.blocks[block + 1:])


class TimeLeftIntentHandler(InWorkoutHandler):
    """TimeLeftIntent ("how much longer"): the rest of the workout from the timeline's block lengths."""

    intent = "TimeLeftIntent"

    def in_session(self, handler_input: HandlerInput, pos: Place, timeline: Timeline) -> Response:
        # A block coached to its end is behind the runner; a paused or offered one is still ahead.
        current = 0.0 if block_done(handler_input) else timeline.blocks[pos.block].seconds
        return self.aside(handler_input, prompts.time_left(current + _later(timeline, pos.block)))

    def hands_free(self, handler_input: HandlerInput, stream: Stream, timeline: Timeline) -> Response:
        block = stream.place.block
        current = max(0.0, timeline.blocks[block].seconds - audio_player_offset(handler_input) / 1000)
        return say(handler_input, prompts.time_left(current + _later(timeline, block)), end=True)


class WhatsNextIntentHandler(InWorkoutHandler):
    """WhatsNextIntent: the next exercise's name and where the band goes for it."""

    intent = "WhatsNextIntent"

    def in_session(self, handler_input: HandlerInput, pos: Place, timeline: Timeline) -> Response:
        return self.aside(handler_input, _next_of(timeline, pos.block))

    def hands_free(self, handler_input: HandlerInput, stream: Stream, timeline: Timeline) -> Response:
        return say(handler_input, _next_of(timeline, stream.place.block), end=True)


def _next_of(timeline: Timeline, block: int) -> str:
    if block + 1 >= len(timeline.blocks):
        return prompts.last_one()
    return prompts.whats_next(timeline.blocks[block + 1].exercise, timeline.band)


class TakeABreakIntentHandler(InWorkoutHandler):
    """TakeABreakIntent ("give me a minute"): keep the place and end the session, saying how to come back.

    Alexa keeps no session open for a minute, so the break is honest about it: the runner comes back
    with "resume". A break right after a whole block keeps that block as done (resuming goes on to
    the next exercise); hands-free, the audio stops like a pause and keeps its offset.
    """

    intent = "TakeABreakIntent"

    def in_session(self, handler_input: HandlerInput, pos: Place, timeline: Timeline) -> Response:
        memory.remember(handler_input, self.deps, pos, block_done=block_done(handler_input))
        return say(handler_input, prompts.take_a_break(), end=True)

    def hands_free(self, handler_input: HandlerInput, stream: Stream, timeline: Timeline) -> Response:
        self.player.remember(handler_input, stream, offset_ms=audio_player_offset(handler_input))
        handler_input.response_builder.add_directive(StopDirective())
        return say(handler_input, prompts.take_a_break(), end=True)


class FinishWorkoutIntentHandler(InWorkoutHandler):
    """FinishWorkoutIntent ("I'm done"): stop with a one-line summary, recorded as stopped before the last block."""

    intent = "FinishWorkoutIntent"

    def in_session(self, handler_input: HandlerInput, pos: Place, timeline: Timeline) -> Response:
        done = pos.block + (1 if block_done(handler_input) else 0)
        return self.finish(handler_input, pos, timeline, done)

    def hands_free(self, handler_input: HandlerInput, stream: Stream, timeline: Timeline) -> Response:
        handler_input.response_builder.add_directive(StopDirective())
        block = stream.place.block
        # The segment is the exercise, then the rest after it: in the rest, the exercise is done.
        exercise_seconds = sum(c.seconds for c in timeline.blocks[block].cues)
        done = block + (1 if audio_player_offset(handler_input) / 1000 >= exercise_seconds else 0)
        return self.finish(handler_input, stream.place, timeline, done)

    def finish(self, handler_input: HandlerInput, pos: Place, timeline: Timeline, done: int) -> Response:
        """Record the workout (completed at its last block, else stopped early) and say what was done."""
        total = len(timeline.blocks)
        if pos.block >= total - 1:  # at the last exercise: the workout counts as completed
            record = memory.finished(handler_input, self.deps, pos, timeline.seconds)
            done = total
        else:
            record = memory.stopped_early(handler_input, self.deps, pos, sum(b.seconds for b in timeline.blocks[:done]))
        text = prompts.workout_summary(done, total, timeline.routine, record.duration_seconds)
        return say(handler_input, text, end=True)


class BandPlacementIntentHandler(InWorkoutHandler):
    """BandPlacementIntent ("where does the band go"): the current exercise's placement, with the band level."""

    intent = "BandPlacementIntent"

    def in_session(self, handler_input: HandlerInput, pos: Place, timeline: Timeline) -> Response:
        return self.aside(handler_input, prompts.band_placement(timeline.blocks[pos.block].exercise, timeline.band))

    def hands_free(self, handler_input: HandlerInput, stream: Stream, timeline: Timeline) -> Response:
        exercise = timeline.blocks[stream.place.block].exercise
        return say(handler_input, prompts.band_placement(exercise, timeline.band), end=True)


class DoseIntentHandler(InWorkoutHandler):
    """DoseIntent ("how many reps"): the current exercise's sets, reps or hold, per side."""

    intent = "DoseIntent"

    def in_session(self, handler_input: HandlerInput, pos: Place, timeline: Timeline) -> Response:
        block = timeline.blocks[pos.block]
        return self.aside(handler_input, prompts.dose(block.exercise, block.dose))

    def hands_free(self, handler_input: HandlerInput, stream: Stream, timeline: Timeline) -> Response:
        block = timeline.blocks[stream.place.block]
        return say(handler_input, prompts.dose(block.exercise, block.dose), end=True)
