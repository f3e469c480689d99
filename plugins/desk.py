"""The desk routine: seated band work for runners who sit all day."""

from plugins.loader import load_routines
from skill import Routine, hookimpl


@hookimpl
def bandcoach_routines() -> list[Routine]:
    """The desk routine, read from data/desk.toml (its content lives there, not in code)."""
    return load_routines("desk.toml")
