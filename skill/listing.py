"""Routines as plain data for `bandcoach routines --json` and the docs: steps, doses and durations."""

from __future__ import annotations

from typing import Any

from skill.catalog import Catalog
from skill.routines import Dose, Variant


def dose_text(d: Dose) -> str:
    """"2 sets of 12 reps each side, 20 s rest"."""
    amount = (f"{d.reps} reps" if d.reps else f"{d.work_seconds} s timed" if d.work_seconds
              else f"{d.hold_seconds} s hold")
    sets = f"{d.sets} sets of {amount}" if d.sets > 1 else amount
    side = " each side" if d.per_side else ""
    return f"{sets}{side}, {d.rest_seconds} s rest"


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
