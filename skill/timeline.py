"""Routine -> timeline of cues (what to say and when); pure and deterministic."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from skill.routines import SIDE_MOVE_SECONDS, SIDE_SWITCH_SECONDS, BandLevel, Dose, Exercise, Routine, dose

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

    @property
    def seconds(self) -> float:
        return sum(c.seconds for c in self.cues) + sum(c.seconds for c in self.rest)


@dataclass(frozen=True, slots=True)
class Timeline:
    """A routine expanded for one band level and variant: blocks of cues, in order."""

    routine: Routine
    band: BandLevel
    locale: str
    blocks: tuple[Block, ...]

    @property
    def seconds(self) -> float:
        return sum(b.seconds for b in self.blocks)

    def cues(self) -> list[Cue]:
        return [c for b in self.blocks for c in (*b.cues, *b.rest)]


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
) -> Timeline:
    """Expand `routine` into blocks of worded cues; `wording(cue, locale)` supplies every line."""
    steps = routine.steps
    blocks = []
    for i, step in enumerate(steps):
        exercise = exercises[step.exercise]
        d = dose(step, exercise)
        if extra_sets:
            d = replace(d, sets=min(10, d.sets + extra_sets))
        nxt = exercises[steps[i + 1].exercise] if i + 1 < len(steps) else None
        raw = _block_cues(routine, exercise, d, i, len(steps), band)
        rest = _rest_cues(d.rest_seconds, nxt, band=band) if nxt is not None \
            else (Cue("outro", 0.0, {"routine": routine.name}),)
        blocks.append(Block(i, exercise, d, _worded(raw, wording, locale), _worded(rest, wording, locale)))
    return Timeline(routine, band, locale, tuple(blocks))


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
_FLEXIBLE = {"intro", "exercise", "setup", "set", "side", "outro", "next_up", "rest", "release", "done"}
# Cues whose `seconds` is silence owed after the words, however long they take to say: the dose ends
# the instructions and owes the get-set time; a side switch owes the time the change takes.
_GATED = {"dose", "switch_sides"}


def _block_cues(
    routine: Routine, ex: Exercise, d: Dose, index: int, total: int, band: BandLevel
) -> list[Cue]:
    cues: list[Cue] = []
    if index == 0:
        cues.append(Cue("intro", 0.0, {"routine": routine.name, "goal": routine.goal, "steps": total,
                                      "band": band.value}))
    # Three lines, so the long instructions are the same recording whatever the band, variant or
    # extra sets: a short "where we are" line, the setup and tips, then the dose (and time to get set).
    cues.append(Cue("exercise", 0.0, {"exercise": ex.name, "number": index + 1, "of": total,
                                      "placement": ex.placement, "band": ex.band_for(band).value,
                                      "kind": ex.band_kind.spoken}))
    cues.append(Cue("setup", 0.0, {"exercise": ex.name, "setup": ex.setup, "tips": ex.tips}))
    cues.append(Cue("dose", float(ex.get_set), {"sets": d.sets, "reps": d.reps, "hold": d.hold_seconds,
                                                "per_side": d.per_side}))
    sides: tuple[str | None, ...] = ex.side_names if d.per_side else (None,)
    for set_no in range(1, d.sets + 1):
        if d.sets > 1:
            cues.append(Cue("set", 0.0, {"set": set_no, "of": d.sets}))
        for side_no, side in enumerate(sides):
            if side is not None:
                cues.append(Cue("side", 1.0, {"side": side, "first": side_no == 0}))
            cues.extend(_work_cues(d))
            if side is not None and side_no == 0:
                seconds = SIDE_MOVE_SECONDS if ex.side_moves else SIDE_SWITCH_SECONDS
                cues.append(Cue("switch_sides", float(seconds), {"side": sides[1], "switch": ex.switch}))
        if set_no < d.sets:
            cues.extend(_rest_cues(d.rest_seconds, None, between_sets=True))
    cues.append(Cue("done", 0.0, {"exercise": ex.name}))
    return cues


def _work_cues(d: Dose) -> list[Cue]:
    """The counted part of one set on one side: reps paced by tempo, or a hold with a countdown."""
    if d.hold_seconds is not None:
        hold = d.hold_seconds
        cues = [Cue("hold", float(hold - 3 if hold < 20 else hold // 2), {"seconds": hold})]
        if hold >= 20:
            cues.append(Cue("halfway", float(hold - hold // 2 - 3), {"seconds": hold - hold // 2}))
        cues += [Cue("count", 1.0, {"n": n}) for n in (3, 2, 1)]
        cues.append(Cue("release", 1.0, {}))
        return cues
    reps, tempo = d.reps or 1, d.tempo_seconds
    if reps <= 5:
        return [Cue("go", tempo * (reps - 1), {"reps": reps}), Cue("last_one", tempo, {})]
    return [
        Cue("go", tempo * (reps - 5), {"reps": reps}),
        Cue("more", tempo * 4, {"left": 5}),
        Cue("last_one", tempo, {}),
    ]


def _rest_cues(seconds: int, nxt: Exercise | None, *, between_sets: bool = False,
               band: BandLevel = BandLevel.LIGHT) -> tuple[Cue, ...]:
    """A rest: how long, what comes next and where its band goes (so the change is made while resting),
    "ten seconds left", then three, two, one."""
    where = {"band": nxt.band_for(band).value, "kind": nxt.band_kind.spoken, "placement": nxt.placement} if nxt else {}
    if seconds <= 0:
        return (Cue("next_up", 1.0, {"exercise": nxt.name, **where}),) if nxt else ()
    params = {"seconds": seconds, "between_sets": between_sets, "next": nxt.name if nxt else None, **where}
    if seconds < 8:  # too short to count down from three
        return (Cue("rest", float(seconds), params),)
    if seconds < 15:
        return (Cue("rest", float(seconds - 3), params), *(Cue("count", 1.0, {"n": n}) for n in (3, 2, 1)))
    return (
        Cue("rest", float(seconds - 10), params),
        Cue("ten_left", 7.0, {"seconds": 10}),
        *(Cue("count", 1.0, {"n": n}) for n in (3, 2, 1)),
    )
