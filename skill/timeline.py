"""Routine -> timeline of cues (what to say and when); pure and deterministic."""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from skill.routines import (
    SIDE_MOVE_SECONDS,
    SIDE_SWITCH_SECONDS,
    BandLevel,
    Dose,
    Exercise,
    Position,
    Routine,
    dose,
)

WORDS_PER_SECOND = 2.6  # a coach's steady pace; used to budget time for speech
SENTENCE_PAUSE = 0.4  # the breath after a sentence of three words or more
WORD_PAUSE = 0.1  # after a one- or two-word cue ("Three."), so a countdown keeps to one count a second


@dataclass(frozen=True, slots=True)
class Cue:
    """One spoken line: its kind, the facts its words need, and `seconds` until the next cue starts.

    `text` is empty until the wording hook fills it in.
    """

    kind: str
    seconds: float
    params: Mapping[str, Any] = field(default_factory=dict)
    text: str = ""


@dataclass(frozen=True, slots=True)
class Block:
    """One exercise of a routine: its cues, then the rest after it (empty after the last)."""

    index: int
    exercise: Exercise
    dose: Dose
    cues: tuple[Cue, ...]
    rest: tuple[Cue, ...] = ()
    seconds: float = field(init=False, compare=False, repr=False)  # the block's length, rest included

    def __post_init__(self) -> None:
        # Summed once: a block is immutable, and its length is read on every start and end of a workout.
        object.__setattr__(self, "seconds", sum(c.seconds for c in self.cues) + sum(c.seconds for c in self.rest))


@dataclass(frozen=True, slots=True)
class Timeline:
    """A routine expanded for one band level and variant: blocks of cues, in order."""

    routine: Routine
    band: BandLevel
    locale: str
    blocks: tuple[Block, ...]
    seconds: float = field(init=False, compare=False, repr=False)  # the whole routine's length

    def __post_init__(self) -> None:
        object.__setattr__(self, "seconds", sum(b.seconds for b in self.blocks))  # once: the timeline is immutable

    def cues(self) -> list[Cue]:
        return [c for b in self.blocks for c in (*b.cues, *b.rest)]


TONE = "tone"
"""The kind of a tone cue: a short generated beep, no words. Only rendered audio (exports, hands-free
segments) has them, through with_tones(); the spoken paths (SSML, session mode) never see one."""
TONE_SLOTS = {"go": 0.4, "count": 0.25, "rest": 0.6}
"""Each tone's slot in seconds: its sound (audio/tones.py keeps it shorter, encoder delay included),
then the words of the cue it marks."""
_TONE_FOR = {"go": "go", "hold": "go", "go_timed": "go", "count": "count", "rest": "rest"}
MIN_WORDS_SLOT = 0.5  # a cue keeps at least this much of its slot for its words, or it gets no tone


def with_tones(cues: Sequence[Cue]) -> list[Cue]:
    """`cues` with a tone cue at the start of work ("go", a hold, an interval), of each count and of a rest.

    The tone takes the start of the marked cue's slot and the words follow it, so the tone sounds at
    the marked cue's planned time and every cue after it keeps its start: the block's length is unchanged.
    """
    out: list[Cue] = []
    for cue in cues:
        tone = _TONE_FOR.get(cue.kind)
        slot = TONE_SLOTS[tone] if tone else 0.0
        if tone and cue.seconds >= slot + MIN_WORDS_SLOT:
            out += [Cue(TONE, slot, {"tone": tone}), replace(cue, seconds=cue.seconds - slot)]
        else:
            out.append(cue)
    return out


Wording = Callable[[Cue, str], str]


def worked(timeline: Timeline, counts: Callable[[Exercise], bool] = lambda _: True) -> dict[str, float]:
    """Each body part's share of the timeline's seconds spent on exercises that target it (and that `counts`)."""
    total = timeline.seconds or 1.0
    shares: dict[str, float] = {}
    for block in timeline.blocks:
        if counts(block.exercise):
            for part in block.exercise.targets:
                shares[part] = shares.get(part, 0.0) + block.seconds / total
    return shares


def speech_seconds(text: str) -> float:
    """A budget for saying `text` aloud at a coach's pace."""
    words = len(text.split())
    return round(words / WORDS_PER_SECOND + (SENTENCE_PAUSE if words > 2 else WORD_PAUSE), 1)


