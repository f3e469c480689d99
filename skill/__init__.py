"""Band Coach's host package; plugin authors import their whole API from here."""

from skill.config import Settings
from skill.errors import BandCoachError
from skill.hookspecs import Speech, TTSEngine, hookimpl
from skill.progression import Change, Progression, Rating, SessionRecord
from skill.routines import BandLevel, Exercise, Place, Routine, RoutineKind, Step, Variant
from skill.timeline import Cue

__all__ = [
    "BandCoachError", "BandLevel", "Change", "Cue", "Exercise", "Place", "Progression", "Rating", "Routine",
    "RoutineKind", "SessionRecord", "Settings", "Speech", "Step", "TTSEngine", "Variant", "hookimpl",
]
