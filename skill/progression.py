"""Progression's vocabulary: what a runner did (SessionRecord), a suggestion (Progression), streaks and weekly counts.

The rule that makes suggestions is a plugin (the built-in one is plugins/progression.py).
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from skill.routines import BandLevel, Variant


class Change(enum.StrEnum):
    """How a suggestion differs from what the runner did last time."""

    SAME = "same"
    ADD_SET = "add_set"
    BAND_UP = "band_up"
    STEP_BACK = "step_back"


class Rating(enum.StrEnum):
    """How a workout felt, in the runner's answer to "easy, about right, or hard?"."""

    EASY = "easy"
    RIGHT = "right"
    HARD = "hard"


RATINGS_BY_VALUE: dict[str, Rating] = {r.value: r for r in Rating}

# The FEELING slot's values: what runners say, by the rating id it means (skill/model.py publishes them).
FEELINGS: dict[str, tuple[str, ...]] = {
    "easy": ("easy", "too easy", "a bit easy", "pretty easy", "really easy", "a breeze", "simple", "light",
             "not enough", "way too easy"),
    "right": ("about right", "just right", "fine", "good", "ok", "okay", "alright", "perfect", "solid",
              "right", "pretty good", "spot on", "manageable"),
    "hard": ("hard", "too hard", "tough", "really hard", "pretty hard", "difficult", "brutal", "exhausting",
             "a lot", "too much", "a struggle"),
}




@dataclass(frozen=True, slots=True)
class SessionRecord:
    """One workout of one routine: completed (the timed work was done) or stopped early, and how it felt."""

    routine: str
    variant: Variant
    band: BandLevel
    extra_sets: int
    started_at: datetime
    duration_seconds: int
    completed: bool
    rating: Rating | None = None


@dataclass(frozen=True, slots=True)
class Progression:
    """The next workout's band and extra sets, the change from last time, and why (spoken at launch)."""

    band: BandLevel
    extra_sets: int
    change: Change
    reason: str


def streak_days(history: Iterable[SessionRecord], *, today: date, tz: tzinfo = UTC,
                rest_weekdays: Collection[int] = ()) -> int:
    """Consecutive days with a completed workout, ending today or yesterday (0 otherwise).

    `tz` is the zone whose calendar days count: a workout's day is its start in that zone. Every
    caller today (ProgressIntent, `bandcoach progress`) leaves it at UTC, the skill knowing no
    runner's time zone, so a late-evening workout west of Greenwich counts for the next UTC day.
    `rest_weekdays` (0 = Monday) are days the runner's plan asks nothing of: one without a workout
    is stepped over, neither breaking the streak nor counting in it.
    """
    return streak_from_days({s.started_at.astimezone(tz).date() for s in history if s.completed}, today=today,
                            rest_weekdays=rest_weekdays)


def streak_from_days(workout_days: Collection[date], *, today: date, rest_weekdays: Collection[int] = ()) -> int:
    """streak_days over the calendar days that had a completed workout (the state store keeps them tallied)."""
    days = set(workout_days)
    if not days:
        return 0
    day, earliest = (today if today in days else today - timedelta(days=1)), min(days)
    count = 0
    while day >= earliest:
        if day in days:
            count += 1
        elif day.weekday() not in rest_weekdays:
            break
        day -= timedelta(days=1)
    return count


def workouts_this_week(history: Iterable[SessionRecord], *, today: date, tz: tzinfo = UTC) -> int:
    """Completed workouts from Monday of this week up to and including `today`, in `tz`'s days (UTC by default)."""
    monday = today - timedelta(days=today.weekday())
    return sum(1 for s in history if s.completed and monday <= s.started_at.astimezone(tz).date() <= today)
