"""Routines as plain data (steps, doses, durations) for `bandcoach routines --json`, the phone pages and the docs."""

from __future__ import annotations

from typing import Any

from skill.catalog import Catalog
from skill.routines import Dose, Variant


def dose_text(d: Dose) -> str:
    """"2 sets of 12 reps each side, 20 s rest"; "3 min timed" when nothing follows it."""
    amount = (f"{d.reps} reps" if d.reps else _seconds(d.work_seconds) + " timed" if d.work_seconds
              else _seconds(d.hold_seconds or 0) + " hold")
    sets = f"{d.sets} sets of {amount}" if d.sets > 1 else amount
    side = " each side" if d.per_side else ""
    rest = f", {_seconds(d.rest_seconds)} rest" if d.rest_seconds else ""
    return f"{sets}{side}{rest}"


def _seconds(seconds: int) -> str:
    """"45 s", or "3 min" for whole minutes from two minutes up (how a runner reads a long hold)."""
    return f"{seconds // 60} min" if seconds >= 120 and seconds % 60 == 0 else f"{seconds} s"


def describe_routines(catalog: Catalog, locale: str = "en-US") -> list[dict[str, Any]]:
    """Every routine with its aliases, plugin, standard duration, variant durations and steps."""
    out = []
    for routine in catalog.routines.values():
        timeline = catalog.timeline(routine.id, locale=locale)
        out.append({
            "id": routine.id,
            "name": routine.name,
            "aliases": list(routine.aliases),
            "goal": routine.goal,
            "plugin": routine.plugin,
            "band": routine.band.value,
            "duration_seconds": round(timeline.seconds),
            "variants": {v.value: round(catalog.timeline(routine.id, variant=v, locale=locale).seconds)
                         for v in Variant},
            "steps": [
                {
                    "exercise": block.exercise.id,
                    "exercise_name": block.exercise.name,
                    "sets": block.dose.sets,
                    "reps": block.dose.reps,
                    "hold_seconds": block.dose.hold_seconds,
                    "work_seconds": block.dose.work_seconds,
                    "per_side": block.dose.per_side,
                    "rest_seconds": block.dose.rest_seconds,
                    "dose": dose_text(block.dose),
                    "duration_seconds": round(block.seconds),
                }
                for block in timeline.blocks
            ],
        })
    return out
