"""Band Coach's host package; plugin authors import their API from here."""

from .hookspecs import hookimpl
from .progression import Change, Progression, SessionRecord
from .routines import BandLevel, Exercise, Routine, Step, Variant
from .timeline import Cue

__all__ = [
    "BandLevel", "Change", "Cue", "Exercise", "Progression", "Routine", "SessionRecord", "Step",
    "Variant", "hookimpl",
]
