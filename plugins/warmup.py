"""The pre-run warm-up routine: activation for glutes, hips and ankles before a run."""

from plugins.loader import load_routines
from skill import Routine, hookimpl


@hookimpl
def bandcoach_routines() -> list[Routine]:
    """The warm-up, read from data/warmup.toml (its content lives there, not in code)."""
    return load_routines("warmup.toml")