def build_timeline(
    routine: Routine,
    exercises: Mapping[str, Exercise],
    *,
    band: BandLevel,
    wording: Wording,
    locale: str = "en-US",
    extra_sets: int = 0,
    familiar: frozenset[str] = frozenset(),
) -> Timeline:
    """Expand `routine` into blocks of worded cues; `wording(cue, locale)` supplies every line.

    `familiar` holds the ids of exercises this runner has done before: they get a short reminder in
    place of the full setup (progressive disclosure; "how do I do it" still gives the whole of it).
    """
    steps = routine.steps
    turns = _Turns(zlib.crc32(routine.id.encode()))
    blocks = []
    for i, step in enumerate(steps):
        exercise = exercises[step.exercise]
        d = dose(step, exercise)
        if extra_sets:
            d = replace(d, sets=min(10, d.sets + extra_sets))
        nxt = exercises[steps[i + 1].exercise] if i + 1 < len(steps) else None
        prev = exercises[steps[i - 1].exercise] if i else None
        raw = _block_cues(routine, exercise, d, i, len(steps), band, turns, exercise.id in familiar, prev)
        rest = _rest_cues(d.rest_seconds, nxt, band=band, turns=turns, after=exercise) if nxt is not None \
            else (Cue("outro", 0.0, {"routine": routine.name, "kind": routine.kind.value}),)
        blocks.append(Block(i, exercise, d, _worded(raw, wording, locale), _worded(rest, wording, locale)))
    return Timeline(routine, band, locale, tuple(blocks))


class _Turns:
    """Which line of a pool each cue says ("Go!", "And go."...): consecutive uses differ, and the start
    is seeded by the routine, so every runner hears the same recording of a routine and tests stay exact."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.used: dict[str, int] = {}

    def __call__(self, kind: str) -> int:
        n = self.used.get(kind, 0)
        self.used[kind] = n + 1
        return self.seed % 97 + n


def _worded(cues: tuple[Cue, ...] | list[Cue], wording: Wording, locale: str) -> tuple[Cue, ...]:
    """Fill in each cue's words; a cue whose slot is too short for them gets a longer slot."""
    out = []
    for cue in cues:
        text = wording(cue, locale)
        if cue.kind in _GATED:  # the words, then the whole gate in silence: time to get set or to change sides
            seconds = speech_seconds(text) + cue.seconds
        else:
            seconds = max(cue.seconds, speech_seconds(text)) if cue.kind in _FLEXIBLE else cue.seconds
        out.append(replace(cue, text=text, seconds=seconds))
    return tuple(out)


# Cues whose slot is "as long as the words take" rather than a beat of the exercise.
_FLEXIBLE = {"intro", "exercise", "setup", "set", "side", "outro", "next_up", "rest", "release", "time_up", "done"}
# Cues whose `seconds` is silence owed after the words, however long they take to say: the dose ends
# the instructions and owes the get-set time; a side switch owes the time the change takes.
_GATED = {"dose", "switch_sides"}


def _block_cues(
    routine: Routine, ex: Exercise, d: Dose, index: int, total: int, band: BandLevel, turns: _Turns,
    familiar: bool = False, prev: Exercise | None = None,
) -> list[Cue]:
    cues: list[Cue] = []
    if index == 0:
        cues.append(Cue("intro", 0.0, {"routine": routine.name, "goal": routine.goal, "steps": total,
                                      "band": band.value, "kind": routine.kind.value}))
    # Three lines before the work: where we are and the band, how to get into position (the whole
    # setup the first time, a one-line reminder once the runner knows it), then the dose and the
    # silence to get set. The form tips come during the work, one around the middle of each set.
    cues.append(Cue("exercise", 0.0, {"exercise": ex.name, "number": index + 1, "of": total,
                                      "placement": ex.placement, "band": ex.band_for(band).value,
                                      "kind": ex.band_kind.spoken,
                                      "band_stays": prev is not None and same_band(prev, ex, band)}))
    if familiar:
        cues.append(Cue("setup", 0.0, {"exercise": ex.name, "setup": ex.reminder, "brief": True}))
    else:
        cues.append(Cue("setup", 0.0, {"exercise": ex.name, "setup": ex.setup, "caution": ex.caution}))
    cues.append(Cue("dose", float(get_set_after(prev, ex)), {"sets": d.sets, "reps": d.reps, "hold": d.hold_seconds,
                                                "work": d.work_seconds, "per_side": d.per_side}))
    sides: tuple[str | None, ...] = ex.side_names if d.per_side else (None,)
    turn = 0  # which form tip: they take turns over the sets and sides
    for set_no in range(1, d.sets + 1):
        if d.sets > 1:
            cues.append(Cue("set", 0.0, {"set": set_no, "of": d.sets}))
        for side_no, side in enumerate(sides):
            if side is not None and side_no == 0:
                cues.append(Cue("side", 1.0, {"side": side, "first": True}))
            cues.extend(_work_cues(d, ex.tips[turn % len(ex.tips)], turns))
            turn += 1
            if side is not None and side_no == 0:
                seconds = SIDE_MOVE_SECONDS if ex.side_moves else SIDE_SWITCH_SECONDS
                cues.append(Cue("switch_sides", float(seconds), {"side": sides[1], "switch": ex.switch}))
        if set_no < d.sets:
            cues.extend(_rest_cues(d.rest_seconds, None, between_sets=True, turns=turns))
    if d.rest_seconds or index == total - 1:  # straight into the next exercise, "Next up" is the close
        cues.append(Cue("done", 0.0, {"exercise": ex.name, "turn": turns("done")}))
    return cues


