"""The glute strength routine: small-space band strength for hips and glutes."""

from plugins.loader import load_routines
from skill import Routine, hookimpl


@hookimpl
def bandcoach_routines() -> list[Routine]:
    """The glute strength routine, read from data/glutes.toml (its content lives there, not in code)."""
    return load_routines("glutes.toml")
