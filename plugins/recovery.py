"""The post-run stretch routine: band-assisted stretching after a run."""

from plugins.loader import load_routines
from skill import Routine, hookimpl


@hookimpl
def bandcoach_routines() -> list[Routine]:
    """The post-run stretch, read from data/recovery.toml (its content lives there, not in code)."""
    return load_routines("recovery.toml")