def same_band(before: Exercise, after: Exercise, band: BandLevel) -> bool:
    """Whether `after` uses the band exactly as `before` left it, so nobody is told to move it."""
    return (before.placement, before.band_kind, before.band_for(band)) == \
        (after.placement, after.band_kind, after.band_for(band))


def get_set_after(before: Exercise | None, ex: Exercise) -> int:
    """The get-set gate for `ex`: its own time, less a little when the runner is already in that
    position (seated to seated, floor to floor), never under the shortest gate."""
    if before is None or before.position is not ex.position or ex.get_set_seconds:
        return ex.get_set
    return max(Position.STANDING.get_set_seconds, ex.get_set - SAME_POSITION_SAVING)


SAME_POSITION_SAVING = 3  # seconds: no getting up or down, only the band and the limbs to arrange


def _work_cues(d: Dose, tip: str, turns: _Turns) -> list[Cue]:
    """The timed part of one set on one side: counted reps, a hold, or an interval of movement."""
    if d.hold_seconds is not None:
        return _timed(d.hold_seconds, tip, "hold", "release", turns)
    if d.work_seconds is not None:
        return _timed(d.work_seconds, tip, "go_timed", "time_up", turns)
    return _counted(d.reps or 1, d.tempo_seconds, tip, turns)


def _counted(reps: int, tempo: float, tip: str, turns: _Turns) -> list[Cue]:
    """Reps counted on the exercise's cadence: "Go!", then each rep's number as it ends, "Last one."

    The coach's count is the runner's metronome, so voice and body stay together and every rep gets
    its full tempo (docs/coaching.md). One form tip takes the place of a few counts in the middle.
    """
    cues = [Cue("go", tempo, {"turn": turns("go")})]
    if reps == 1:
        return cues
    span = math.ceil(speech_seconds(tip) / tempo)  # the counts the tip replaces
    form_at = 1 + (reps - 2 - span) // 2 if reps >= FORM_CUE_MIN_REPS and span <= reps - 2 else 0
    n = 1
    while n <= reps - 2:
        if n == form_at:
            cues.append(Cue("form", tempo * span, {"tip": tip}))
            n += span
        else:
            cues.append(Cue("rep", tempo, {"n": n}))
            n += 1
    cues.append(Cue("last_one", tempo, {"turn": turns("last_one")}))
    return cues


def _timed(seconds: int, tip: str, start: str, end: str, turns: _Turns) -> list[Cue]:
    """A hold or an interval: the start, one form tip at halfway, a countdown at 1 Hz, then the end."""
    if seconds < 20:
        cues = [Cue(start, float(seconds - 3), {"seconds": seconds, "turn": turns(start)})]
    else:
        first = seconds // 2
        cues = [Cue(start, float(first), {"seconds": seconds, "turn": turns(start)}),
                Cue("form", float(seconds - first - 3), {"tip": tip, "seconds": seconds - first})]
    cues += [Cue("count", 1.0, {"n": n}) for n in (3, 2, 1)]
    cues.append(Cue(end, 1.0, {"turn": turns(end)}))
    return cues


FORM_CUE_MIN_REPS = 6  # fewer reps leave no middle to put a tip in
TEN_LEFT_MIN_REST = 30  # rests this long get "Ten seconds left." before the countdown


def _rest_cues(seconds: int, nxt: Exercise | None, *, between_sets: bool = False,
               band: BandLevel = BandLevel.LIGHT, turns: _Turns | None = None,
               after: Exercise | None = None) -> tuple[Cue, ...]:
    """A rest: how long, what comes next and where its band goes (so the change is made while resting;
    nothing to say when it stays put), "ten seconds left", then three, two, one."""
    moves = nxt is not None and not (after is not None and same_band(after, nxt, band))
    where = {"band": nxt.band_for(band).value, "kind": nxt.band_kind.spoken, "placement": nxt.placement} \
        if nxt is not None and moves else {}
    if seconds <= 0:
        return (Cue("next_up", 1.0, {"exercise": nxt.name, **where}),) if nxt else ()
    turn = turns("rest_set") if turns is not None and between_sets else 0
    params = {"seconds": seconds, "between_sets": between_sets, "next": nxt.name if nxt else None, "turn": turn,
              **where}
    if seconds < 8:  # too short to count down from three
        return (Cue("rest", float(seconds), params),)
    if seconds < TEN_LEFT_MIN_REST:  # a short rest needs no warning before its countdown
        return (Cue("rest", float(seconds - 3), params), *(Cue("count", 1.0, {"n": n}) for n in (3, 2, 1)))
    return (
        Cue("rest", float(seconds - 10), params),
        Cue("ten_left", 7.0, {"seconds": 10}),
        *(Cue("count", 1.0, {"n": n}) for n in (3, 2, 1)),
    )
