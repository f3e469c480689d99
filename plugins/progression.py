"""The built-in progression rule as a trylast hook, so any plugin can suggest differently."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from skill import BandLevel, Progression, Routine, SessionRecord, hookimpl
from skill.progression import next_progression


@hookimpl(trylast=True)
def bandcoach_progression(routine: Routine, history: Sequence[SessionRecord], band: BandLevel | None) -> Progression:
    """More sets, then a heavier band, a step back after a long break: see docs/coaching.md."""
    return next_progression(routine, history, now=datetime.now(UTC), band=band)
