"""Band Coach's host package; plugin authors import their whole API from here.

Each name loads its module on first use (PEP 562), so importing one module of the package (the Lambda
handler, the configuration) does not load the vocabulary, the timeline and the plugin contract with it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from skill.config import Settings
    from skill.errors import BandCoachError
    from skill.hookspecs import Speech, TTSEngine, hookimpl
    from skill.progression import Change, Progression, Rating, SessionRecord
    from skill.routines import BandLevel, Exercise, Place, Routine, RoutineKind, Step, Variant
    from skill.timeline import Cue

_HOMES = {
    "Settings": "skill.config", "BandCoachError": "skill.errors",
    "Speech": "skill.hookspecs", "TTSEngine": "skill.hookspecs", "hookimpl": "skill.hookspecs",
    "Change": "skill.progression", "Progression": "skill.progression", "Rating": "skill.progression",
    "SessionRecord": "skill.progression",
    "BandLevel": "skill.routines", "Exercise": "skill.routines", "Place": "skill.routines", "Routine": "skill.routines",
    "RoutineKind": "skill.routines", "Step": "skill.routines", "Variant": "skill.routines",
    "Cue": "skill.timeline",
}

__all__ = [
    "BandCoachError", "BandLevel", "Change", "Cue", "Exercise", "Place", "Progression", "Rating", "Routine",
    "RoutineKind", "SessionRecord", "Settings", "Speech", "Step", "TTSEngine", "Variant", "hookimpl",
]


if not TYPE_CHECKING:  # mypy reads the imports above, so a misspelt name still fails the type check

    def __getattr__(name: str) -> Any:
        """`from skill import Routine`: the module that defines the name, loaded now, then kept here."""
        home = _HOMES.get(name)
        if home is None:
            raise AttributeError(f"module 'skill' has no attribute {name!r}")
        value = getattr(importlib.import_module(home), name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*globals(), *__all__})
