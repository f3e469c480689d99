"""Progression values: what a runner did (SessionRecord) and what to suggest next (Progression)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from .routines import BandLevel, Variant


class Change(enum.StrEnum):
    """How a suggestion differs from what the runner did last time."""

    SAME = "same"
    ADD_SET = "add_set"
    BAND_UP = "band_up"
    STEP_BACK = "step_back"


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """One workout of one routine: finished (completed) or stopped early."""

    routine: str
    variant: Variant
    band: BandLevel
    extra_sets: int
    started_at: datetime
    duration_seconds: int
    completed: bool


@dataclass(frozen=True, slots=True)
class Progression:
    """The next workout's band and extra sets, the change from last time, and why (spoken at launch)."""

    band: BandLevel
    extra_sets: int
    change: Change
    reason: str
