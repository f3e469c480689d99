"""The treadmill routine: a slow banded walk, a side-walk for the steady, and a banded incline walk."""

from plugins.loader import load_routines
from skill import Routine, hookimpl


@hookimpl
def bandcoach_routines() -> list[Routine]:
    """The treadmill routine, read from data/treadmill.toml (its content lives there, not in code)."""
    return load_routines("treadmill.toml")
