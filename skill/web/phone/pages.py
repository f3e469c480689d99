"""What the phone pages show, as plain data: routine cards for the list, exercises and chapters for a routine.

Everything comes from the catalog's timelines (and `bandcoach routines`' plain data for the list), so
the page says what the voice says: the same exercises, doses, bands and lengths.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from skill.catalog import Catalog
from skill.listing import describe_routines, dose_text
from skill.routines import RoutineKind
from skill.timeline import Timeline, worked

KIND_WORDS = {RoutineKind.ACTIVATION: "Before a run", RoutineKind.STRENGTH: "Strength",
              RoutineKind.MOBILITY: "After a run"}
FOCUS_SHARE = 0.25  # a body part is named as a focus when at least this share of the routine works it
FOCUS_PARTS = 3  # and at most this many are named


@dataclass(frozen=True, slots=True)
class RoutineCard:
    """One routine on the list: name, goal, length, focus, the bands it needs, and each length's minutes."""

    id: str
    name: str
    goal: str
    seconds: int
    focus: str
    bands: tuple[str, ...]
    lengths: dict[str, int]


@dataclass(frozen=True, slots=True)
class ExerciseRow:
    """One exercise of a chosen routine: what to do, with which band, the dose, and where its chapter starts."""

    number: int
    name: str
    band: str
    setup: str
    tips: tuple[str, ...]
    dose: str
    start: float
    seconds: float


def routine_cards(catalog: Catalog, locale: str) -> list[RoutineCard]:
    """Every routine as the list shows it, from `bandcoach routines`' plain data plus its focus and bands."""
    cards = []
    for listed in describe_routines(catalog, locale):
        timeline = catalog.timeline(listed["id"], locale=locale)
        cards.append(RoutineCard(listed["id"], listed["name"], listed["goal"], listed["duration_seconds"],
                                 focus(timeline), bands_needed(timeline), dict(listed["variants"])))
    return cards


def focus(timeline: Timeline) -> str:
    """What a routine is for and the body parts it works most: "Strength: glutes, hips"."""
    shares = sorted(worked(timeline).items(), key=lambda item: -item[1])
    parts = [part for part, share in shares if share >= FOCUS_SHARE][:FOCUS_PARTS] or [p for p, _ in shares[:1]]
    words = KIND_WORDS.get(timeline.routine.kind, timeline.routine.kind.value.capitalize())
    return f"{words}: {', '.join(p.replace('_', ' ') for p in parts)}" if parts else words


def band_words(timeline: Timeline, index: int) -> str:
    """The band block `index` is coached on, as the coach says it: "medium loop band"."""
    exercise = timeline.blocks[index].exercise
    return f"{exercise.band_for(timeline.band).value} {exercise.band_kind.spoken}"


def bands_needed(timeline: Timeline) -> tuple[str, ...]:
    """Each band (level and kind) the timeline uses, in order of first use, then any other equipment."""
    bands = dict.fromkeys(band_words(timeline, b.index) for b in timeline.blocks)
    return (*bands, *timeline.routine.equipment)


def exercise_rows(timeline: Timeline) -> list[ExerciseRow]:
    """The timeline's exercises with their chapter starts: the sum of the blocks before, as the audio is joined."""
    rows, start = [], 0.0
    for block in timeline.blocks:
        exercise = block.exercise
        band = band_words(timeline, block.index)
        rows.append(ExerciseRow(block.index + 1, exercise.name, f"{band.capitalize()} {exercise.placement}",
                                exercise.setup, exercise.tips, dose_text(block.dose), start, block.seconds))
        start += block.seconds
    return rows


def minutes_text(seconds: float) -> str:
    """A length as the page shows it: "7 min", or "45 s" under a minute."""
    return f"{round(seconds / 60)} min" if seconds >= 60 else f"{round(seconds)} s"


def clock(seconds: float) -> str:
    """A time as a player shows it: "m:ss"."""
    whole = max(0, int(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


def page_filters() -> dict[str, Any]:
    """The template filters these pages use."""
    return {"minutes": minutes_text, "clock": clock}
